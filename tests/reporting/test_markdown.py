"""The Markdown CI summary: headline, table, failures with evidence, what was not judged,
observations, spending."""

from __future__ import annotations

from dataclasses import replace

from sms_contract.outcomes import NotJudged, Verdict
from sms_contract.reporting import markdown
from tests.reporting.conftest import BUDGET, REPLAY, THROTTLED, check, make_run, without

SOURCE = "https://developer.salesforce.com/docs/example/sendSMSMessageSingleRecipient.html"


def test_headline_says_failed_and_how_many_claims_did_not_hold(run):
    """A failed claim makes the first line a failure headline, with the exit code."""
    first = markdown.render(run).splitlines()[0]
    assert first == (
        "## ❌ sms-contract: FAILED (exit code 1): 1 of 5 documented claims did not hold; "
        "1 check could not judge every case"
    )


def test_headline_says_ok_when_every_claim_was_judged_and_held():
    """Without failures or cases not judged the run is OK, observations and skips included."""
    passing = without(make_run(), Verdict.FAIL, Verdict.INCOMPLETE)
    first = markdown.render(passing).splitlines()[0]
    assert first == (
        "## ✅ sms-contract: OK (exit code 0): every claim that ran was judged and held (3 checks)"
    )


def test_headline_says_incomplete_with_exit_code_4():
    """Cases not judged and no violation: INCOMPLETE, exit code 4, never a pass."""
    first = markdown.render(without(make_run(), Verdict.FAIL)).splitlines()[0]
    assert first == (
        "## ⚠️ sms-contract: INCOMPLETE (exit code 4): 1 of 4 checks could not judge every "
        "case; every claim that was judged held"
    )


def test_headline_under_allow_incomplete_keeps_the_word_and_explains_exit_code_0():
    """--allow-incomplete changes the exit code, not the result; the facts line names it."""
    text = markdown.render(without(make_run(allow_incomplete=True), Verdict.FAIL))
    assert text.splitlines()[0].startswith(
        "## ⚠️ sms-contract: INCOMPLETE (exit code 0 under --allow-incomplete): "
    )
    assert " · `--allow-incomplete`\n" in text


def test_headline_when_nothing_was_judged_gives_4_even_under_allow_incomplete():
    """A run of skipped checks judged nothing: exit code 4 whatever --allow-incomplete says."""
    run = without(
        make_run(allow_incomplete=True),
        Verdict.FAIL,
        Verdict.PASS,
        Verdict.OBSERVED,
        Verdict.INCOMPLETE,
    )
    assert markdown.render(run).splitlines()[0] == (
        "## ⚠️ sms-contract: INCOMPLETE (exit code 4: nothing was judged, which "
        "--allow-incomplete does not excuse): nothing was judged: every check was skipped "
        "on this target"
    )


def test_table_lists_each_check_failing_first_with_its_verdict(run):
    """The table has one row per check: id, title, verdict (with the skip reason)."""
    lines = markdown.render(run).splitlines()
    start = lines.index("| Check | Title | Verdict |")
    assert lines[start : start + 7] == [
        "| Check | Title | Verdict |",
        "| --- | --- | --- |",
        "| `SEND-ECHO-KEY` | Echoes the messageKey | ❌ fail |",
        "| `SEND-DUPLICATE-KEY` | A repeated messageKey is rejected | "
        "⚠️ incomplete: 3 of 4 cases not judged |",
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
        "**Spent:** accepted sends 3 of 5, 1 of them possibly accepted (a 5xx, a lost response "
        "or an undocumented 2xx); requests 12 of 100, 2 of them for tokens; "
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


def test_verdict_counts_include_incomplete(run):
    """The counts read fail, incomplete, observed, pass, skipped, then the exit code."""
    assert (
        "**Verdicts:** 1 fail · 1 incomplete · 1 observed · 1 pass · 1 skipped · exit code 1"
    ) in markdown.render(run).splitlines()


def test_not_judged_section_lists_each_incomplete_check_with_each_reason_once(run):
    """Its own section: the check, how much was not judged, then each reason with its cases."""
    text = markdown.render(run)
    section = text[text.index("### Not judged") : text.index("### Observations")]
    assert section.strip().splitlines()[2:] == [
        "- `SEND-DUPLICATE-KEY` A repeated messageKey is rejected (incomplete): "
        "3 of 4 cases not judged",
        f"  - {BUDGET} (cases `c-dup-2` and `c-dup-4`)",
        f"  - {THROTTLED} (case `c-dup-3`)",
    ]


def test_why_the_run_stopped_early_follows_the_headline(make):
    """The stop reason is the second block; a run that did not stop has none."""
    blocks = markdown.render(make(stopped=BUDGET)).split("\n\n")
    assert blocks[1] == f"**Stopped early:** {BUDGET}"
    assert "**Stopped early:**" not in markdown.render(make())


def test_failed_check_with_cases_not_judged_shows_the_failure_and_the_missing_part(run):
    """The failure keeps its findings and says what is missing; Not judged lists the rest."""
    failing = replace(run.checks[1], not_judged=(NotJudged("c-echo-2", THROTTLED),), planned=4)
    text = markdown.render(replace(run, checks=(failing,)))
    assert "| `SEND-ECHO-KEY` | Echoes the messageKey | ❌ fail; 1 of 4 cases not judged |" in text
    failures = text[text.index("### Failures") : text.index("### Not judged")]
    assert "- case `c-echo-1`: messageKey was not echoed: sent 'key-1', got 'other'" in failures
    assert "- also: 1 of 4 cases not judged (see Not judged)" in failures
    section = text[text.index("### Not judged") : text.index("**Spent:**")]
    assert "- `SEND-ECHO-KEY` Echoes the messageKey (fail): 1 of 4 cases not judged" in section
    assert f"  - {THROTTLED} (case `c-echo-2`)" in section


def test_a_long_list_of_cases_not_judged_is_cut_with_how_many_more(make):
    """Past ten case ids per reason the summary says how many more the other reports name."""
    many = tuple(NotJudged(f"c-{n}", BUDGET) for n in range(1, 13))
    spent = check("SEND-MANY", Verdict.INCOMPLETE, cases=1, not_judged=many)
    text = markdown.render(make(extra=(spent,)))
    shown = ", ".join(f"`c-{n}`" for n in range(1, 11))
    assert f"  - {BUDGET} (cases {shown} and 2 more)" in text.splitlines()
    assert "- `SEND-MANY` a title (incomplete): 12 of 13 cases not judged" in text


def test_markup_in_reasons_and_stop_reason_is_escaped(make):
    """A reason is prose: HTML and Markdown in it are shown literally, ids stay code."""
    odd = check(
        "SEND-ODD",
        Verdict.INCOMPLETE,
        cases=0,
        not_judged=(NotJudged("c`1", "transport: <img src=x> *reset* | \x1b"),),
    )
    text = markdown.render(make(extra=(odd,), stopped="deadline: *late* <b>"))
    # printable writes ESC as \u001b; the backslash is then escaped as Markdown
    assert "  - transport: &lt;img src=x&gt; \\*reset\\* | \\\\u001b (case ``c`1``)" in text
    assert "**Stopped early:** deadline: \\*late\\* &lt;b&gt;" in text
    assert "\x1b" not in text
