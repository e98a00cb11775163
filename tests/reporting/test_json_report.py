"""The JSON report: everything in the run, in the structure docs/report-format.md documents."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sms_contract.outcomes import NotJudged, Verdict
from sms_contract.reporting import json_report
from tests.reporting.conftest import BUDGET, REPLAY, THROTTLED, check, make_run, without

DOC = Path(__file__).resolve().parents[2] / "docs" / "report-format.md"


def documented_objects() -> dict[str, list[str]]:
    """Each '### Object: `path`' section of the doc, with the fields its table lists."""
    objects: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.fullmatch(r"### Object: `(.+)`", line)
        if heading:
            current = objects.setdefault(heading.group(1), [])
        elif line.startswith("#"):
            current = None
        elif current is not None:
            row = re.match(r"\| `([a-z_0-9]+)` \|", line)
            if row:
                current.append(row.group(1))
    return objects


def objects_at(document: Any, path: str) -> list[dict[str, Any]]:
    """Every object found at a documented path such as 'checks[].findings[]'."""
    found = [document]
    if path == "(top level)":
        return found
    for part in path.split("."):
        name, many = part.removesuffix("[]"), part.endswith("[]")
        values = [value[name] for value in found if value.get(name) is not None]
        found = [item for value in values for item in value] if many else values
    return found


def test_report_round_trips_through_json_loads_with_format_version_1(run):
    """The report is JSON, its version is 1, and it is pure ASCII."""
    text = json_report.render(run)
    document = json.loads(text)
    assert document["format_version"] == 1
    assert text.isascii()
    assert text.endswith("}\n")


def test_top_level_keys_are_exactly_those_documented_in_order(run):
    """The top-level fields, in order, are the ones docs/report-format.md lists."""
    document = json.loads(json_report.render(run))
    assert list(document) == documented_objects()["(top level)"]


@pytest.mark.parametrize(
    "path",
    [
        "summary",
        "spending",
        "checks[]",
        "checks[].claim",
        "checks[].not_judged[]",
        "checks[].example",
        "checks[].findings[]",
        "checks[].findings[].evidence[]",
        "checks[].findings[].evidence[].request",
        "checks[].findings[].evidence[].response",
    ],
)
def test_every_nested_object_has_exactly_the_documented_fields(run, path):
    """Each documented object, wherever it occurs in the sample, has the listed keys in order."""
    documented = documented_objects()
    found = objects_at(json.loads(json_report.render(run)), path)
    assert found, f"the sample run has no object at {path}"
    assert all(list(obj) == documented[path] for obj in found)


def test_doc_covers_every_object_the_tests_check():
    """No object section in the doc is left unchecked (or misspelled)."""
    assert set(documented_objects()) == {
        "(top level)",
        "summary",
        "spending",
        "checks[]",
        "checks[].claim",
        "checks[].not_judged[]",
        "checks[].example",
        "checks[].findings[]",
        "checks[].findings[].evidence[]",
        "checks[].findings[].evidence[].request",
        "checks[].findings[].evidence[].response",
    }


def test_doc_example_parses_and_has_the_documented_top_level_keys():
    """The example in the doc is valid JSON in the documented shape."""
    block = re.search(r"```json\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert block is not None
    example = json.loads(block.group(1))
    assert list(example) == documented_objects()["(top level)"]


def test_doc_example_has_the_documented_fields_in_every_object_it_shows():
    """Every object in the example, nested ones included, lists the documented fields in order."""
    block = re.search(r"```json\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert block is not None
    example = json.loads(block.group(1))
    for path, fields in documented_objects().items():
        found = objects_at(example, path)
        assert found, f"the example has no object at {path}"
        assert all(list(obj) == fields for obj in found), path


def test_summary_counts_checks_by_verdict_with_the_exit_code(run):
    """One of each verdict; the failure makes the run violated with exit code 1."""
    document = json.loads(json_report.render(run))
    assert document["summary"] == {
        "total": 5,
        "pass": 1,
        "fail": 1,
        "observed": 1,
        "skipped": 1,
        "incomplete": 1,
        "counted_as_failures": 1,
    }
    assert (document["violated"], document["exit_code"], document["strict"]) == (True, 1, False)
    assert (document["result"], document["allow_incomplete"], document["stopped"]) == (
        "failed",
        False,
        None,
    )


def test_spending_states_what_was_spent_against_the_budget(run):
    """Sends, requests and their limits come through unchanged."""
    document = json.loads(json_report.render(run))
    assert document["spending"] == {
        "accepted_sends": 3,
        "possibly_accepted": 1,
        "max_sends": 5,
        "requests": 12,
        "max_requests": 100,
        "token_requests": 2,
        "throttled": 0,
    }


def test_failing_check_carries_claim_findings_evidence_and_replay(run):
    """The failed check holds its claim, verdict, scrubbed exchanges and replay commands."""
    failed = json.loads(json_report.render(run))["checks"][1]
    assert (failed["id"], failed["verdict"], failed["counts_as_failure"]) == (
        "SEND-ECHO-KEY",
        "fail",
        True,
    )
    assert failed["claim"] == {
        "text": "claim of SEND-ECHO-KEY",
        "source": "https://developer.salesforce.com/docs/example/sendSMSMessageSingleRecipient.html",
        "quote": "quote of SEND-ECHO-KEY",
        "documented": True,
    }
    finding = failed["findings"][0]
    assert finding["replay"] == REPLAY
    send = finding["evidence"][1]
    assert send["request"]["headers"]["Authorization"] == "<redacted>"
    assert send["request"]["body"]["recipient"]["to"] == "<phone-1>"
    assert send["response"] == {
        "status": 202,
        "headers": {"Content-Type": "application/json"},
        "body": {"requestId": "r-1", "errorcode": 0, "responses": [{"messageKey": "other"}]},
    }


def test_strict_run_counts_the_observation_as_a_failure(make):
    """Under --strict the observed check counts, and the summary says so."""
    document = json.loads(json_report.render(make(strict=True)))
    observed = document["checks"][2]
    assert (observed["verdict"], observed["counts_as_failure"]) == ("observed", True)
    assert document["summary"]["counted_as_failures"] == 2


def test_skipped_check_has_its_reason_and_no_findings(run):
    """A skip says why; a pass and a skip have no findings."""
    checks = json.loads(json_report.render(run))["checks"]
    assert (checks[3]["skip_reason"], checks[3]["findings"]) == (
        "the mock has no status endpoint",
        [],
    )
    assert (checks[0]["skip_reason"], checks[0]["findings"]) == (None, [])


def test_rendering_the_same_run_twice_gives_the_same_bytes(make):
    """Deterministic output: two renders of equal runs are identical."""
    assert json_report.render(make()) == json_report.render(make())


def test_non_ascii_and_lone_surrogates_survive_as_escapes(make):
    """Any string round-trips: non-ASCII and unpaired surrogates are JSON escapes."""
    message = "émoji 📱 and a lone \ud800"
    text = json_report.render(make(fail_message=message))
    assert text.isascii()
    assert json.loads(text)["checks"][1]["findings"][0]["message"] == message


def test_incomplete_run_has_result_incomplete_and_exit_code_4(make):
    """Nothing violated but not everything judged: result "incomplete", exit code 4."""
    document = json.loads(json_report.render(without(make(), Verdict.FAIL)))
    assert (document["violated"], document["result"], document["exit_code"]) == (
        False,
        "incomplete",
        4,
    )
    assert document["allow_incomplete"] is False


def test_allow_incomplete_exits_0_but_the_result_stays_incomplete(make):
    """--allow-incomplete changes the exit code only; the result still says incomplete."""
    document = json.loads(json_report.render(without(make(allow_incomplete=True), Verdict.FAIL)))
    assert (document["allow_incomplete"], document["result"], document["exit_code"]) == (
        True,
        "incomplete",
        0,
    )


def test_a_run_that_judged_nothing_exits_4_even_with_allow_incomplete(make):
    """Every check skipped or unanswered: incomplete and 4, whatever --allow-incomplete says."""
    run = make(allow_incomplete=True)
    unanswered = check(
        "SEND-NONE",
        Verdict.INCOMPLETE,
        cases=0,
        not_judged=(NotJudged("c-none-1", "transport: connection refused"),),
    )
    skipped = without(run, Verdict.FAIL, Verdict.PASS, Verdict.OBSERVED, Verdict.INCOMPLETE)
    for nothing in (skipped, replace(skipped, checks=(*skipped.checks, unanswered))):
        document = json.loads(json_report.render(nothing))
        assert (document["result"], document["exit_code"]) == ("incomplete", 4)


def test_a_violation_wins_over_cases_not_judged(run):
    """A failure and an incomplete check: result "failed", exit code 1."""
    document = json.loads(json_report.render(run))
    assert (document["result"], document["exit_code"]) == ("failed", 1)


def test_complete_run_without_violations_is_ok_with_exit_code_0(make):
    """Pass, observation and a skip (a missing capability): result "ok", exit code 0."""
    document = json.loads(json_report.render(without(make(), Verdict.FAIL, Verdict.INCOMPLETE)))
    assert (document["result"], document["exit_code"]) == ("ok", 0)


def test_incomplete_check_carries_planned_cases_and_every_case_not_judged_in_order(run):
    """planned, cases judged, and one {case_id, reason} per case not judged, as the run gave."""
    incomplete = json.loads(json_report.render(run))["checks"][4]
    assert (incomplete["id"], incomplete["verdict"], incomplete["counts_as_failure"]) == (
        "SEND-DUPLICATE-KEY",
        "incomplete",
        False,
    )
    assert (incomplete["planned"], incomplete["cases"]) == (4, 1)
    assert incomplete["not_judged"] == [
        {"case_id": "c-dup-2", "reason": BUDGET},
        {"case_id": "c-dup-3", "reason": THROTTLED},
        {"case_id": "c-dup-4", "reason": BUDGET},
    ]
    assert incomplete["skip_reason"] is None


def test_failed_check_with_cases_not_judged_shows_both(run, make):
    """The failure stands with its findings, and the cases it could not judge are listed."""
    failing = replace(run.checks[1], not_judged=(NotJudged("c-echo-2", THROTTLED),), planned=4)
    checks = json.loads(json_report.render(replace(run, checks=(failing,))))["checks"]
    assert (checks[0]["verdict"], checks[0]["counts_as_failure"]) == ("fail", True)
    assert (checks[0]["planned"], checks[0]["cases"]) == (4, 3)
    assert checks[0]["not_judged"] == [{"case_id": "c-echo-2", "reason": THROTTLED}]
    assert checks[0]["not_judged_summary"] == "1 of 4 cases not judged"
    assert checks[0]["not_judged_reasons"] == [f"{THROTTLED} (case c-echo-2)"]
    assert checks[0]["findings"][0]["case_id"] == "c-echo-1"


def test_complete_checks_have_an_empty_not_judged_and_the_plan_they_judged(run):
    """A pass judged all it planned; a skip planned and judged nothing."""
    checks = json.loads(json_report.render(run))["checks"]
    assert [(c["planned"], c["cases"], c["not_judged"]) for c in checks[:4]] == [
        (3, 3, []),
        (3, 3, []),
        (3, 3, []),
        (0, 0, []),
    ]


def test_skip_reason_is_only_for_skipped_checks(make):
    """A check that ran never carries a skip reason, whatever it was given."""
    run = make()
    partial = replace(run.checks[0], skip_reason="1 of 3 cases not judged (budget: spent)")
    checks = json.loads(json_report.render(replace(run, checks=(partial, run.checks[3]))))["checks"]
    assert [(c["verdict"], c["skip_reason"]) for c in checks] == [
        ("pass", None),
        ("skipped", "the mock has no status endpoint"),
    ]


def test_why_the_run_stopped_early_is_a_string(make):
    """stopped says why the run stopped sending; null when it did not."""
    document = json.loads(json_report.render(make(stopped=BUDGET)))
    assert document["stopped"] == BUDGET


def test_partial_judging_is_stated_in_the_words_every_report_uses(run):
    """The incomplete check says "3 of 4 cases not judged" and each reason once with its
    cases, as the HTML, JUnit and Markdown reports say it; a complete check says nothing."""
    checks = json.loads(json_report.render(run))["checks"]
    incomplete = checks[4]
    assert incomplete["not_judged_summary"] == "3 of 4 cases not judged"
    assert incomplete["not_judged_reasons"] == [
        f"{BUDGET} (cases c-dup-2 and c-dup-4)",
        f"{THROTTLED} (case c-dup-3)",
    ]
    assert [(c["not_judged_summary"], c["not_judged_reasons"]) for c in checks[:4]] == [
        (None, [])
    ] * 4


def test_an_incomplete_check_that_names_no_case_still_says_so(make):
    """A check the runner marked incomplete without naming a case gets the one reason every
    report gives for it, and no invented count."""
    bare = check("SEND-ECHO-KEY", Verdict.INCOMPLETE, cases=0, planned=0)
    document = json.loads(json_report.render(replace(make(), checks=(bare,))))
    assert document["checks"][0]["not_judged_summary"] == "not every case was judged"
    assert document["checks"][0]["not_judged_reasons"] == ["not judged: the run gave no reason"]


def test_only_a_pass_carries_its_example_exchange_scrubbed(run):
    """The passing check's example is its request (method, URL, headers, body), response
    (status, headers, body) and curl line, scrubbed; every other verdict has null, even when
    the outcome was handed one."""
    document = json.loads(json_report.render(run))
    example = document["checks"][0]["example"]
    assert document["checks"][0]["verdict"] == "pass"
    assert list(example) == ["request", "response", "curl"]
    assert example["request"]["method"] == "POST"
    assert example["request"]["url"].endswith("/messaging/v1/sms/messages/key-1")
    assert example["request"]["headers"]["Authorization"] == "<redacted>"
    assert example["request"]["body"]["recipient"]["to"].startswith("<phone-")
    assert example["response"]["status"] == 202
    assert example["response"]["body"]["responses"] == [{"messageKey": "key-1"}]
    assert example["curl"].startswith("curl -X POST")
    assert [c["example"] for c in document["checks"][1:]] == [None] * 4
    given = replace(
        run, checks=tuple(replace(c, example=run.checks[0].example) for c in run.checks)
    )
    assert [c["example"] is None for c in json.loads(json_report.render(given))["checks"]] == [
        False,
        True,
        True,
        True,
        True,
    ]


def test_doc_example_states_what_was_not_judged_as_the_report_computes_it():
    """The doc's example gives not_judged_summary and not_judged_reasons exactly as the
    report writes them for its planned, cases and not_judged."""
    block = re.search(r"```json\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert block is not None
    for shown in json.loads(block.group(1))["checks"]:
        outcome = check(
            shown["id"],
            Verdict(shown["verdict"]),
            cases=shown["cases"],
            planned=shown["planned"],
            not_judged=tuple(NotJudged(n["case_id"], n["reason"]) for n in shown["not_judged"]),
        )
        computed = json_report.as_document(replace(make_run(), checks=(outcome,)))["checks"][0]
        assert shown["not_judged_summary"] == computed["not_judged_summary"], shown["id"]
        assert shown["not_judged_reasons"] == computed["not_judged_reasons"], shown["id"]
