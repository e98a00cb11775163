"""The HTML report: well-formed, self-contained, escaped, failing claims first."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

from sms_contract.outcomes import Claim, NotJudged, Verdict
from sms_contract.reporting import html
from tests.reporting.conftest import BUDGET, THROTTLED, check, make_run, without

VOID = {"meta", "br", "hr", "img", "input", "link", "wbr", "col", "source"}


class StrictParser(HTMLParser):
    """Fails on an end tag that closes anything but the innermost open element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.ids: list[str] = []
        self.tags: set[str] = set()
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.ids += [value for name, value in attrs if name == "id" and value]
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
        else:
            self.open.pop()


def parse(text: str) -> StrictParser:
    parser = StrictParser()
    parser.feed(text)
    parser.close()
    return parser


def test_report_parses_with_every_element_closed_in_order(run):
    """Every tag closes what it opened, and nothing is left open."""
    parser = parse(html.render(run))
    assert (parser.errors, parser.open) == ([], [])


def test_every_check_has_an_anchor_and_anchors_are_unique(run):
    """Each check id appears as an element id, once."""
    ids = parse(html.render(run)).ids
    assert sorted(ids) == [
        "SEND-ACCEPTED",
        "SEND-DUPLICATE-KEY",
        "SEND-ECHO-KEY",
        "SEND-PLUS-PREFIX",
        "STATUS-UNKNOWN-KEY",
        "claims",
        "not-judged",
        "summary",
    ]


def test_script_in_a_finding_message_is_escaped(make):
    """A message carrying markup is shown as text, never run."""
    text = html.render(make(fail_message='<script>alert("x")</script>'))
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert "<script" not in text


def test_quotes_ampersands_and_tags_in_titles_are_escaped(make):
    """Titles go through html.escape like every other value."""
    text = html.render(make(title='A "quoted" & <b>bold</b> title'))
    assert "A &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt; title" in text
    assert "<b>" not in text


def test_report_is_self_contained(run):
    """No scripts, stylesheets, images, frames or imports are fetched from anywhere."""
    text = html.render(run)
    parser = parse(text)
    assert parser.tags.isdisjoint({"script", "link", "img", "iframe", "object", "embed"})
    assert "@import" not in text
    assert "url(" not in text
    assert re.findall(r'\bsrc="', text) == []


def test_failing_checks_come_first_in_summary_and_claims(run):
    """Order is fail, incomplete, observed, pass, skipped in the table and the claims."""
    ids = parse(html.render(run)).ids
    assert ids == [
        "summary",
        "not-judged",
        "claims",
        "SEND-ECHO-KEY",
        "SEND-DUPLICATE-KEY",
        "SEND-PLUS-PREFIX",
        "SEND-ACCEPTED",
        "STATUS-UNKNOWN-KEY",
    ]
    text = html.render(run)
    summary = text[text.index('<section id="summary">') : text.index('<section id="not-judged">')]
    links = re.findall(r'<a href="#([A-Z-]+)">', summary)
    assert links == [
        "SEND-ECHO-KEY",
        "SEND-DUPLICATE-KEY",
        "SEND-PLUS-PREFIX",
        "SEND-ACCEPTED",
        "STATUS-UNKNOWN-KEY",
    ]


def test_verdicts_are_labelled_in_words_not_only_colour(run):
    """Each verdict badge carries its name as text."""
    text = html.render(run)
    assert '<span class="badge fail">fail</span>' in text
    assert '<span class="badge observed">observed</span>' in text
    assert '<span class="badge pass">pass</span>' in text
    assert '<span class="badge skipped">skipped</span>' in text
    assert '<span class="badge incomplete">incomplete</span>' in text
    assert '<span class="badge fail">1 fail</span>' in text


def test_counts_include_incomplete_in_the_order_checks_are_listed(run):
    """The counts read fail, incomplete, observed, pass, skipped."""
    text = html.render(run)
    assert (
        '<p class="counts"><span class="badge fail">1 fail</span> '
        '<span class="badge incomplete">1 incomplete</span> '
        '<span class="badge observed">1 observed</span> '
        '<span class="badge pass">1 pass</span> '
        '<span class="badge skipped">1 skipped</span></p>'
    ) in text


