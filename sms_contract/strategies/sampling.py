"""Deterministic example collection outside of a test.

``strategy.example()`` warns outside of a test and is not reproducible; :func:`draw` draws
each value through Hypothesis' own choice sequence (``ConjectureData``) from a ``Random`` seeded
with the given seed instead, so the same seed gives the same list on every run. It draws the
way Hypothesis' generation phase begins, without the rest of its engine (no example database,
no shrinking, no health checks, no search tree): the first value is the strategy's simplest
(every choice its simplest), the others random; a draw that a filter or ``assume`` rejects is
drawn again, and a value drawn with the same choices as an earlier one is not kept twice. The
engine run per call (its runner, search tree and per-test bookkeeping) cost about a quarter of
the drawing time of a plan, and none of it changed what is drawn from a strategy.

Hypothesis (since 6.131) also mixes literals of the *local* modules loaded in ``sys.modules``
into what it generates, so which of our modules a process has imported, and every string
literal in them, would change what a seed draws (a recording made by one command would not
match a replay planned by another). :func:`draw` turns that pool off while it draws, with a
cache of allowed constants of its own (Hypothesis' global constants only, kept between draws);
the values then depend on the seed and the Hypothesis version only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from random import Random
from typing import Any, TypeVar

from hypothesis import settings
from hypothesis._settings import local_settings
from hypothesis.control import BuildContext
from hypothesis.errors import StopTest, Unsatisfiable, UnsatisfiedAssumption
from hypothesis.internal.cache import LRUCache
from hypothesis.internal.conjecture import providers
from hypothesis.internal.conjecture.choice import ChoiceTemplate
from hypothesis.internal.conjecture.data import ConjectureData
from hypothesis.internal.constants_ast import Constants
from hypothesis.internal.entropy import deterministic_PRNG
from hypothesis.strategies import SearchStrategy

T = TypeVar("T")

_SETTINGS = settings(database=None, deadline=None, derandomize=False, print_blob=False)
# Hypothesis' own limits: give up past 458 + 100 per value drawn rejected draws (99 %
# confident that fewer than 1 % of draws would be kept); a run of repeats says the strategy has
# no more distinct values (the engine knows it from its search tree, which this does not keep).
_REJECTED_BASE, _REJECTED_PER_VALUE = 458, 100
_REPEATS = 100
_SIMPLEST = (ChoiceTemplate("simplest", count=None),)
_NO_LOCAL_CONSTANTS = Constants()
_CONSTANTS: LRUCache[Any, Any] = LRUCache(1024)  # our draws' allowed constants, by constraints


def draw(strategy: SearchStrategy[T], count: int, seed: int) -> list[T]:
    """Up to ``count`` values of ``strategy``, in generation order; the same ``seed`` (and the
    same Hypothesis version) gives the same list. Fewer than ``count`` only when the strategy
    has fewer distinct examples; values that ``.map`` makes equal may repeat. ``Unsatisfiable``
    when its filters reject every draw."""
    if not isinstance(strategy, SearchStrategy):
        raise TypeError(f"strategy must be a SearchStrategy, not {type(strategy).__name__}")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive int, not {count!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    strategy.validate()
    random = Random(seed)
    drawn: list[T] = []
    seen: set[tuple[object, ...]] = set()
    rejected = repeats = 0
    with _without_local_constants(), local_settings(_SETTINGS):
        while len(drawn) < count and repeats < _REPEATS:
            if rejected > _REJECTED_BASE + _REJECTED_PER_VALUE * len(drawn):
                break
            data = ConjectureData(random=random, prefix=None if drawn or rejected else _SIMPLEST)
            try:
                value = _draw_once(data, strategy)
            except (StopTest, UnsatisfiedAssumption):
                rejected += 1
                continue
            choices = tuple(data.choices)
            if choices in seen:
                repeats += 1
                continue
            seen.add(choices)
            repeats = 0
            drawn.append(value)
    if not drawn:
        raise Unsatisfiable(f"the strategy's filters rejected all of its {rejected} draws")
    return drawn


def _draw_once(data: ConjectureData, strategy: SearchStrategy[T]) -> T:
    """One value, drawn as a test case of Hypothesis' draws it (global PRNGs seeded, a build
    context for ``note``/``event`` and ``st.data``)."""
    with (
        deterministic_PRNG(),
        BuildContext(data, wrapped_test=draw),
        data.provider.per_test_case_context_manager(),
    ):
        return data.draw(strategy)


@contextmanager
def _without_local_constants() -> Iterator[None]:
    """Draw without the literals of loaded local modules (module doc); restored on exit."""
    original, cache = providers._get_local_constants, providers.CONSTANTS_CACHE
    providers._get_local_constants = lambda: _NO_LOCAL_CONSTANTS
    providers.CONSTANTS_CACHE = _CONSTANTS  # its pools: global constants only
    try:
        yield
    finally:
        providers._get_local_constants = original
        providers.CONSTANTS_CACHE = cache
