"""The character pools the payload strategies draw text from."""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["PRINTABLE", "SCALARS"]

SCALARS = st.characters(exclude_categories=["Cs"])  # every Unicode scalar value
PRINTABLE = st.characters(exclude_categories=["Cs", "Cc"])  # ... except control characters
