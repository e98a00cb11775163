"""What every report shows the same way: order, labels, slugs, printable text."""

from __future__ import annotations

from sms_contract.outcomes import Category, Spending, Verdict
from sms_contract.reporting.presentation import (
    category_slug,
    is_link,
    ordered,
    plural,
    pretty_json,
    printable,
    spending_line,
)
from tests.reporting.conftest import check


def test_checks_are_ordered_fail_observed_pass_skipped_and_stable_within_each():
    """Failing first; checks of one verdict keep the order they ran in."""
    checks = [
        check("P1", Verdict.PASS),
        check("S1", Verdict.SKIPPED),
        check("F1", Verdict.FAIL),
        check("O1", Verdict.OBSERVED),
        check("P2", Verdict.PASS),
        check("F2", Verdict.FAIL),
    ]
    assert [c.check_id for c in ordered(checks)] == ["F1", "F2", "O1", "P1", "P2", "S1"]


def test_every_category_has_a_distinct_identifier_slug():
    """Slugs are lower-case words joined by underscores, one per category."""
    slugs = {category: category_slug(category) for category in Category}
    assert slugs[Category.IDENTITY] == "request_and_message_identity"
    assert slugs[Category.CONTENT_TYPE] == "content_type"
    assert len(set(slugs.values())) == len(Category)
    assert all(slug.replace("_", "").isalnum() for slug in slugs.values())


def test_printable_escapes_controls_and_lone_surrogates_but_keeps_text():
    """Tabs, newlines and non-ASCII stay; NUL, ESC, DEL, C1 and surrogates become \\u escapes."""
    assert printable("a\tb\nc é 📱") == "a\tb\nc é 📱"
    assert printable("\x00\x1b\x7f\x85\ud800\uffff") == (
        "\\u0000\\u001b\\u007f\\u0085\\ud800\\uffff"
    )


def test_pretty_json_indents_objects_and_shows_text_bodies_as_text():
    """JSON is indented with readable non-ASCII; a non-JSON body stays the text it was."""
    assert pretty_json({"a": ["é"]}) == '{\n  "a": [\n    "é"\n  ]\n}'
    assert pretty_json("<html>gateway timeout</html>") == "<html>gateway timeout</html>"


def test_sources_are_links_only_when_they_are_web_addresses():
    """A document name is not a link; http and https addresses are."""
    assert [is_link(s) for s in ("https://x.test/a", "http://x.test", "facts.md")] == [
        True,
        True,
        False,
    ]


def test_spending_line_says_no_limit_when_there_is_no_budget():
    """A run without limits says so rather than showing 'of None'."""
    line = spending_line(Spending(requests=4, token_requests=1, accepted_sends=2, throttled=1))
    assert line == (
        "accepted sends 2 (no limit); requests 4 (no limit), 1 of them for tokens; "
        "1 throttled (429, honoured)"
    )


def test_plural_counts_one_case_and_many_cases():
    """Nouns agree with their count."""
    assert [plural(n, "case") for n in (0, 1, 2)] == ["0 cases", "1 case", "2 cases"]
