"""The simulator as a WSGI application: routing, auth, faults, then one handler per route.

Order of decisions for every request: count it; find the route (404 with a JSON body when
none; a run of leading slashes is read as one); check the method (405 with ``Allow`` when not
allowed: HEAD, OPTIONS, TRACE, QUERY and any other token); sleep the injected latency; inject a
429 or 500 when scheduled; check the bearer token (REST routes: 401 with ``WWW-Authenticate``
when it is missing, unknown or expired) and its scopes (403 with errorcode 20002 when it lacks
one the route needs, ``routes.REQUIRED_SCOPES``); run the handler (for a send,
``sends.answer_any_send`` instead when ``Faults.send_answer`` is set); drop the response of a
scheduled send (a processed one: accepted or rejected, never a deviation's unprocessed 500);
apply deviations. Faults count only requests that reach a known route with an allowed method.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

from sms_contract.simulator import definitions, deviations, sends
from sms_contract.simulator.auth import bearer_token, token_reply
from sms_contract.simulator.clock import Clock, SystemClock
from sms_contract.simulator.config import Deviation, Faults, SimulatorConfig
from sms_contract.simulator.context import Call, World
from sms_contract.simulator.faults import FaultSchedule
from sms_contract.simulator.routes import REQUIRED_SCOPES, Route, RouteName, resolve
from sms_contract.simulator.state import Counters, Definition, Sizes, State
from sms_contract.simulator.wire import (
    TOKEN_INVALID,
    TOKEN_MISSING,
    Reply,
    encode,
    error,
    insufficient_scope,
    not_authorized,
    not_found,
)
from sms_contract.transports.wsgi import DropConnection

Handler = Callable[[Call, World], Reply]

HANDLERS: Mapping[tuple[RouteName, str], Handler] = {
    (RouteName.MESSAGE, "POST"): sends.send_one,
    (RouteName.MESSAGE, "GET"): sends.status,
    (RouteName.MESSAGES, "POST"): sends.send_batch,
    (RouteName.MESSAGES, "GET"): sends.not_sent,
    (RouteName.DEFINITIONS, "POST"): definitions.create,
    (RouteName.DEFINITIONS, "GET"): definitions.listing,
    (RouteName.DEFINITION, "GET"): definitions.read,
    (RouteName.DEFINITION, "PATCH"): definitions.update,
    (RouteName.DEFINITION, "DELETE"): definitions.delete,
    (RouteName.QUEUE, "GET"): definitions.queue_metrics,
    (RouteName.QUEUE, "DELETE"): definitions.queue_purge,
}
_SENDS = frozenset({(RouteName.MESSAGE, "POST"), (RouteName.MESSAGES, "POST")})


class Simulator:
    """A server double of the documented SMS API; call it as a WSGI application.

    Thread-safe: one lock guards the state for the whole of a request (latency is slept
    outside it). ``counters`` is a consistent snapshot.
    """

    def __init__(self, config: SimulatorConfig | None = None, *, clock: Clock | None = None):
        self.config = config or SimulatorConfig()
        self.clock: Clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._state = State.for_config(self.config)
        self._schedule = FaultSchedule(self.config.faults)
        self._advertised: str | None = None
        now = self.clock.now()
        for seed in self.config.definitions:
            self._state.definitions[seed.definition_key] = Definition.from_seed(seed, now)

    @property
    def counters(self) -> Counters:
        with self._lock:
            return self._state.counters()

    @property
    def sizes(self) -> Sizes:
        """How many tokens, sends and not-sent events are held now (a snapshot)."""
        with self._lock:
            return self._state.sizes()

    @property
    def faults(self) -> Faults:
        return self._schedule.faults

    def set_faults(self, faults: Faults) -> None:
        """Replace the faults; their schedules count from now."""
        with self._lock:
            self._schedule = FaultSchedule(faults)

    def advertise(self, rest_base_url: str | None) -> None:
        """The ``rest_instance_url`` token responses carry (``None``: the request's origin),
        with a trailing ``/`` added as every real token response has one (facts §9).

        ``SimulatorConfig.rest_instance_url``, when set, wins over this and is sent as given.
        """
        with self._lock:
            self._advertised = rest_base_url

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        route, method, reply = self._answer(environ)
        if route is not None:
            reply = deviations.apply(self.config.deviations, route.name, method, reply)
        if reply.drop:
            raise DropConnection(f"{method}: response dropped by an injected fault")
        status, headers, payload = encode(reply)
        start_response(status, headers)
        return [payload]

    def _answer(self, environ: dict[str, Any]) -> tuple[Route | None, str, Reply]:
        method = str(environ.get("REQUEST_METHOD") or "")
        route = resolve(environ)
        with self._lock:
            self._state.count("requests")
            if route is not None and route.name is RouteName.TOKEN:
                self._state.count("token_requests")
            schedule = self._schedule
        if route is None:
            return None, method, not_found("MCMS_UTM_Runtime_ObjectNotFound: no such route")
        if method not in route.allowed:
            return route, method, _not_allowed(method, route)
        faulted = route.name is not RouteName.TOKEN or schedule.faults.include_token_requests
        if faulted and schedule.faults.latency:
            time.sleep(schedule.faults.latency)
        body = _read_body(environ, self.config.max_body_bytes)
        with self._lock:
            fault = schedule.before() if faulted else None
            if fault is not None:
                self._state.count("rate_limited" if fault.status == 429 else "server_errors")
                return route, method, fault
            return route, method, self._handle(route, method, environ, body)

    def _handle(
        self, route: Route, method: str, environ: dict[str, Any], body: bytes | None
    ) -> Reply:
        """Auth, then the route's handler (the lock is held)."""
        now = self.clock.now()
        if route.name is RouteName.TOKEN:
            if body is None:
                return _too_large(self.config.max_body_bytes)
            served_at = _slashed(self._advertised or _origin(environ))
            rest_url = self.config.rest_instance_url or served_at
            return token_reply(body, self.config, self._state, now, rest_url)
        token = bearer_token(environ.get("HTTP_AUTHORIZATION"))
        scopes = self._state.token_scopes(token, now) if token is not None else None
        if scopes is None:
            # IGNORE_AUTH serves a request without a valid token; a valid token's scopes are
            # still checked below.
            if Deviation.IGNORE_AUTH not in self.config.deviations:
                return not_authorized(TOKEN_MISSING if token is None else TOKEN_INVALID)
        else:
            needed = REQUIRED_SCOPES[(route.name, method)]
            if not needed <= scopes and Deviation.IGNORE_SCOPES not in self.config.deviations:
                return insufficient_scope(needed)
        if body is None:
            return _too_large(self.config.max_body_bytes)
        call = Call(
            method=method,
            route=route,
            query=_query(environ),
            content_type=environ.get("CONTENT_TYPE"),
            body=body,
            origin=_origin(environ),
        )
        world = World(self.config, self._state, now)
        sending = (route.name, method) in _SENDS
        send_answer = self._schedule.faults.send_answer
        if sending and send_answer:
            reply = sends.answer_any_send(call, world, send_answer)
        else:
            reply = HANDLERS[(route.name, method)](call, world)
        if sending and reply.processed and self._schedule.drop_this_send():
            self._state.count("dropped_responses")
            reply = replace(reply, drop=True)
        return reply


def _not_allowed(method: str, route: Route) -> Reply:
    allowed = ", ".join(route.allowed)
    shown = method if len(method) <= 20 and method.isprintable() else "this method"
    reply = error(405, 10000, f"MCMS_UTM_Runtime: {shown} is not allowed here; use {allowed}")
    return replace(reply, headers={"Allow": allowed})


def _too_large(limit: int) -> Reply:
    return error(413, 10000, f"MCMS_UTM_Validation: the body is larger than {limit} bytes")


def _read_body(environ: Mapping[str, Any], limit: int) -> bytes | None:
    """The request body, ``b""`` without a usable Content-Length, ``None`` above ``limit``."""
    raw = str(environ.get("CONTENT_LENGTH") or "").strip()
    length = int(raw) if raw.isascii() and raw.isdigit() else 0
    if length > limit:
        return None
    stream = environ.get("wsgi.input")
    if not length or stream is None:
        return b""
    data = stream.read(length)
    return bytes(data)


def _query(environ: Mapping[str, Any]) -> dict[str, str]:
    """Query parameters, names lower-cased, first value of each."""
    query: dict[str, str] = {}
    for name, value in parse_qsl(str(environ.get("QUERY_STRING") or ""), keep_blank_values=True):
        query.setdefault(name.lower(), value)
    return query


def _slashed(base_url: str) -> str:
    """``base_url`` ending with exactly one ``/``, as real instance URLs do."""
    return base_url.rstrip("/") + "/"


def _origin(environ: Mapping[str, Any]) -> str:
    scheme = str(environ.get("wsgi.url_scheme") or "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host = str(environ.get("SERVER_NAME") or "localhost")
        port = str(environ.get("SERVER_PORT") or "")
        if port and port != {"https": "443", "http": "80"}.get(scheme):
            host = f"{host}:{port}"
    return f"{scheme}://{host}"
