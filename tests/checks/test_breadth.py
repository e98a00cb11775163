"""SPEC-BREADTH judges the request the server reads: path parameters decoded, recipients
pinned to the allow-list; what a seed generates does not depend on where it runs."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest

from sms_contract.checks import breadth
from sms_contract.checks.breadth import SPEC_BREADTH
from sms_contract.checks.model import Case, Expect, Judgement, PlanContext, Step
from sms_contract.exchange import Exchange, HttpRequest, HttpResponse
from sms_contract.outcomes import Verdict
from sms_contract.spec.loading import load_spec
from sms_contract.spec.rules import looks_deliverable

NUMBER = "15555551234"
CONTEXT = PlanContext(seed=3, examples=5, definition_key="account-reset", allow_list=(NUMBER,))


def test_the_message_key_judged_is_the_one_in_the_path_decoded() -> None:
    """Schemathesis encodes path parameters; the step's messageKey is the decoded segment."""
    keyed = [
        case.steps[0]
        for case in SPEC_BREADTH.plan(CONTEXT)
        if case.steps[0].message_key is not None
    ]
    assert len(keyed) >= 10
    for step in keyed:
        segment = step.path.split("?", 1)[0].removeprefix("/messaging/v1/sms/messages/")
        assert unquote(segment.split("/", 1)[0]) == step.message_key


def test_every_deliverable_recipient_is_on_the_allow_list() -> None:
    """A generated 'to' that a carrier could deliver to is replaced by the allow-listed number."""
    recipients = []
    for case in SPEC_BREADTH.plan(CONTEXT):
        body = case.steps[0].wire_body()
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            continue
        found = [payload.get("recipient")] if isinstance(payload, dict) else []
        if isinstance(payload, dict) and isinstance(payload.get("recipients"), list):
            found += payload["recipients"]
        recipients += [r["to"] for r in found if isinstance(r, dict) and "to" in r]
    assert recipients != []
    assert {to for to in recipients if looks_deliverable(to)} <= {NUMBER}


def test_a_schemathesis_toml_where_the_command_runs_does_not_change_the_cases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Schemathesis reads a schemathesis.toml from the working directory up; the breadth
    check builds its schema with Schemathesis' defaults, so a seed plans the same cases in
    any directory (here one whose toml would generate ASCII only, without NUL)."""
    expected = [case.steps for case in SPEC_BREADTH.plan(CONTEXT)]
    (tmp_path / "schemathesis.toml").write_text(
        '[generation]\ncodec = "ascii"\nallow-x00 = false\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    breadth._strategies.cache_clear()  # built again, where the toml is
    try:
        assert [case.steps for case in SPEC_BREADTH.plan(CONTEXT)] == expected
    finally:
        breadth._strategies.cache_clear()


def test_the_spec_declares_no_header_or_cookie_parameter() -> None:
    """What ``sent_mode`` rests on: the only header Schemathesis generates is the security
    scheme's Authorization, which the client replaces with the run's token. A header or cookie
    parameter added to the spec would be sent as generated, and this must be looked at again."""
    raw = load_spec().raw
    declared = [
        (path, parameter.get("in"))
        for path, item in raw["paths"].items()
        for owner in (item, *(op for op in item.values() if isinstance(op, dict)))
        for parameter in owner.get("parameters", [])
        if isinstance(parameter, dict) and "$ref" not in parameter
    ]
    declared += [
        ("#/components/parameters", parameter.get("in"))
        for parameter in raw.get("components", {}).get("parameters", {}).values()
    ]
    assert declared != []
    assert [entry for entry in declared if entry[1] in ("header", "cookie")] == []


def test_a_negative_case_negative_only_in_its_authorization_header_goes_out_as_positive() -> None:
    """Schemathesis' negative cases whose only negative part is the Authorization header send a
    valid request (the run sends its own token): they are planned as positive cases, saying so,
    and every case planned as negative is negative in its path, query or body."""
    from schemathesis import GenerationMode
    from schemathesis.core.parameters import ParameterLocation

    from sms_contract.strategies.sampling import draw

    seen = {GenerationMode.POSITIVE: 0, GenerationMode.NEGATIVE: 0}
    for index, _, mode, strategy in breadth._strategies():
        if mode is not GenerationMode.NEGATIVE:
            continue
        for case in draw(strategy, 5, CONTEXT.seed + index):
            sent = breadth.sent_mode(case, mode)
            seen[sent] += 1
            modes = {location: info.mode for location, info in case.meta.components.items()}
            outside = [m for loc, m in modes.items() if loc is not ParameterLocation.HEADER]
            assert (sent is GenerationMode.NEGATIVE) == (GenerationMode.NEGATIVE in outside)
    assert seen[GenerationMode.POSITIVE] > 0
    assert seen[GenerationMode.NEGATIVE] > 0

    relabelled = [c for c in SPEC_BREADTH.plan(CONTEXT) if "drawn as negative" in c.description]
    assert len(relabelled) == seen[GenerationMode.POSITIVE]
    for case in relabelled:
        assert case.description.startswith("positive case for ")
        assert case.steps[0].expect is Expect.ACCEPT


def _answered(step: Step, status: int, body: object) -> list[Judgement]:
    request = HttpRequest(step.method, f"https://sms.invalid{step.path}", {}, step.wire_body())
    response = HttpResponse(status, {"Content-Type": "application/json"}, json.dumps(body).encode())
    case = Case("SPEC-BREADTH#1", "SPEC-BREADTH", "negative case", (step,))
    return list(SPEC_BREADTH.judge(case, [Exchange(request, response)]))


NOT_SENT_PAGE = {"lastEventID": 1, "messages": [], "count": 0, "pageSize": 10}


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("type=sent", "query parameter type: is not one of ['notSent']"),
        ("$pageSize=ten&type=notSent", "query parameter $pageSize: is not an integer"),
        ("lastEventId=1&lastEventId=2&type=notSent", "lastEventId: is given 2 times"),
        ("$pageSize=10", "query parameter type: is required"),
    ],
)
def test_an_accepted_request_whose_query_breaks_the_spec_is_observed_not_failed(
    query: str, said: str
) -> None:
    """The docs type the notSent query but never say a request breaking it is refused: a
    server that answers it 200 is observed (named parameter, no value), never failed."""
    step = Step(
        "getSMSsNotSentToRecipients",
        "GET",
        f"/messaging/v1/sms/messages/?{query}",
        Expect.ANY,
        body=None,
        content_type=None,
    )
    (judgement,) = _answered(step, 200, NOT_SENT_PAGE)
    assert judgement.verdict is Verdict.OBSERVED
    assert said in judgement.message
    assert "does not say such a request is refused" in judgement.message


def test_a_valid_query_accepted_holds_and_a_broken_body_accepted_still_fails() -> None:
    valid = Step(
        "getSMSsNotSentToRecipients",
        "GET",
        "/messaging/v1/sms/messages/?type=notSent&$pageSize=10&unknown=1",
        Expect.ANY,
        body=None,
        content_type=None,
    )
    assert _answered(valid, 200, NOT_SENT_PAGE) == []
    broken = Step(
        "sendSmsToSingleRecipient",
        "POST",
        "/messaging/v1/sms/messages/k1",
        Expect.ANY,
        json={"recipient": {"to": NUMBER}},
        message_key="k1",
    )
    accepted = {"requestId": "r", "errorcode": 0, "responses": [{"messageKey": "k1"}]}
    failed = [j.message for j in _answered(broken, 202, accepted) if j.verdict is Verdict.FAIL]
    assert any("accepted a request that breaks the spec" in m for m in failed), failed
