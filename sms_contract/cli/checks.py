"""``sms-contract checks``: the catalogue, one line per check, with the source it rests on."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "checks",
        help="list the catalogue of checks (ids for --check)",
        description="List every check: its id, what it claims, and the documentation it rests on.",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="also print claims and quotes")
    parser.set_defaults(handler=list_checks)


def list_checks(args: argparse.Namespace) -> int:
    from sms_contract.checks import CATALOGUE  # the catalogue: not loaded by --help

    for check in CATALOGUE.values():
        documented = "" if check.claim.documented else "  [docs silent or conflicting: observed]"
        print(f"{check.id:<36} {check.title}{documented}")
        if args.verbose:
            print(f"    category: {check.category.value}")
            print(f"    claim:    {check.claim.text}")
            print(f"    quote:    {check.claim.quote}")
            print(f"    source:   {check.claim.source}")
    return 0
