"""What a route handler receives: the request as parsed, and the simulator it runs in."""

from __future__ import annotations

from dataclasses import dataclass

from sms_contract.simulator.config import SimulatorConfig
from sms_contract.simulator.routes import Route
from sms_contract.simulator.state import State


@dataclass(frozen=True)
class Call:
    """One request, parsed: the handler never sees the WSGI environ."""

    method: str
    route: Route
    query: dict[str, str]
    """The first value of each query parameter, names as sent."""
    content_type: str | None
    body: bytes
    origin: str
    """``scheme://host[:port]`` the request was addressed to."""


@dataclass(frozen=True)
class World:
    """The simulator a handler acts on, at one instant (the lock is held)."""

    config: SimulatorConfig
    state: State
    now: float
