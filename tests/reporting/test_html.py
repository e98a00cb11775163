"""The HTML report: well-formed, self-contained, escaped, failing claims first."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

from sms_contract.outcomes import Claim, Verdict
from sms_contract.reporting import html
from tests.reporting.conftest import make_run

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
        "SEND-ECHO-KEY",
        "SEND-PLUS-PREFIX",
        "STATUS-UNKNOWN-KEY",
        "claims",
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
    """Order is fail, observed, pass, skipped in both the table and the claim sections."""
    ids = parse(html.render(run)).ids
    assert ids == [
        "summary",
        "claims",
        "SEND-ECHO-KEY",
        "SEND-PLUS-PREFIX",
        "SEND-ACCEPTED",
        "STATUS-UNKNOWN-KEY",
    ]
    text = html.render(run)
    links = re.findall(r'<a href="#([A-Z-]+)">', text)
    assert links == ["SEND-ECHO-KEY", "SEND-PLUS-PREFIX", "SEND-ACCEPTED", "STATUS-UNKNOWN-KEY"]


def test_verdicts_are_labelled_in_words_not_only_colour(run):
    """Each verdict badge carries its name as text."""
    text = html.render(run)
    assert '<span class="badge fail">fail</span>' in text
    assert '<span class="badge observed">observed</span>' in text
    assert '<span class="badge pass">pass</span>' in text
    assert '<span class="badge skipped">skipped</span>' in text
    assert '<span class="badge fail">1 fail</span>' in text


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
    assert "2 of 4 documented claims did not hold." in text


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
        "<dt>Accepted sends</dt><dd>3 of 5</dd>",
        "<dt>Requests</dt><dd>12 of 100, 2 of them for tokens; 0 throttled (429, honoured)</dd>",
    ):
        assert fact in text


def test_claim_shows_quote_source_link_and_evidence(run):
    """A failed claim shows its quote, a link to its source and the scrubbed exchange."""
    text = html.render(run)
    source = "https://developer.salesforce.com/docs/example/sendSMSMessageSingleRecipient.html"
    assert f'<blockquote cite="{source}">quote of SEND-ECHO-KEY</blockquote>' in text
    assert f'<p class="source">Source: <a href="{source}">{source}</a></p>' in text
    assert "&quot;to&quot;: &quot;&lt;phone-1&gt;&quot;" in text
    assert "-H &#x27;Authorization: Bearer $SFMC_ACCESS_TOKEN&#x27;" in text
    assert "<dt>Replay against mock</dt>" in text


def test_source_that_names_a_document_is_not_a_link():
    """A source without a web address is shown as text."""
    run = make_run()
    renamed = replace(run.checks[0], claim=Claim("c", "sfmc-sms-api-facts.md", "q"))
    text = html.render(replace(run, checks=(renamed,)))
    assert '<p class="source">Source: sfmc-sms-api-facts.md</p>' in text
    assert "<blockquote>q</blockquote>" in text
