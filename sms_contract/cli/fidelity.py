"""``sms-contract fidelity``: does the simulator answer the recorded cases as they were
answered when recorded?"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

DESCRIPTION = """\
Run the recorded cases again against a fresh in-process simulator and list every difference
from the recordings in status, errorcode and body shape (JSON paths and types, not values).
The cases are planned again from the cassettes' provenance (seed, nonce, examples, definition
key), so the simulator gets the requests that were recorded, before scrubbing; the recorded
phone numbers become 15555551234, 15555551235, ... and the client credentials (and so the
tokens) are the simulator's own. A fresh request that no longer matches its recording is
listed too: the recordings then need recording again ('sms-contract record').
"""

EPILOG = """\
examples:
  sms-contract fidelity --cassette-dir recordings/simulator
  sms-contract fidelity --cassette-dir recordings/my-sandbox --check SEND-EXAMPLE

exit codes: 0 no difference, 1 a difference, 2 usage (unreadable cassettes, no run parameters).
"""


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "fidelity",
        help="compare the simulator with recorded cassettes",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--cassette-dir",
        type=Path,
        required=True,
        metavar="DIR",
        help="the recordings ('sms-contract record' writes them)",
    )
    parser.add_argument(
        "--check",
        action="append",
        default=[],
        metavar="ID",
        help="compare only this check's recordings (repeatable)",
    )
    parser.set_defaults(handler=fidelity)


def fidelity(args: argparse.Namespace) -> int:
    # A run and the simulator: loaded when the command runs, not by --help.
    from sms_contract.drift.fidelity import check_fidelity
    from sms_contract.recordings.cassettes import load_recordings

    report = check_fidelity(load_recordings(args.cassette_dir), check_ids=tuple(args.check))
    print(f"fidelity of the simulator against {args.cassette_dir}:")
    for line in report.lines():
        print(line)
    print("result: " + ("DIFFERENT from the recordings" if report.breaking else "OK"))
    return 1 if report.breaking else 0
