"""The mock target with recordings: each case answered from its own check's cassette, every
other request by the in-process simulator.

One ``responses.RequestsMock`` holds one entry for the mock's hosts (a ``CaseReplayer``) and the
hermetic guard for every other host (the simulator's own: :mod:`sms_contract.simulator.inprocess`);
the simulator is the replayer's fallback, never a second registration (``responses`` would
consume one of two overlapping entries).

Which answer a request gets, while the runner runs case C of check K (``for_case``):

- K has a cassette: the first interaction *of case C* that matches and has not answered yet,
  so a sequence of identical requests (a duplicate messageKey, a send retried after a 401)
  gets its recorded answers in order; once all are used, the first that matches again
  (repeats allowed). A request that matches none of case C's interactions is a
  ``CassetteMiss`` naming the nearest recorded interaction and each differing field; a token
  request is the exception (the client asks for a token whenever it needs one, so its token
  request falls in whichever case runs first), answered by the simulator. When every
  interaction of case C has answered already (or C has none), the request is one the
  recording run never sent (it stopped first: its send budget, its deadline, a signal):
  ``RecordingEnded``, which the runner reports as C not judged, as the recording run did.
- K has no cassette, or no case is running: the simulator.

A recorded lost response is replayed as the ``ConnectionError`` of a dropped connection, which
``HttpTransport`` reports as ``ResponseLost``.

Tokens: a replayed token response carries a placeholder (``<secret-3>``) as its access token.
When the client then sends that placeholder to the simulator (a check with no cassette), the
fallback swaps it for a token the simulator issued, so the simulator judges the request, not
the recording's scrubbing. A token the simulator never issued and that is not a placeholder
(the AUTH-BAD-TOKEN case) is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import requests
import responses

from sms_contract.client.auth import token_request
from sms_contract.errors import CassetteMiss, RecordingEnded
from sms_contract.exchange import HttpRequest
from sms_contract.recordings.cassettes import Cassette, Interaction, scrub_request
from sms_contract.recordings.matching import find_match
from sms_contract.redaction import Scrubber
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.inprocess import (
    Answer,
    Reply,
    add_hermetic_guard,
    add_hosts,
    lost_connection,
    simulator_callback,
    to_http_request,
)
from sms_contract.spec.endpoints import TOKEN_PATH, is_token_request
from sms_contract.transports.base import Timeouts
from sms_contract.transports.wsgi import WsgiTransport

_PLACEHOLDER_BEARER = re.compile(r"\s*bearer\s+<[a-z]+-\d+>\s*", re.IGNORECASE)
FIRST_REPLAY_NUMBER = 15555551234  # the documented example's (fictional) number
_STALE = (
    "\n(the recordings do not match this run's plan: replay with the --seed, --examples and "
    "--definition-key they were recorded with, or record them again with 'sms-contract record')"
)


def replay_allow_list(recipients: int) -> tuple[str, ...]:
    """``recipients`` distinct fictional numbers, the documented example's first: what a
    replay plans with when the recording's allow-list (scrubbed) had that many numbers."""
    return tuple(str(FIRST_REPLAY_NUMBER + n) for n in range(max(1, recipients)))


