"""Recordings match replays only if a seed plans the same requests in every process: loading
another module (Hypothesis mixes the literals of loaded local modules into what it generates)
must not change the plan."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from sms_contract.checks.model import Capability
from sms_contract.run.planning import RunOptions, plan

CHECKS = ("SEND-ACCEPTED", "SEND-REJECT-TO-INVALID", "SEND-REJECT-WRONG-TYPE")


def _requests() -> list[tuple[str, bytes | None]]:
    options = RunOptions(seed=7, allow_list=("15555551234",), nonce="s7", check_ids=CHECKS)
    planned = plan(options, frozenset(Capability))
    return [(step.path, step.wire_body()) for p in planned for c in p.cases for step in c.steps]


def test_loading_a_module_full_of_literals_does_not_change_what_a_seed_plans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same seed plans byte-identical requests before and after a local module with
    hundreds of new string and number literals is imported."""
    before = _requests()
    literals = "\n".join(f'NAME_{n} = ("planted-literal-{n}", {9_000_000 + n})' for n in range(400))
    (tmp_path / "planted_literals.py").write_text(literals + "\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        module = importlib.import_module("planted_literals")
        after = _requests()
    finally:
        sys.modules.pop("planted_literals", None)
    assert module.NAME_0 == ("planted-literal-0", 9_000_000)
    assert len(before) == 24
    assert after == before
