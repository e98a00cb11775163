"""The JUnit XML report: one named testcase per check, evidence in failures, what could not
be judged in errors, valid XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from sms_contract.outcomes import NotJudged, Verdict
from sms_contract.reporting import junit
from tests.reporting.conftest import BUDGET, NOT_JUDGED, REPLAY, THROTTLED, check, without

INCOMPLETE = "SEND-DUPLICATE-KEY A repeated messageKey is rejected"


def parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {case.attrib["name"]: case for case in root.iter("testcase")}


def test_report_parses_and_suite_counts_match_the_verdicts(run):
    """The suite counts five tests, one failure, one error (the incomplete check), one skip."""
    suite = parse(junit.render(run)).find("testsuite")
    assert suite is not None
    counts = {k: suite.attrib[k] for k in ("tests", "failures", "errors", "skipped", "time")}
    assert counts == {"tests": "5", "failures": "1", "errors": "1", "skipped": "1", "time": "1.500"}
    assert len(suite.findall("testcase")) == 5
    assert len(suite.findall("testcase/failure")) == 1
    assert len(suite.findall("testcase/error")) == 1
    assert len(suite.findall("testcase/skipped")) == 1


def test_each_check_is_a_testcase_named_by_id_and_title_in_its_category(run):
    """Names are '<ID> <title>' and classnames 'sms_contract.<category slug>'."""
    root = parse(junit.render(run))
    named = {case.attrib["name"]: case.attrib["classname"] for case in root.iter("testcase")}
    assert named == {
        "SEND-ACCEPTED A valid send is accepted with 202": "sms_contract.status_codes",
        "SEND-ECHO-KEY Echoes the messageKey": "sms_contract.status_codes",
        "SEND-PLUS-PREFIX A leading + on the number": "sms_contract.input_validation",
        "STATUS-UNKNOWN-KEY Status of an unknown messageKey": "sms_contract.send_status",
        INCOMPLETE: "sms_contract.idempotency",
    }


def test_failed_claim_is_a_contract_violation_carrying_claim_evidence_and_replay(run):
    """The failure names the violation and its text carries claim, exchanges, curl, replay."""
    case = cases(parse(junit.render(run)))["SEND-ECHO-KEY Echoes the messageKey"]
    failure = case.find("failure")
    assert failure is not None
    assert failure.attrib == {
        "message": "messageKey was not echoed: sent 'key-1', got 'other'",
        "type": "ContractViolation",
    }
    text = failure.text or ""
    assert "Claim: claim of SEND-ECHO-KEY" in text
    assert "Source: https://developer.salesforce.com/docs/example/" in text
    assert '"to": "<phone-1>"' in text
    assert '"messageKey": "other"' in text
    assert "curl 2: curl -X POST 'https://mc-test.rest.marketingcloudapis.com/" in text
    assert f"Replay against mock: {REPLAY['mock']}" in text
    assert f"Replay against live: {REPLAY['live']}" in text


def test_observation_passes_and_records_what_the_target_did_in_system_out(run):
    """Not strict: the observed check has no failure element, and system-out holds the finding."""
    case = cases(parse(junit.render(run)))["SEND-PLUS-PREFIX A leading + on the number"]
    assert case.find("failure") is None
    assert case.find("skipped") is None
    out = case.find("system-out")
    assert out is not None
    assert "observed on case c-plus-1:\n  +15555551234 was accepted (202)" in (out.text or "")


def test_strict_run_reports_an_observation_as_a_failure(make):
    """Under --strict the observed check is a StrictObservation failure and is counted."""
    root = parse(junit.render(make(strict=True)))
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.attrib["failures"] == "2"
    failure = cases(root)["SEND-PLUS-PREFIX A leading + on the number"].find("failure")
    assert failure is not None
    assert failure.attrib == {
        "message": "+15555551234 was accepted (202)",
        "type": "StrictObservation",
    }


def test_skipped_check_carries_its_reason(run):
    """A check that did not run is skipped with the reason as its message."""
    case = cases(parse(junit.render(run)))["STATUS-UNKNOWN-KEY Status of an unknown messageKey"]
    skipped = case.find("skipped")
    assert skipped is not None
    assert skipped.attrib == {"message": "the mock has no status endpoint"}


def test_passing_check_is_a_bare_testcase(run):
    """A pass carries no failure, skip or output."""
    case = cases(parse(junit.render(run)))["SEND-ACCEPTED A valid send is accepted with 202"]
    assert list(case) == []


def test_properties_record_seed_target_spec_version_and_spending(run):
    """The suite's properties say how to reproduce the run and what it spent."""
    root = parse(junit.render(run))
    properties = {p.attrib["name"]: p.attrib["value"] for p in root.iter("property")}
    assert properties == {
        "seed": "42",
        "target": "mock",
        "base_url": "https://mc-test.rest.marketingcloudapis.com",
        "spec_sha256": "ab" * 32,
        "tool_version": "0.1.0",
        "started_at": "2025-01-02T03:04:05Z",
        "strict": "false",
        "allow_incomplete": "false",
        "accepted_sends": "3",
        "possibly_accepted": "1",
        "max_sends": "5",
        "requests": "12",
        "max_requests": "100",
        "token_requests": "2",
        "throttled": "0",
        "result": "failed",
        "exit_code": "1",
    }


