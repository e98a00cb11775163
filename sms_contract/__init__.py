"""sms-contract: contract tests and conformance checks for the SFMC Transactional SMS API.

The public surface for library use: the reference client and its results, the error families,
and the simulator (``sms_contract.simulator``) for integration tests. The CLI is
``sms-contract``; the pytest plugin is ``pytest --sms-target=mock``.
"""

from __future__ import annotations

__version__ = "0.1.0"

from sms_contract.client import AuthMode, SmsClient
from sms_contract.config import ClientConfig, RetryPolicy
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
from sms_contract.results import Accepted, BatchResult, Rejected, RejectionForm, SendResult
from sms_contract.transport import HttpTransport, Timeouts, Transport, WsgiTransport

__all__ = [
    "Accepted",
    "ApiError",
    "AuthMode",
    "AuthenticationError",
    "BatchResult",
    "ClientConfig",
    "ContractViolation",
    "HttpTransport",
    "Rejected",
    "RejectionForm",
    "ResponseLost",
    "RetryPolicy",
    "SendResult",
    "SmsClient",
    "SmsContractError",
    "Timeouts",
    "Transport",
    "TransportError",
    "UnsafeTargetError",
    "UsageError",
    "WsgiTransport",
    "__version__",
]