def test_a_verdict_nobody_got_is_counted_in_a_muted_badge(make):
    """Zero failures does not show a red badge."""
    run = make()
    passing = replace(run, checks=tuple(c for c in run.checks if c.verdict is not Verdict.FAIL))
    text = html.render(passing)
    assert '<span class="badge none">0 fail</span>' in text
    assert '<span class="badge pass">1 pass</span>' in text


def test_strict_run_labels_the_observation_as_a_failure(make):
    """Under --strict an observation is shown in the failure colour and says why."""
    text = html.render(make(strict=True))
    assert '<span class="badge fail">observed (a failure under --strict)</span>' in text
    assert "2 of 5 documented claims did not hold; 1 check could not judge every case." in text


def test_header_states_target_seed_date_version_spec_and_spending(run):
    """The header answers: against what, reproducible how, with which spec, at what cost."""
    text = html.render(run)
    assert "<strong>FAILED</strong> (exit code 1)" in text
    for fact in (
        "<dt>Target</dt><dd>mock <code>https://mc-test.rest.marketingcloudapis.com</code></dd>",
        "<dt>Seed</dt><dd><code>42</code></dd>",
        "<dt>Started</dt><dd>2025-01-02T03:04:05Z</dd>",
        "<dt>Tool version</dt><dd>sms-contract 0.1.0</dd>",
        f"<dt>Spec SHA-256</dt><dd><code>{'ab' * 32}</code></dd>",
        "<dt>Accepted sends</dt><dd>3 of 5, 1 of them possibly accepted (a 5xx, a lost "
        "response or an undocumented 2xx)</dd>",
        "<dt>Requests</dt><dd>12 of 100, 2 of them for tokens; 0 throttled (429, honoured)</dd>",
        "<dt>Allow incomplete</dt><dd>no</dd>",
    ):
        assert fact in text


def test_claim_shows_quote_source_link_and_evidence(run):
    """A failed claim shows its quote, a link to its source and the scrubbed exchange."""
    text = html.render(run)
    source = "https://developer.salesforce.com/docs/example/sendSMSMessageSingleRecipient.html"
    assert f'<blockquote cite="{source}">quote of SEND-ECHO-KEY</blockquote>' in text
    assert f'<p class="source">Source: <a href="{source}">{source}</a></p>' in text
    assert "&quot;to&quot;: &quot;&lt;phone-1&gt;&quot;" in text
    assert "-H &quot;Authorization: Bearer ${SFMC_ACCESS_TOKEN}&quot;" in text
    assert "<dt>Replay against mock</dt>" in text


def test_source_that_names_a_document_is_not_a_link():
    """A source without a web address is shown as text."""
    run = make_run()
    renamed = replace(run.checks[0], claim=Claim("c", "sfmc-sms-api-facts.md", "q"))
    text = html.render(replace(run, checks=(renamed,)))
    assert '<p class="source">Source: sfmc-sms-api-facts.md</p>' in text
    assert "<blockquote>q</blockquote>" in text


def test_headline_says_failed_with_the_exit_code_and_what_was_not_judged(run):
    """A failure heads the report; the incomplete check is still counted in the sentence."""
    assert (
        '<p class="outcome fail"><strong>FAILED</strong> (exit code 1) 1 of 5 documented claims '
        "did not hold; 1 check could not judge every case.</p>"
    ) in html.render(run)


def test_headline_says_incomplete_with_exit_code_4(make):
    """Without a violation, cases not judged make the run INCOMPLETE, never a pass."""
    text = html.render(without(make(), Verdict.FAIL))
    assert (
        '<p class="outcome incomplete"><strong>INCOMPLETE</strong> (exit code 4) 1 of 4 checks '
        "could not judge every case; every claim that was judged held.</p>"
    ) in text
    assert "<title>sms-contract INCOMPLETE: mock " in text
    assert "PASSED" not in text