def test_properties_record_why_the_run_stopped_and_the_incomplete_result(make):
    """An incomplete run says so, its exit code, --allow-incomplete, and why it stopped."""
    run = without(make(allow_incomplete=True, stopped=BUDGET), Verdict.FAIL)
    properties = {
        p.attrib["name"]: p.attrib["value"] for p in parse(junit.render(run)).iter("property")
    }
    assert {k: properties[k] for k in ("result", "exit_code", "allow_incomplete", "stopped")} == {
        "result": "incomplete",
        "exit_code": "0",
        "allow_incomplete": "true",
        "stopped": BUDGET,
    }


def test_control_characters_and_lone_surrogates_keep_the_xml_well_formed(make):
    """Characters XML forbids are written as \\u escapes instead of breaking the document."""
    run = make(fail_message="bad byte \x00 and \x1b[31m and \ud800 and <tag> & 'quote'")
    failure = cases(parse(junit.render(run)))["SEND-ECHO-KEY Echoes the messageKey"].find("failure")
    assert failure is not None
    assert failure.attrib["message"] == (
        "bad byte \\u0000 and \\u001b[31m and \\ud800 and <tag> & 'quote'"
    )


def test_many_findings_are_summarised_in_the_failure_message(make):
    """The message is the first violation, with how many more follow."""
    run = make()
    failing = run.checks[1]
    double = check("SEND-TWICE", Verdict.FAIL, findings=failing.findings * 2)
    root = parse(junit.render(make(extra=(double,))))
    failure = cases(root)["SEND-TWICE a title"].find("failure")
    assert failure is not None
    assert failure.attrib["message"] == (
        "messageKey was not echoed: sent 'key-1', got 'other' (and 1 more)"
    )
    assert "[2/2] fail on case c-echo-1:" in (failure.text or "")


def test_incomplete_check_is_an_error_not_a_pass_or_a_skip(run):
    """The incomplete check carries an <error type="incomplete"> and nothing that passes it."""
    case = cases(parse(junit.render(run)))[INCOMPLETE]
    assert [child.tag for child in case] == ["error"]
    error = case.find("error")
    assert error is not None
    assert error.attrib == {
        "message": f"3 of 4 cases not judged: {BUDGET} (cases c-dup-2 and c-dup-4); "
        "and 1 more reason",
        "type": "incomplete",
    }


def test_incomplete_error_text_gives_the_claim_the_count_and_each_reason_once(run):
    """The error's text: the claim, how much was judged, then each reason with its cases."""
    error = cases(parse(junit.render(run)))[INCOMPLETE].find("error")
    assert error is not None
    text = error.text or ""
    assert text.startswith("Claim: claim of SEND-DUPLICATE-KEY\n")
    assert text.endswith(
        "\n\n1 of 4 cases judged\n\n"
        "3 of 4 cases not judged:\n"
        f"- {BUDGET} (cases c-dup-2 and c-dup-4)\n"
        f"- {THROTTLED} (case c-dup-3)\n"
    )
    assert text.count(BUDGET) == 1


