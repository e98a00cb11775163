"""sms-contract: contract tests and conformance checks for the SFMC Transactional SMS API.

The public surface for library use, gathered here once: the reference client, its
configuration and its results, the transports, the error families, and the simulator for
integration tests (in-process with ``simulate``, on loopback with ``serve_in_thread``). Every
other name lives in the package of its concern (see the README's layout). The CLI is
``sms-contract``; the pytest plugin is ``pytest --sms-target=mock``.

The names are imported on first use (PEP 562), so that ``import sms_contract`` and the
command's ``--help`` stay cheap: ``from sms_contract import SmsClient`` works as ever.
"""

from __future__ import annotations

__version__ = "0.1.0"

import importlib
import typing

if typing.TYPE_CHECKING:
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

# Each public name and the module it lives in: imported when the name is first asked for.
_ADDRESSES: dict[str, str] = {
    "Accepted": "sms_contract.client.results",
    "ApiError": "sms_contract.errors",
    "AuthMode": "sms_contract.client.sms_client",
    "AuthenticationError": "sms_contract.errors",
    "BatchResult": "sms_contract.client.results",
    "ClientConfig": "sms_contract.client.config",
    "ContractViolation": "sms_contract.errors",
    "HttpTransport": "sms_contract.transports.http",
    "ManualClock": "sms_contract.simulator.clock",
    "Rejected": "sms_contract.client.results",
    "RejectionForm": "sms_contract.spec.rules",
    "ResponseLost": "sms_contract.errors",
    "RetryPolicy": "sms_contract.client.config",
    "SendResult": "sms_contract.client.results",
    "Simulator": "sms_contract.simulator.app",
    "SimulatorConfig": "sms_contract.simulator.config",
    "SmsClient": "sms_contract.client.sms_client",
    "SmsContractError": "sms_contract.errors",
    "Timeouts": "sms_contract.transports.base",
    "Transport": "sms_contract.transports.base",
    "TransportError": "sms_contract.errors",
    "UnsafeTargetError": "sms_contract.errors",
    "UsageError": "sms_contract.errors",
    "WsgiTransport": "sms_contract.transports.wsgi",
    "serve_in_thread": "sms_contract.simulator.server",
    "simulate": "sms_contract.simulator.inprocess",
}

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


if not typing.TYPE_CHECKING:  # hidden from type checkers: a misspelt name stays an error

    def __getattr__(name: str) -> object:
        """A public name, imported from its module the first time it is asked for (then kept
        in this module's namespace, so this runs once per name)."""
        try:
            module = _ADDRESSES[name]
        except KeyError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
