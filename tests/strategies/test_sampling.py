"""draw(): deterministic example collection outside of a test, without warnings."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from hypothesis.internal.conjecture import providers

from sms_contract.strategies.sampling import draw
from sms_contract.strategies.valid import valid_send_payloads

ALLOW_LIST = ("15555550100",)


def test_the_same_seed_draws_the_same_list():
    """Two draws with one seed give equal lists of the requested length."""
    first = draw(valid_send_payloads("definition", ALLOW_LIST), 25, seed=7)
    second = draw(valid_send_payloads("definition", ALLOW_LIST), 25, seed=7)
    assert (len(first), first) == (25, second)
    assert [case.json_body for case in first] == [case.json_body for case in second]


def test_another_seed_draws_another_list():
    """Seeds 1 and 2 give different sequences of integers."""
    strategy = st.integers(0, 10**9)
    assert draw(strategy, 20, seed=1) != draw(strategy, 20, seed=2)


def test_draw_emits_no_warning():
    """Unlike ``.example()``, drawing outside a test is silent."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw(st.text(), 10, seed=0)
    assert [str(warning.message) for warning in caught] == []


def test_draw_stops_early_when_the_strategy_has_fewer_distinct_examples():
    """A two-value strategy yields each value once, not ``count`` values."""
    assert sorted(draw(st.sampled_from(["a", "b"]), 10, seed=0)) == ["a", "b"]


def test_the_first_value_drawn_is_the_simplest():
    """As Hypothesis' generation begins: the strategy's simplest value first, then random ones."""
    assert draw(st.integers(), 5, seed=3)[0] == 0
    assert draw(st.text(), 5, seed=3)[0] == ""
    assert draw(st.lists(st.booleans()), 5, seed=3)[0] == []


def test_a_value_a_filter_rejects_is_drawn_again():
    """Rejected draws do not count: ``count`` values that pass the filter come back."""
    values = draw(st.integers(0, 10**6).filter(lambda n: n % 7 == 0), 20, seed=5)
    assert len(values) == 20
    assert all(value % 7 == 0 for value in values)


def test_a_strategy_that_rejects_everything_is_unsatisfiable():
    """A filter nothing passes is an error, not an empty plan."""
    with pytest.raises(Unsatisfiable, match="rejected all of its"):
        draw(st.integers().filter(lambda n: False), 3, seed=0)


def test_drawing_leaves_hypothesis_own_constants_as_they_were():
    """The pool of local literals and the constants cache are Hypothesis' own again after a
    draw, so tests with ``@given`` in the same process draw as they would without it."""
    before = (providers._get_local_constants, providers.CONSTANTS_CACHE)
    draw(st.text(), 10, seed=1)
    assert (providers._get_local_constants, providers.CONSTANTS_CACHE) == before


OUTSIDE_ANY_TEST = draw(st.text(), 10, seed=4)


@settings(max_examples=3)
@given(st.integers())
def test_a_draw_inside_a_test_with_given_draws_the_same_values(ignored: int):
    """Drawing is not a Hypothesis test of its own (no nested ``@given``): inside one it
    gives the same list as outside."""
    assert draw(st.text(), 10, seed=4) == OUTSIDE_ANY_TEST


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ((st.none(), 0, 1), ValueError, "count must be a positive int, not 0"),
        ((st.none(), True, 1), ValueError, "count must be a positive int, not True"),
        ((st.none(), 3, "1"), TypeError, "seed must be an int, not str"),
        (([1, 2], 3, 1), TypeError, "strategy must be a SearchStrategy, not list"),
    ],
)
def test_draw_checks_its_arguments_up_front(arguments, error, message):
    """A bad count, seed or strategy is refused before anything is generated."""
    with pytest.raises(error, match=message):
        draw(*arguments)
