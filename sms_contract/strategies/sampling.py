"""Deterministic example collection outside of a test.

``strategy.example()`` warns outside of a test and is not reproducible; :func:`draw` runs the
strategy through Hypothesis' own engine with a fixed seed instead, generation phase only (no
shrinking, no example database), so the same seed gives the same list on every run.

Hypothesis (since 6.131) also mixes literals of the *local* modules loaded in ``sys.modules``
into what it generates, so which of our modules a process has imported, and every string
literal in them, would change what a seed draws (a recording made by one command would not
match a replay planned by another). :func:`draw` turns that pool off while it draws; the
values then depend on the seed and the Hypothesis version only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as fixed_seed
from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants
from hypothesis.strategies import SearchStrategy

T = TypeVar("T")


def draw(strategy: SearchStrategy[T], count: int, seed: int) -> list[T]:
    """Up to ``count`` values of ``strategy``, in generation order; the same ``seed`` (and the
    same Hypothesis version) gives the same list. Fewer than ``count`` only when the strategy
    has fewer distinct examples; values that ``.map`` makes equal may repeat. Called inside a
    ``@given`` test, that test must suppress ``HealthCheck.nested_given``."""
    if not isinstance(strategy, SearchStrategy):
        raise TypeError(f"strategy must be a SearchStrategy, not {type(strategy).__name__}")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive int, not {count!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    drawn: list[T] = []

    @fixed_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=False,
        print_blob=False,
    )
    @given(strategy)
    def collect(value: T) -> None:
        drawn.append(value)

    with _without_local_constants():
        collect()
    return drawn


@contextmanager
def _without_local_constants() -> Iterator[None]:
    """Draw without the literals of loaded local modules (module doc); restored on exit."""
    original = providers._get_local_constants
    empty = Constants()
    providers._get_local_constants = lambda: empty
    providers.CONSTANTS_CACHE.cache.clear()  # it caches the local pool per choice type
    try:
        yield
    finally:
        providers._get_local_constants = original
        providers.CONSTANTS_CACHE.cache.clear()