def test_headline_under_allow_incomplete_says_why_the_exit_code_is_0(make):
    """--allow-incomplete is named next to the exit code it changed; the word stays."""
    text = html.render(without(make(allow_incomplete=True), Verdict.FAIL))
    assert "<strong>INCOMPLETE</strong> (exit code 0 under --allow-incomplete)" in text
    assert (
        "<dt>Allow incomplete</dt><dd>yes: a run that judged something but not everything " in text
    )


def test_headline_when_nothing_was_judged_says_so_even_under_allow_incomplete(make):
    """A run that judged nothing exits 4 whatever --allow-incomplete says."""
    run = without(
        make(allow_incomplete=True),
        Verdict.FAIL,
        Verdict.PASS,
        Verdict.OBSERVED,
        Verdict.INCOMPLETE,
    )
    assert (
        "<strong>INCOMPLETE</strong> (exit code 4: nothing was judged, which --allow-incomplete "
        "does not excuse) nothing was judged: every check was skipped on this target.</p>"
    ) in html.render(run)


def test_headline_says_ok_when_everything_was_judged_and_held(make):
    """Skips (a missing capability) do not stop a run from being OK."""
    text = html.render(without(make(), Verdict.FAIL, Verdict.INCOMPLETE))
    assert (
        '<p class="outcome pass"><strong>OK</strong> (exit code 0) every claim that ran was judged '
        "and held (3 checks).</p>"
    ) in text
    assert 'id="not-judged"' not in text


def test_why_the_run_stopped_early_is_in_the_header(make):
    """The run's stop reason follows the headline; a run that did not stop says nothing."""
    text = html.render(make(stopped=BUDGET))
    assert f'<p class="note stopped">The run stopped sending early: {BUDGET}</p>' in text
    assert "stopped sending early" not in html.render(make())


def test_not_judged_section_lists_each_incomplete_check_with_each_reason_once(run):
    """Each check that could not judge everything, linked, with grouped reasons and cases."""
    text = html.render(run)
    section = text[text.index('<section id="not-judged">') : text.index('<section id="claims">')]
    assert "<h2>Not judged</h2>" in section
    assert (
        '<li><a href="#SEND-DUPLICATE-KEY"><code>SEND-DUPLICATE-KEY</code></a> A repeated '
        'messageKey is rejected <span class="badge incomplete">incomplete</span> 3 of 4 cases '
        "not judged\n"
        '<ul class="reasons">\n'
        f"<li>{BUDGET} (cases <code>c-dup-2</code> and <code>c-dup-4</code>)</li>\n"
        f"<li>{THROTTLED} (case <code>c-dup-3</code>)</li>\n"
        "</ul></li>"
    ) in section
    assert section.count(BUDGET) == 1


def test_incomplete_claim_shows_how_much_was_judged_and_why_not_the_rest(run):
    """The claim's article counts the judged cases and lists the reasons."""
    text = html.render(run)
    article = text[text.index('<article class="claim" id="SEND-DUPLICATE-KEY">') :]
    article = article[: article.index("</article>")]
    assert '<p class="meta">idempotency · 1 of 4 cases judged · 0.25 s</p>' in article
    assert '<div class="not-judged">\n<p><strong>3 of 4 cases not judged</strong></p>' in article
    assert f"<li>{THROTTLED} (case <code>c-dup-3</code>)</li>" in article
    summary_row = '<span class="badge incomplete">incomplete</span> <span class="partial">3 of 4'
    assert summary_row in text


def test_failed_claim_with_cases_not_judged_shows_the_failure_and_the_missing_part(run):
    """The failure badge and evidence stay; the not-judged part is listed beside them."""
    failing = replace(run.checks[1], not_judged=(NotJudged("c-echo-2", THROTTLED),), planned=4)
    text = html.render(replace(run, checks=(failing,)))
    assert (
        '<span class="badge fail">fail</span> <span class="partial">1 of 4 cases not judged</span>'
    ) in text
    article = text[text.index('<article class="claim" id="SEND-ECHO-KEY">') :]
    assert "<p><strong>1 of 4 cases not judged</strong></p>" in article
    assert '<div class="finding fail">' in article
    section = text[text.index('<section id="not-judged">') : text.index('<section id="claims">')]
    assert '<span class="badge fail">fail</span> 1 of 4 cases not judged' in section
    assert "<strong>FAILED</strong> (exit code 1)" in text


