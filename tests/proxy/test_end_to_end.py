"""The reference client through the proxy to the served simulator: every exchange is judged
with the catalogue's passive claims, a conformant simulator shows no failure, and each
deviation shows as the failed claim it breaks."""

from __future__ import annotations

import http.client
from concurrent.futures import ThreadPoolExecutor

import pytest

from sms_contract.client.results import Accepted, Rejected
from sms_contract.outcomes import RunOutcome, Verdict
from sms_contract.proxy import watch as watch_module
from sms_contract.simulator.config import Deviation, Faults, SimulatorConfig
from sms_contract.spec.rules import RejectionForm
from tests.proxy.conftest import client, deviating, payload, proxy, upstream

pytestmark = pytest.mark.loopback

KEY = "order/42 #1"  # a key with reserved characters: the echo is worth judging


def _traffic(base_url: str, config: SimulatorConfig | None = None) -> None:
    """What an application typically does: a token, a send, its status, the same key again."""
    credentials = (config or SimulatorConfig()).credentials
    with client(base_url, credentials) as app:
        app.send_to_one(payload(FirstName="Ada"), message_key=KEY)
        app.message_status(KEY)
        app.send_to_one(payload(), message_key=KEY)


def _verdicts(result: RunOutcome) -> dict[str, Verdict]:
    return {check.check_id: check.verdict for check in result.checks}


def test_a_conformant_upstream_holds_every_claim_the_traffic_reaches() -> None:
    """Token, send, status and a reused key: every passive claim is judged and passes, and
    one line per exchange names its status and operation."""
    with upstream() as up, proxy(up.base_url) as proxied:
        _traffic(proxied.base_url)
        result = proxied.watch.outcome()
    verdicts = _verdicts(result)
    assert set(verdicts.values()) == {Verdict.PASS}, verdicts
    assert set(verdicts) == {
        "SEND-ECHO-KEY",
        "SEND-DUPLICATE-KEY",
        "SEND-NO-5XX",
        "SEND-STATUS-CODES",
        "SEND-CONTENT-TYPE",
        "SEND-RESPONSE-SCHEMA",
        "SEND-REQUEST-ID",
        "SEND-ERRORCODE",
        "TOKEN-CONTRACT",
        "STATUS-AFTER-SEND",
    }
    assert result.exit_code == 0
    assert result.target == "proxy"
    assert [line.split(" ", 1)[0] for line in proxied.lines] == ["#1", "#2", "#3", "#4"]
    assert "POST /v2/token -> 200" in proxied.lines[0]
    assert "-> 202 in " in proxied.lines[1]
    assert "sendSmsToSingleRecipient" in proxied.lines[1]
    assert "-> 400 in " in proxied.lines[3]  # the reuse, refused as documented (109110)
    assert result.spending.requests == 4
    assert result.spending.accepted_sends == 1


@pytest.mark.parametrize(
    ("deviation", "failed"),
    [
        (Deviation.MISSING_REQUEST_ID, "SEND-REQUEST-ID"),
        (Deviation.ECHO_ALTERED_KEY, "SEND-ECHO-KEY"),
        (Deviation.WRONG_CONTENT_TYPE, "SEND-CONTENT-TYPE"),
        (Deviation.ACCEPT_DUPLICATE_KEY, "SEND-DUPLICATE-KEY"),
        (Deviation.STATUS_WRONG_KEY, "STATUS-AFTER-SEND"),
        (Deviation.TOKEN_MISSING_FIELDS, "TOKEN-CONTRACT"),
        (Deviation.ERRORCODE_MISSING, "SEND-ERRORCODE"),
    ],
)
def test_a_deviation_shows_as_the_failed_claim(deviation: Deviation, failed: str) -> None:
    """The claim the simulator breaks fails in the report, with a finding naming the exchange
    and its scrubbed evidence; the session exits 1."""
    config = deviating(deviation)
    with upstream(config) as up, proxy(up.base_url) as proxied:
        _traffic(proxied.base_url, config)
        result = proxied.watch.outcome()
    check = next(c for c in result.checks if c.check_id == failed)
    assert check.verdict is Verdict.FAIL
    finding = check.failures[0]
    assert finding.case_id.startswith("PROXY#")
    assert finding.evidence
    assert finding.evidence[0].response is not None
    assert result.exit_code == 1
    assert any(f"FAIL {failed}" in line or f", {failed}" in line for line in proxied.lines)


def test_a_lost_answer_is_not_judged_and_the_connection_is_closed_unanswered() -> None:
    """The simulator processes a send and drops the connection: the client's connection is
    dropped too (its retry, with the same key, reads 109110 as the earlier acceptance), and
    the report lists the lost exchange as not judged (exit 4)."""
    config = SimulatorConfig(faults=Faults(drop_next_sends=1))
    with upstream(config) as up, proxy(up.base_url) as proxied:
        with client(proxied.base_url, config.credentials) as app:
            result = app.send_to_one(payload(), message_key="lost-1")
        outcome = proxied.watch.outcome()
    assert isinstance(result, Accepted)
    assert result.on_earlier_attempt
    assert any("no answer" in line and "not judged" in line for line in proxied.lines)
    codes = next(c for c in outcome.checks if c.check_id == "SEND-STATUS-CODES")
    assert codes.verdict is Verdict.INCOMPLETE
    assert "no answer from the upstream" in codes.not_judged[0].reason
    assert outcome.exit_code == 4