class CaseReplayer:
    """A ``responses`` callback answering from the running case's recording (module doc)."""

    def __init__(self, cassettes: Iterable[Cassette], scrubber: Scrubber, fallback: Answer) -> None:
        self._by_check: dict[str, list[Interaction]] = {}
        for cassette in cassettes:
            for interaction in cassette.interactions:
                self._by_check.setdefault(interaction.check_id, []).append(interaction)
        self._scrubber = scrubber
        self._fallback = fallback
        self._current: tuple[str, str] | None = None
        self._used: dict[tuple[str, str], set[int]] = {}
        self.replayed = 0
        self.fell_back = 0

    @property
    def recorded_checks(self) -> frozenset[str]:
        return frozenset(self._by_check)

    @contextmanager
    def for_case(self, check_id: str, case_id: str) -> Iterator[None]:
        """Answer from this case's recording while the block runs."""
        previous, self._current = self._current, (check_id, case_id)
        try:
            yield
        finally:
            self._current = previous

    def answer(self, request: HttpRequest) -> Interaction | None:
        """The recorded interaction for ``request``; ``None``: the simulator answers it."""
        if self._current is None or self._current[0] not in self._by_check:
            return None
        check_id, case_id = self._current
        recorded = self._by_check[check_id]
        actual = scrub_request(self._scrubber, request)
        used = self._used.setdefault(self._current, set())
        case = [(n, i) for n, i in enumerate(recorded) if i.case_id == case_id]
        miss: CassetteMiss | None = None
        # Unused interactions first (recorded order), then any of the case again (repeats).
        for pool in ([(n, i) for n, i in case if n not in used], case):
            if not pool:
                continue
            try:
                hit = find_match([i for _, i in pool], actual)
            except CassetteMiss as exc:
                miss = exc
                continue
            used.add(next(n for n, i in pool if i is hit))
            return hit
        if is_token_request(request):
            return None
        where = f"replaying check {check_id} case {case_id}"
        if not case:
            raise RecordingEnded(
                f"not recorded: {where}: the cassette holds no interaction of this case (the "
                "recording run stopped before it)"
            )
        if len(used) == len(case):
            raise RecordingEnded(
                f"not recorded: {where}: the recording of this case ends before this request "
                "(the recording run stopped before sending it)"
            )
        raise CassetteMiss(f"{where}: {miss}{_STALE}")

    def __call__(self, prepared: requests.PreparedRequest) -> Reply:
        interaction = self.answer(to_http_request(prepared))
        if interaction is None:
            self.fell_back += 1
            return self._fallback(prepared)
        self.replayed += 1
        if interaction.response is None:
            raise lost_connection(prepared)
        recorded = interaction.response
        return recorded.status, dict(recorded.headers), recorded.content()


class SimulatorFallback:
    """The in-process simulator, with a replayed (placeholder) bearer token swapped for one
    the simulator issued."""

    def __init__(self, simulator: Simulator, *, rest_base_url: str, auth_base_url: str) -> None:
        self._simulator = simulator
        self._auth_base_url = auth_base_url
        self._answer = simulator_callback(simulator)
        self._token: tuple[str, float] | None = None

    def __call__(self, prepared: requests.PreparedRequest) -> Reply:
        authorization = prepared.headers.get("Authorization")
        if authorization is not None and _PLACEHOLDER_BEARER.fullmatch(authorization):
            token = self._simulator_token()
            if token is not None:
                prepared = prepared.copy()
                prepared.headers["Authorization"] = f"Bearer {token}"
        return self._answer(prepared)

    def _simulator_token(self) -> str | None:
        now = self._simulator.clock.now()
        lifetime = self._simulator.config.advertised_expires_in
        if self._token is not None and now - self._token[1] < lifetime:
            return self._token[0]
        credentials = self._simulator.config.credentials
        request = token_request(
            self._auth_base_url + TOKEN_PATH,
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            account_id=credentials.account_id,
        )
        response = WsgiTransport(self._simulator).send(request, Timeouts())
        issued = response.json_or_none()
        if response.status != 200 or not isinstance(issued, dict):
            return None
        token = issued.get("access_token")
        if not isinstance(token, str):
            return None
        self._token = (token, now)
        return token


@contextmanager
def replaying_with_simulator(
    cassettes: Sequence[Cassette],
    simulator: Simulator,
    scrubber: Scrubber,
    *,
    rest_base_url: str,
    auth_base_url: str,
) -> Iterator[CaseReplayer]:
    """Serve ``cassettes`` case by case, and ``simulator`` for the rest, to every ``requests``
    call made inside the block; any other host is refused (``UnsafeTargetError``)."""
    fallback = SimulatorFallback(
        simulator, rest_base_url=rest_base_url, auth_base_url=auth_base_url
    )
    replayer = CaseReplayer(cassettes, scrubber, fallback)
    bases = [rest_base_url, auth_base_url]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        add_hosts(mock, replayer, bases)
        add_hermetic_guard(mock, bases)
        simulator.advertise(rest_base_url)
        try:
            yield replayer
        finally:
            simulator.advertise(None)
