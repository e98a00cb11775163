"""SPEC-BREADTH judges the request the server reads: path parameters decoded, recipients
pinned to the allow-list; what a seed generates does not depend on where it runs."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest

from sms_contract.checks import breadth
from sms_contract.checks.breadth import SPEC_BREADTH
from sms_contract.checks.model import PlanContext
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
