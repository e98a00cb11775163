"""The JUnit XML report: one named testcase per check, evidence in failures, valid XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sms_contract.outcomes import Verdict
from sms_contract.reporting import junit
from tests.reporting.conftest import REPLAY, check


def parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {case.attrib["name"]: case for case in root.iter("testcase")}


def test_report_parses_and_suite_counts_match_the_verdicts(run):
    """The suite counts four tests, one failure, one skip and no errors."""
    suite = parse(junit.render(run)).find("testsuite")
    assert suite is not None
    counts = {k: suite.attrib[k] for k in ("tests", "failures", "errors", "skipped", "time")}
    assert counts == {"tests": "4", "failures": "1", "errors": "0", "skipped": "1", "time": "1.500"}
    assert len(suite.findall("testcase")) == 4
    assert len(suite.findall("testcase/failure")) == 1
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
        "accepted_sends": "3",
        "max_sends": "5",
        "requests": "12",
        "max_requests": "100",
        "token_requests": "2",
        "throttled": "0",
        "exit_code": "1",
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
