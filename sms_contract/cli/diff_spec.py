"""``sms-contract diff-spec OLD NEW``: breaking changes between two versions of the spec.

Exit codes: 0 no breaking change; 1 at least one breaking change; 2 a file is unreadable or
not an OpenAPI document (``SpecError``, mapped by ``cli.main``).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from sms_contract.errors import SpecError
from sms_contract.spec.diff import Change, diff_specs

_P = TypeVar("_P", bound=argparse.ArgumentParser)


def register(subparsers: argparse._SubParsersAction[_P]) -> None:
    """Add ``diff-spec`` to the ``sms-contract`` command."""
    parser = subparsers.add_parser(
        "diff-spec",
        help="list the breaking changes between two versions of an OpenAPI spec",
        description=(
            "Compare two OpenAPI documents as an integrator of the old one would: removed "
            "operations, statuses and response fields, new required request fields or "
            "parameters, tightened request constraints, changed types."
        ),
        epilog="exit codes: 0 no breaking change, 1 breaking changes, 2 unreadable file",
    )
    parser.add_argument("old", metavar="OLD", type=Path, help="the previous spec (YAML or JSON)")
    parser.add_argument("new", metavar="NEW", type=Path, help="the new spec (YAML or JSON)")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: one line per change and a summary (default); json: a JSON document",
    )
    parser.set_defaults(handler=handle)


def load_spec_file(path: Path) -> dict[str, Any]:
    """A spec file as a dict; ``SpecError`` naming the file when it cannot be read."""
    from sms_contract.spec.yaml_files import read_yaml_file  # YAML: not for --help

    data = read_yaml_file(path, SpecError, kind="YAML or JSON")
    if not isinstance(data, dict) or not ("openapi" in data or "paths" in data):
        raise SpecError(f"{path}: not an OpenAPI document (no 'openapi' or 'paths' key)")
    return data


def render_text(changes: Sequence[Change]) -> str:
    """One line per change, breaking ones first, then a summary line."""
    ordered = sorted(changes, key=lambda c: not c.breaking)
    breaking = sum(1 for c in changes if c.breaking)
    summary = f"{len(changes)} changes, {breaking} breaking" if changes else "no changes"
    return "".join(f"{change}\n" for change in ordered) + summary + "\n"


def render_json(changes: Sequence[Change]) -> str:
    document = {
        "breaking": sum(1 for c in changes if c.breaking),
        "total": len(changes),
        "changes": [
            {
                "kind": str(c.kind),
                "location": c.location,
                "old": c.old,
                "new": c.new,
                "breaking": c.breaking,
            }
            for c in changes
        ],
    }
    return json.dumps(document, indent=2, default=str) + "\n"


def handle(args: argparse.Namespace) -> int:
    old, new = load_spec_file(args.old), load_spec_file(args.new)
    try:
        changes = diff_specs(old, new)
    except SpecError as exc:
        raise SpecError(f"comparing {args.old} with {args.new}: {exc}") from exc
    render = render_json if args.format == "json" else render_text
    print(render(changes), end="")
    return 1 if any(c.breaking for c in changes) else 0
