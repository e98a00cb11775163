"""The Markdown CI summary: headline, table, failures with evidence, observations, spending."""

from __future__ import annotations

from dataclasses import replace

from sms_contract.outcomes import Verdict
from sms_contract.reporting import markdown
from tests.reporting.conftest import REPLAY, check, make_run

SOURCE = "https://developer.salesforce.com/docs/example/sendSMSMessageSingleRecipient.html"


def test_headline_says_failed_and_how_many_claims_did_not_hold(run):
    """A failed claim makes the first line a failure headline."""
    first = markdown.render(run).splitlines()[0]
    assert first == "## ❌ sms-contract: FAILED: 1 of 4 documented claims did not hold"


def test_headline_says_passed_when_every_claim_held():
    """Without failures (and without --strict) the run passes, observations included."""
    run = make_run()
    passing = replace(run, checks=tuple(c for c in run.checks if c.verdict is not Verdict.FAIL))
    first = markdown.render(passing).splitlines()[0]
    assert first == "## ✅ sms-contract: PASSED: every claim that ran held (3 checks)"


def test_table_lists_each_check_failing_first_with_its_verdict(run):
    """The table has one row per check: id, title, verdict (with the skip reason)."""
    lines = markdown.render(run).splitlines()
    start = lines.index("| Check | Title | Verdict |")
    assert lines[start : start + 6] == [
        "| Check | Title | Verdict |",
        "| --- | --- | --- |",
        "| `SEND-ECHO-KEY` | Echoes the messageKey | ❌ fail |",
        "| `SEND-PLUS-PREFIX` | A leading + on the number | 🔎 observed |",
        "| `SEND-ACCEPTED` | A valid send is accepted with 202 | ✅ pass |",
        "| `STATUS-UNKNOWN-KEY` | Status of an unknown messageKey | "
        "⏭️ skipped: the mock has no status endpoint |",
    ]


def test_pipes_in_table_cells_are_escaped(make):
    """A pipe in a title or id cannot split the row into extra cells."""
    piped = check("A|B", Verdict.PASS, title="left | right")
    text = markdown.render(make(extra=(piped,)))
    assert "| `A\\|B` | left \\| right | ✅ pass |" in text.splitlines()


def test_failure_lists_claim_source_link_message_and_folded_evidence(run):
    """The failure section names the claim, links its source and folds the exchange."""
    text = markdown.render(run)
    section = text[text.index("### Failures") : text.index("### Observations")]
    assert "#### `SEND-ECHO-KEY` Echoes the messageKey" in section
    assert "> claim of SEND-ECHO-KEY" in section
    assert f"Source: [{SOURCE}](<{SOURCE}>)" in section
    assert "- case `c-echo-1`: messageKey was not echoed: sent 'key-1', got 'other'" in section
    assert "<details><summary>Request and response (case c-echo-1)</summary>" in section
    assert '    "to": "<phone-1>",' in section
    assert "</details>" in section
    assert f"```sh\n{REPLAY['mock']}\n```" in section
    assert f"```sh\n{REPLAY['live']}\n```" in section


def test_evidence_shown_is_the_deciding_exchange_of_the_first_finding(run):
    """Of the token and the send exchange, the summary folds the send (the last one)."""
    text = markdown.render(run)
    details = text[text.index("<details>") : text.index("</details>")]
    assert "/messaging/v1/sms/messages/key-1" in details
    assert "/v2/token" not in details


def test_observations_are_listed_with_their_message(run):
    """An observation that does not fail the run is listed under Observations."""
    text = markdown.render(run)
    observations = text[text.index("### Observations") : text.index("**Spent:**")]
    assert observations.strip().splitlines()[2:] == [
        "- `SEND-PLUS-PREFIX` A leading + on the number: case `c-plus-1`: "
        "+15555551234 was accepted (202)",
    ]


def test_strict_run_lists_the_observation_as_a_failure(make):
    """Under --strict the observation moves to Failures and no Observations section remains."""
    text = markdown.render(make(strict=True))
    assert "#### `SEND-PLUS-PREFIX` A leading + on the number" in text
    assert "### Observations" not in text
    assert "| `SEND-PLUS-PREFIX` | A leading + on the number | ❌ observed (a failure " in text


def test_spending_line_closes_the_summary(run):
    """The last line states sends and requests against their budgets."""
    last = markdown.render(run).splitlines()[-1]
    assert last == (
        "**Spent:** accepted sends 3 of 5; requests 12 of 100, 2 of them for tokens; "
        "0 throttled (429, honoured)"
    )


def test_markup_in_messages_is_escaped(make):
    """HTML and Markdown in a message are shown literally, not rendered."""
    text = markdown.render(make(fail_message="<img src=x> *bold* [link](y)"))
    assert "- case `c-echo-1`: &lt;img src=x&gt; \\*bold\\* \\[link\\](y)" in text


def test_backticks_in_evidence_cannot_close_the_code_fence(make):
    """A fence is longer than any run of backticks in the code it holds."""
    run = make()
    failing = run.checks[1]
    finding = replace(failing.findings[0], replay={"mock": "echo ```` done"})
    ticked = replace(failing, findings=(finding,))
    text = markdown.render(replace(run, checks=(ticked,)))
    assert "`````sh\necho ```` done\n`````" in text
