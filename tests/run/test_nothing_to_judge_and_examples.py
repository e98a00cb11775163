"""A claim with nothing to judge is never a pass, a conformant run stays complete, and every
passing check keeps one scrubbed example exchange for the reports. Against the in-process
mock (the ``mock`` fixture): no socket is opened."""

from __future__ import annotations

from typing import Any

import pytest

from sms_contract.outcomes import Result, Verdict
from sms_contract.simulator.config import DEFAULT_CLIENT_SECRET, SimulatorConfig
from tests.run.conftest import NUMBER, MockRunner

# The claims that read the answer to an accepted send: with none accepted, none can hold.
READ_AN_ACCEPTED_SEND = (
    "SEND-EXAMPLE",
    "SEND-ACCEPTED",
    "SEND-ECHO-KEY",
    "SEND-DUPLICATE-KEY",
    "SEND-CONTENT",
    "SEND-BATCH-ACCEPTED",
    "SEND-REJECT-MESSAGE-KEY-REUSED",
    "STATUS-AFTER-SEND",
    "SEND-REQUEST-ID",
)
NOTHING_KNOWN_NOT_SENT = "not judged: no message of this run is known not sent"


def test_a_claim_that_applied_to_no_case_is_incomplete_with_the_reason(mock: MockRunner) -> None:
    """NOT-SENT#2 alone (its replay line) on a target that rejects the bad number at once: no
    message of the run is known not sent, so the claim that the list holds one was not judged,
    and the check says so instead of passing."""
    run = mock(SimulatorConfig(), "NOT-SENT", case_id="NOT-SENT#2")
    outcome = run.check("NOT-SENT")
    assert outcome.verdict is Verdict.INCOMPLETE
    assert (outcome.cases, outcome.planned) == (0, 1)
    assert [item.case_id for item in outcome.not_judged] == ["NOT-SENT#2"]
    assert outcome.not_judged[0].reason.startswith(NOTHING_KNOWN_NOT_SENT)
    assert outcome.example is None
    assert (run.outcome.result, run.outcome.exit_code) == (Result.INCOMPLETE, 4)


def test_a_case_the_claim_did_not_apply_to_holds_beside_one_it_did(mock: MockRunner) -> None:
    """The whole of NOT-SENT on the same target: the list's shape was judged (case 1), so the
    check passes with both cases counted, and nothing is listed as not judged."""
    outcome = mock(SimulatorConfig(), "NOT-SENT").check("NOT-SENT")
    assert outcome.verdict is Verdict.PASS
    assert (outcome.cases, outcome.planned, outcome.not_judged) == (2, 2, ())


@pytest.mark.parametrize(
    ("config", "options"),
    [
        (SimulatorConfig(definitions=()), {}),
        (SimulatorConfig(), {"max_sends": 0}),
    ],
    ids=["target-accepts-no-send", "max-sends-0"],
)
def test_with_no_accepted_send_no_claim_that_reads_one_passes(
    mock: MockRunner, config: SimulatorConfig, options: dict[str, Any]
) -> None:
    """No send accepted (the target knows no send definition, or the budget is 0): every
    claim that reads an accepted send fails or is not judged, every check that is not
    judged says why, no pass rests on zero cases, and the run is not OK."""
    run = mock(config, **options)
    assert run.outcome.spending.accepted_sends == 0
    verdicts = {check: run.check(check).verdict for check in READ_AN_ACCEPTED_SEND}
    assert Verdict.PASS not in verdicts.values(), verdicts
    for outcome in run.outcome.checks:
        if outcome.verdict is Verdict.INCOMPLETE:
            assert outcome.not_judged, outcome.check_id
            assert all(item.reason for item in outcome.not_judged), outcome.check_id
        if outcome.verdict is Verdict.PASS:
            assert outcome.cases > 0, outcome.check_id
    assert run.outcome.result is not Result.OK


def test_a_conformant_run_is_complete_and_each_pass_keeps_a_scrubbed_example(
    mock: MockRunner,
) -> None:
    """The conformant mock, unbounded: the run is OK with nothing incomplete; each passing
    check holds one example exchange (request method, URL, headers and body; response status,
    headers and body; a curl line), scrubbed: neither the allow-listed number nor the client
    secret is in it; nothing but a pass has one."""
    run = mock(SimulatorConfig(), max_sends=None, max_requests=None)
    assert run.outcome.result is Result.OK
    assert [c.check_id for c in run.outcome.checks if not c.complete] == []
    passing = [c for c in run.outcome.checks if c.verdict is Verdict.PASS]
    assert len(passing) > 30
    for outcome in passing:
        example = outcome.example
        assert example is not None, outcome.check_id
        assert set(example.request) == {"method", "url", "headers", "body"}, outcome.check_id
        assert example.response is not None, outcome.check_id
        assert set(example.response) == {"status", "headers", "body"}, outcome.check_id
        assert example.curl.startswith("curl "), outcome.check_id
        shown = repr(example)
        assert NUMBER not in shown, outcome.check_id
        assert DEFAULT_CLIENT_SECRET not in shown, outcome.check_id
    others = [c.check_id for c in run.outcome.checks if c.verdict is not Verdict.PASS]
    assert others
    assert all(run.check(check_id).example is None for check_id in others)


def test_the_example_is_the_exchange_the_claim_rests_on(mock: MockRunner) -> None:
    """SEND-EXAMPLE shows the documented send and its 202; STATUS-AFTER-SEND the status read
    after it (its last exchange) and its 200; TOKEN-CONTRACT the run's token request with the
    secret and the issued token as placeholders."""
    run = mock(SimulatorConfig(), "SEND-EXAMPLE", "STATUS-AFTER-SEND", "TOKEN-CONTRACT")
    send = run.check("SEND-EXAMPLE").example
    status = run.check("STATUS-AFTER-SEND").example
    token = run.check("TOKEN-CONTRACT").example
    assert send is not None
    assert send.response is not None
    assert (send.request["method"], send.response["status"]) == ("POST", 202)
    assert send.request["body"]["recipient"]["to"].startswith("<phone-")
    assert send.request["headers"]["Authorization"] == "<redacted>"
    assert status is not None
    assert status.response is not None
    assert (status.request["method"], status.response["status"]) == ("GET", 200)
    assert token is not None
    assert token.response is not None
    assert token.request["url"].endswith("/v2/token")
    assert token.request["body"]["client_secret"].startswith("<secret-")
    assert token.response["body"]["access_token"].startswith("<secret-")
