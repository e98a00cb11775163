"""What every report shows the same way: order, labels, slugs, printable text, what was not
judged and the run's result in words."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sms_contract.outcomes import Category, NotJudged, Spending, Verdict
from sms_contract.reporting.presentation import (
    NO_REASON,
    NotJudgedReason,
    case_list,
    cases_judged,
    category_slug,
    counts_as_incomplete,
    exit_phrase,
    is_link,
    not_judged_lines,
    not_judged_reasons,
    not_judged_summary,
    not_judged_text,
    ordered,
    outcome_sentence,
    plural,
    pretty_json,
    printable,
    result_word,
    spending_line,
    verdict_label,
)
from tests.reporting.conftest import BUDGET, NOT_JUDGED, THROTTLED, check, make_run, without


def test_checks_are_ordered_fail_incomplete_observed_pass_skipped_and_stable_within_each():
    """Failing first, then what could not be judged; checks of one verdict keep their order."""
    checks = [
        check("P1", Verdict.PASS),
        check("S1", Verdict.SKIPPED),
        check("I1", Verdict.INCOMPLETE, not_judged=NOT_JUDGED),
        check("F1", Verdict.FAIL),
        check("O1", Verdict.OBSERVED),
        check("P2", Verdict.PASS),
        check("I2", Verdict.INCOMPLETE, not_judged=NOT_JUDGED),
        check("F2", Verdict.FAIL),
    ]
    assert [c.check_id for c in ordered(checks)] == [
        "F1",
        "F2",
        "I1",
        "I2",
        "O1",
        "P1",
        "P2",
        "S1",
    ]


def test_under_strict_an_observation_is_ordered_with_the_failures():
    """--strict makes an observation a failure, so it comes before incomplete checks."""
    checks = [
        check("I1", Verdict.INCOMPLETE, not_judged=NOT_JUDGED),
        check("O1", Verdict.OBSERVED),
        check("F1", Verdict.FAIL),
    ]
    assert [c.check_id for c in ordered(checks, strict=True)] == ["O1", "F1", "I1"]
    assert [c.check_id for c in ordered(checks)] == ["F1", "I1", "O1"]


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
        "accepted sends 2 (no limit), 0 of them possibly accepted (a 5xx, a lost response or an "
        "undocumented 2xx); requests 4 (no limit), 1 of them for tokens; "
        "1 throttled (429, honoured)"
    )


def test_spending_line_counts_possibly_accepted_sends_against_the_budget():
    """Answers that may have been accepted are named as part of the accepted sends."""
    spending = Spending(accepted_sends=5, max_sends=5, possibly_accepted=2)
    assert spending_line(spending).startswith(
        "accepted sends 5 of 5, 2 of them possibly accepted (a 5xx, a lost response or an "
        "undocumented 2xx); "
    )


def test_plural_counts_one_case_and_many_cases():
    """Nouns agree with their count."""
    assert [plural(n, "case") for n in (0, 1, 2)] == ["0 cases", "1 case", "2 cases"]


def test_incomplete_verdict_is_labelled_in_words():
    """The label of an incomplete check is its verdict's name."""
    assert verdict_label(check("I", Verdict.INCOMPLETE, not_judged=NOT_JUDGED), False) == (
        "incomplete"
    )


def test_not_judged_reasons_give_each_reason_once_with_its_cases_in_order():
    """The same reason is grouped with every case it applies to, in the order it came up."""
    incomplete = check("I", Verdict.INCOMPLETE, cases=1, not_judged=NOT_JUDGED)
    assert not_judged_reasons(incomplete) == (
        NotJudgedReason(BUDGET, ("c-dup-2", "c-dup-4")),
        NotJudgedReason(THROTTLED, ("c-dup-3",)),
    )


def test_a_case_named_twice_for_one_reason_is_listed_and_counted_once():
    """Duplicates neither repeat a case id nor inflate the count."""
    twice = (NotJudged("c-1", BUDGET), NotJudged("c-1", BUDGET))
    incomplete = check("I", Verdict.INCOMPLETE, cases=1, not_judged=twice, planned=2)
    assert not_judged_reasons(incomplete) == (NotJudgedReason(BUDGET, ("c-1",)),)
    assert not_judged_summary(incomplete) == "1 of 2 cases not judged"


def test_not_judged_summary_counts_the_missing_cases_against_the_plan():
    """'N of M cases not judged', with M the planned cases; nothing for a complete check."""
    incomplete = check("I", Verdict.INCOMPLETE, cases=1, not_judged=NOT_JUDGED)
    assert not_judged_summary(incomplete) == "3 of 4 cases not judged"
    assert cases_judged(incomplete) == "1 of 4 cases judged"
    assert not_judged_summary(check("P", Verdict.PASS)) == ""
    assert cases_judged(check("P", Verdict.PASS)) == "3 cases judged"
    assert not_judged_summary(check("S", Verdict.SKIPPED, skip_reason="no clock")) == ""


def test_a_plan_smaller_than_what_was_accounted_for_is_never_shown():
    """A plan of 0 (unknown) still reads as the judged plus the not-judged cases."""
    incomplete = check("I", Verdict.INCOMPLETE, cases=1, not_judged=NOT_JUDGED, planned=0)
    assert not_judged_summary(incomplete) == "3 of 4 cases not judged"