def test_markup_and_control_characters_in_reasons_and_case_ids_are_escaped(make):
    """A reason or case id is text: tags are escaped, control characters written as \\u."""
    odd = check(
        "SEND-ODD",
        Verdict.INCOMPLETE,
        cases=0,
        not_judged=(NotJudged("<b>c</b>", 'transport: <script>x</script> "q" \x1b'),),
    )
    text = html.render(make(extra=(odd,), stopped="deadline: <i>late</i>"))
    assert (
        "<li>transport: &lt;script&gt;x&lt;/script&gt; &quot;q&quot; \\u001b "
        "(case <code>&lt;b&gt;c&lt;/b&gt;</code>)</li>"
    ) in text
    assert "The run stopped sending early: deadline: &lt;i&gt;late&lt;/i&gt;</p>" in text
    assert "<script" not in text
    assert "\x1b" not in text
    assert (parse(text).errors, parse(text).open) == ([], [])


def _article(text: str, check_id: str) -> str:
    start = text.index(f'<article class="claim" id="{check_id}">')
    return text[start : text.index("</article>", start)]


def test_a_passing_claim_shows_one_scrubbed_example_exchange(run):
    """The passing claim reads as documentation: its request (method, URL, headers, body),
    its response (status, body) and the curl line, with placeholders for what is secret."""
    article = _article(html.render(run), "SEND-ACCEPTED")
    assert '<div class="example">' in article
    assert article.count('<div class="evidence">') == 1
    assert "&quot;method&quot;: &quot;POST&quot;" in article
    assert "/messaging/v1/sms/messages/key-1" in article
    assert "&quot;Authorization&quot;: &quot;&lt;redacted&gt;&quot;" in article
    assert "&quot;to&quot;: &quot;&lt;phone-1&gt;&quot;" in article
    assert "&quot;status&quot;: 202" in article
    assert "&quot;messageKey&quot;: &quot;key-1&quot;" in article
    assert "<h5>curl</h5>" in article
    assert (parse(html.render(run)).errors, parse(html.render(run)).open) == ([], [])


def test_only_a_passing_claim_shows_an_example(run):
    """A failure shows its findings' evidence, never an example; a pass without one shows
    none; nothing else in the sample has one."""
    example = run.checks[0].example
    failing = replace(run.checks[1], example=example)
    bare = replace(run.checks[0], example=None)
    text = html.render(replace(run, checks=(failing, bare)))
    assert '<div class="example">' not in text
    assert html.render(run).count('<div class="example">') == 1


def test_long_values_wrap_inside_their_card():
    """A 100-character messageKey (or URL, or case id) breaks anywhere rather than overflow:
    code, evidence, claims, findings and table cells wrap, and the two-column exchange
    lets its columns shrink below their content."""
    rules: dict[str, str] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", html.STYLE):
        for selector in selectors.split(","):
            rules[selector.strip()] = rules.get(selector.strip(), "") + body
    for selector in ("code", "pre", ".claim", ".finding", ".evidence", ".example", "td"):
        assert "overflow-wrap: anywhere" in rules[selector], selector
        assert "word-break: break-word" in rules[selector], selector
    assert "minmax(0, 1fr) minmax(0, 1fr)" in rules[".exchange"]
    assert "min-width: 0" in rules[".exchange > div"]


def test_a_long_message_key_is_inside_a_card_that_can_wrap_it(make):
    """The key sits in a <code> or <pre> of the claim's card, whose CSS wraps it."""
    key = "k" * 100
    text = html.render(make(fail_message=f"sent {key!r}, echoed 'other'"))
    article = _article(text, "SEND-ECHO-KEY")
    assert key in article
    assert (parse(text).errors, parse(text).open) == ([], [])