def test_an_incomplete_run_has_no_passed_testcase_for_the_incomplete_check(make):
    """Without the failure the run is incomplete; its incomplete check still errors."""
    root = parse(junit.render(without(make(), Verdict.FAIL)))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.attrib["failures"], suite.attrib["errors"]) == ("0", "1")
    bare = [case.attrib["name"] for case in root.iter("testcase") if len(case) == 0]
    assert bare == ["SEND-ACCEPTED A valid send is accepted with 202"]
    errors = [
        case.attrib["name"] for case in root.iter("testcase") if case.find("error") is not None
    ]
    assert errors == [INCOMPLETE]


def test_failed_check_with_cases_not_judged_keeps_its_failure_and_lists_them(run, make):
    """The failure stands, is not also an error, and its text says what was not judged."""
    failing = replace(run.checks[1], not_judged=(NotJudged("c-echo-2", THROTTLED),), planned=4)
    root = parse(junit.render(make(extra=(replace(failing, check_id="SEND-ECHO-TWO"),))))
    case = cases(root)["SEND-ECHO-TWO Echoes the messageKey"]
    assert [child.tag for child in case] == ["failure"]
    failure = case.find("failure")
    assert failure is not None
    assert failure.attrib["type"] == "ContractViolation"
    text = failure.text or ""
    assert f"3 of 4 cases judged\n\n1 of 4 cases not judged:\n- {THROTTLED} (case c-echo-2)" in text
    assert "[1/1] fail on case c-echo-1:" in text
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.attrib["failures"], suite.attrib["errors"]) == ("2", "1")


def test_strict_observation_with_cases_not_judged_is_a_failure_that_lists_them(make):
    """Under --strict the promoted observation fails and still names the missing cases."""
    run = make(strict=True)
    observed = replace(run.checks[2], not_judged=(NotJudged("c-plus-2", BUDGET),))
    root = parse(junit.render(replace(run, checks=(observed,))))
    case = cases(root)["SEND-PLUS-PREFIX A leading + on the number"]
    assert [child.tag for child in case] == ["failure"]
    failure = case.find("failure")
    assert failure is not None
    assert failure.attrib["type"] == "StrictObservation"
    assert f"1 of 4 cases not judged:\n- {BUDGET} (case c-plus-2)" in (failure.text or "")


def test_incomplete_check_with_an_observation_says_the_missing_part_once(make):
    """The error lists what was not judged; system-out holds the observation, not again the
    reasons."""
    run = make()
    observation = run.checks[2].findings
    incomplete = check(
        "SEND-HALF", Verdict.INCOMPLETE, findings=observation, cases=1, not_judged=NOT_JUDGED
    )
    case = cases(parse(junit.render(replace(run, checks=(incomplete,)))))["SEND-HALF a title"]
    assert [child.tag for child in case] == ["error", "system-out"]
    out = case.find("system-out")
    assert out is not None
    assert "observed on case c-plus-1:" in (out.text or "")
    assert BUDGET not in (out.text or "")


def test_skipped_check_stays_skipped_with_the_capability_it_lacks(run):
    """A check that cannot run on this target is <skipped>, never an error."""
    case = cases(parse(junit.render(run)))["STATUS-UNKNOWN-KEY Status of an unknown messageKey"]
    assert [child.tag for child in case] == ["skipped"]


def test_control_characters_in_a_reason_keep_the_xml_well_formed(make):
    """A reason carrying a control character is escaped in the message and the text."""
    odd = check(
        "SEND-ODD",
        Verdict.INCOMPLETE,
        cases=0,
        not_judged=(NotJudged("c-\x00", "transport: reset \x1b and <tag> & 'q'"),),
    )
    error = cases(parse(junit.render(make(extra=(odd,)))))["SEND-ODD a title"].find("error")
    assert error is not None
    expected = "transport: reset \\u001b and <tag> & 'q' (case c-\\u0000)"
    assert error.attrib["message"] == f"1 of 1 case not judged: {expected}"
    assert f"- {expected}" in (error.text or "")
