"""sms-contract: contract tests and conformance checks for the SFMC Transactional SMS API.

The public surface for library use, gathered here once: the reference client, its
configuration and its results, the transports, the error families, and the simulator for
integration tests (in-process with ``simulate``, on loopback with ``serve_in_thread``). Every
other name lives in the package of its concern (see the README's layout). The CLI is
``sms-contract``; the pytest plugin is ``pytest --sms-target=mock``.
"""

from __future__ import annotations

__version__ = "0.1.0"

from sms_contract.client.config import ClientConfig, RetryPolicy
from sms_contract.client.results import Accepted, BatchResult, Rejected, SendResult
from sms_contract.client.sms_client import AuthMode, SmsClient
from sms_contract.errors import (
    ApiError,
    AuthenticationError,
    ContractViolation,
    ResponseLost,
    SmsContractError,
    TransportError,
    UnsafeTargetError,
    UsageError,
)
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.clock import ManualClock
from sms_contract.simulator.config import SimulatorConfig
from sms_contract.simulator.inprocess import simulate
from sms_contract.simulator.server import serve_in_thread
from sms_contract.spec.rules import RejectionForm
from sms_contract.transports.base import Timeouts, Transport
from sms_contract.transports.http import HttpTransport
from sms_contract.transports.wsgi import WsgiTransport

__all__ = [
    "Accepted",
    "ApiError",
    "AuthMode",
    "AuthenticationError",
    "BatchResult",
    "ClientConfig",
    "ContractViolation",
    "HttpTransport",
    "ManualClock",
    "Rejected",
    "RejectionForm",
    "ResponseLost",
    "RetryPolicy",
    "SendResult",
    "Simulator",
    "SimulatorConfig",
    "SmsClient",
    "SmsContractError",
    "Timeouts",
    "Transport",
    "TransportError",
    "UnsafeTargetError",
    "UsageError",
    "WsgiTransport",
    "__version__",
    "serve_in_thread",
    "simulate",
]