def test_a_path_outside_the_sms_api_is_forwarded_and_neither_judged_nor_shown() -> None:
    """A request to another route is forwarded as it is; its line shows no path (it may hold
    data no scrubbing rule knows), and no claim counts it."""
    with upstream() as up, proxy(up.base_url) as proxied:
        connection = http.client.HTTPConnection(proxied.handle.host, proxied.handle.port)
        try:
            connection.request("GET", "/contacts/v1/someone@example.com")
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        outcome = proxied.watch.outcome()
    assert response.status == 404  # the simulator's answer, passed on
    assert up.wire.seen[0].target == "/contacts/v1/someone@example.com"
    assert proxied.lines == [
        "#1 GET (a path outside the SMS API) -> 404: forwarded, not judged, not recorded"
    ]
    assert all(check.verdict is Verdict.SKIPPED for check in outcome.checks)
    assert outcome.exit_code == 4  # nothing was judged


def test_concurrent_clients_all_get_their_answers_and_every_exchange_is_judged() -> None:
    """Eight clients sending ten messages each at once: all 80 are accepted with their own
    key echoed, each exchange has one number and one line, and every send is judged."""
    threads, sends = 8, 10
    with upstream() as up, proxy(up.base_url) as proxied:

        def application(n: int) -> list[object]:
            with client(proxied.base_url, up.credentials) as app:
                return [
                    app.send_to_one(payload(), message_key=f"thread-{n}-send-{m}")
                    for m in range(sends)
                ]

        with ThreadPoolExecutor(max_workers=threads) as pool:
            futures = [pool.submit(application, n) for n in range(threads)]
            results = [r for future in futures for r in future.result(timeout=60)]
        outcome = proxied.watch.outcome()
    assert len(results) == threads * sends
    assert all(isinstance(r, Accepted) for r in results)
    assert len({r.message_key for r in results if isinstance(r, Accepted)}) == threads * sends
    checks = {c.check_id: c for c in outcome.checks}
    assert checks["SEND-ECHO-KEY"].cases == threads * sends
    assert checks["SEND-ECHO-KEY"].verdict is Verdict.PASS
    assert checks["SEND-STATUS-CODES"].cases == threads * sends + threads  # and the tokens
    numbers = [int(line.split(" ", 1)[0][1:]) for line in proxied.lines]
    assert sorted(numbers) == numbers == list(range(1, threads * sends + threads + 1))
    assert outcome.exit_code == 0


def test_a_rejection_inside_a_202_is_read_as_a_rejection() -> None:
    """Both documented rejection forms are read as rejections: a 202 with errorcode 109001
    holds SEND-ERRORCODE, echoes nothing to judge, and counts no accepted send."""
    config = SimulatorConfig(rejection_form=RejectionForm.ACCEPTED_WITH_ERRORS)
    with upstream(config) as up, proxy(up.base_url) as proxied:
        with client(proxied.base_url, config.credentials) as app:
            result = app.send_to_one(payload(number="not-a-number"), message_key="bad-to")
        outcome = proxied.watch.outcome()
    assert isinstance(result, Rejected)
    checks = {c.check_id: c for c in outcome.checks}
    assert checks["SEND-ERRORCODE"].verdict is Verdict.PASS
    assert checks["SEND-ECHO-KEY"].verdict is Verdict.SKIPPED
    assert outcome.spending.accepted_sends == 0


def test_a_fault_while_judging_costs_the_application_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Should judging an exchange fail (a harness bug), the answer still goes back, the line
    says so without a traceback, and the report lists the exchange as not judged."""

    def broken(*args: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(watch_module, "observed_step", broken)
    with upstream() as up, proxy(up.base_url) as proxied:
        with client(proxied.base_url, up.credentials) as app:
            result = app.send_to_one(payload(), message_key="fault-1")
        outcome = proxied.watch.outcome()
    assert isinstance(result, Accepted)
    assert proxied.lines[-1] == (
        "#2 POST: forwarded; harness: judging the exchange failed (KeyError); it was forwarded"
    )
    codes = next(c for c in outcome.checks if c.check_id == "SEND-STATUS-CODES")
    assert codes.verdict is Verdict.INCOMPLETE
    assert outcome.exit_code == 4


def test_a_429_is_passed_on_and_never_judged() -> None:
    """Throttling is honoured, never a violation: the 429 reaches the client, the line says
    it was not judged, and the report counts it as throttled."""
    config = SimulatorConfig(faults=Faults(rate_limit_every=1, retry_after=0))
    with upstream(config) as up, proxy(up.base_url) as proxied:
        connection = http.client.HTTPConnection(proxied.handle.host, proxied.handle.port)
        try:
            connection.request("GET", "/messaging/v1/sms/messages/throttled-1")
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        outcome = proxied.watch.outcome()
    assert response.status == 429
    assert proxied.lines[0].endswith(": throttled (429), never judged")
    assert outcome.spending.throttled == 1
    assert all(check.verdict is Verdict.SKIPPED for check in outcome.checks)
