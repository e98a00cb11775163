"""A server double of the documented SMS API: in-process (``simulate``) or on loopback.

simulator = Simulator(SimulatorConfig(), clock=ManualClock())
with simulate(simulator):                      # requests to the .invalid base URLs
    ...
with serve_in_thread(simulator) as server:     # a real socket on 127.0.0.1
    ... server.base_url ...
"""

from __future__ import annotations

from sms_contract.simulator.app import Simulator
from sms_contract.simulator.clock import Clock, ManualClock, SystemClock
from sms_contract.simulator.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_DEFINITIONS,
    Credentials,
    DefinitionSeed,
    Deviation,
    Faults,
    RejectionForm,
    SimulatorConfig,
)
from sms_contract.simulator.inprocess import (
    DEFAULT_AUTH_BASE_URL,
    DEFAULT_REST_BASE_URL,
    HermeticRefusal,
    simulate,
)
from sms_contract.simulator.server import ServerHandle, serve_in_thread
from sms_contract.simulator.state import Counters

__all__ = [
    "DEFAULT_AUTH_BASE_URL",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_DEFINITIONS",
    "DEFAULT_REST_BASE_URL",
    "Clock",
    "Counters",
    "Credentials",
    "DefinitionSeed",
    "Deviation",
    "Faults",
    "HermeticRefusal",
    "ManualClock",
    "RejectionForm",
    "ServerHandle",
    "Simulator",
    "SimulatorConfig",
    "SystemClock",
    "serve_in_thread",
    "simulate",
]