def test_an_incomplete_check_that_names_no_case_still_says_it_is_incomplete():
    """Without entries the count comes from the plan, and the reason says none was given."""
    counted = check("I", Verdict.INCOMPLETE, cases=2, planned=5)
    assert not_judged_summary(counted) == "3 of 5 cases not judged"
    assert not_judged_lines(counted) == [NO_REASON]
    unknown = check("U", Verdict.INCOMPLETE, cases=2, planned=0)
    assert not_judged_summary(unknown) == "not every case was judged"


def test_not_judged_lines_escape_reasons_and_case_ids_the_way_they_are_told():
    """Every format gets the same words, with its own escaping of text and of ids."""
    incomplete = check("I", Verdict.INCOMPLETE, cases=1, not_judged=NOT_JUDGED)
    assert not_judged_lines(incomplete) == [
        f"{BUDGET} (cases c-dup-2 and c-dup-4)",
        f"{THROTTLED} (case c-dup-3)",
    ]
    assert not_judged_lines(incomplete, text=str.upper, code=lambda i: f"<{i}>") == [
        f"{BUDGET.upper()} (cases <c-dup-2> and <c-dup-4>)",
        f"{THROTTLED.upper()} (case <c-dup-3>)",
    ]


def test_case_list_names_one_two_many_and_cuts_a_long_list():
    """'case a', 'cases a and b', 'cases a, b and c'; past the limit, how many more."""
    assert case_list(("a",)) == "case a"
    assert case_list(("a", "b")) == "cases a and b"
    assert case_list(("a", "b", "c")) == "cases a, b and c"
    assert case_list(("a", "b", "c", "d"), limit=2) == "cases a, b and 2 more"
    assert case_list(()) == ""


def test_not_judged_text_is_the_count_then_one_line_per_reason_printable():
    """Plain text for JUnit: the count, then '- reason (cases)'; control characters escaped."""
    odd = (NotJudged("c-1", "transport: reset \x1b[0m"),)
    incomplete = check("I", Verdict.INCOMPLETE, cases=0, not_judged=odd)
    assert not_judged_text(incomplete) == (
        "1 of 1 case not judged:\n- transport: reset \\u001b[0m (case c-1)"
    )


def test_a_failure_with_cases_not_judged_is_not_counted_as_incomplete():
    """The failure stands; a check that ran and did not judge everything otherwise counts."""
    failing = check("F", Verdict.FAIL, not_judged=NOT_JUDGED)
    assert counts_as_incomplete(failing, strict=False) is False
    assert not_judged_summary(failing) == "3 of 6 cases not judged"
    observed = check("O", Verdict.OBSERVED, not_judged=NOT_JUDGED)
    assert counts_as_incomplete(observed, strict=False) is True
    assert counts_as_incomplete(observed, strict=True) is False
    assert counts_as_incomplete(check("S", Verdict.SKIPPED), strict=False) is False
    assert counts_as_incomplete(check("P", Verdict.PASS), strict=False) is False


@pytest.mark.parametrize(
    ("run", "word", "phrase", "sentence"),
    [
        (
            make_run(),
            "FAILED",
            "exit code 1",
            "1 of 5 documented claims did not hold; 1 check could not judge every case",
        ),
        (
            without(make_run(), Verdict.FAIL),
            "INCOMPLETE",
            "exit code 4",
            "1 of 4 checks could not judge every case; every claim that was judged held",
        ),
        (
            without(make_run(allow_incomplete=True), Verdict.FAIL),
            "INCOMPLETE",
            "exit code 0 under --allow-incomplete",
            "1 of 4 checks could not judge every case; every claim that was judged held",
        ),
        (
            without(
                make_run(allow_incomplete=True),
                Verdict.FAIL,
                Verdict.INCOMPLETE,
                Verdict.PASS,
                Verdict.OBSERVED,
            ),
            "INCOMPLETE",
            "exit code 4: nothing was judged, which --allow-incomplete does not excuse",
            "nothing was judged: every check was skipped on this target",
        ),
        (
            without(make_run(), Verdict.FAIL, Verdict.INCOMPLETE),
            "OK",
            "exit code 0",
            "every claim that ran was judged and held (3 checks)",
        ),
    ],
    ids=["failed", "incomplete", "allowed", "judged-nothing", "ok"],
)
def test_the_result_is_one_word_an_exit_phrase_and_one_sentence(run, word, phrase, sentence):
    """Every report heads with the same word, exit code and sentence."""
    assert (result_word(run), exit_phrase(run), outcome_sentence(run)) == (
        word,
        phrase,
        sentence,
    )


def test_a_run_whose_checks_answered_nothing_judged_nothing():
    """Checks that ran but judged no case make the run judge nothing, not 'every check
    skipped'."""
    nothing = check("I", Verdict.INCOMPLETE, cases=0, not_judged=NOT_JUDGED)
    blank = replace(make_run(allow_incomplete=True), checks=(nothing,))
    assert outcome_sentence(blank) == "nothing was judged: no check could judge a single case"
    assert blank.exit_code == 4
