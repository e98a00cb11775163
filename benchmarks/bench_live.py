"""What the default live command spends and how long it takes, against the simulator served on
loopback: conformant, and as servers that are slow, lossy, throttling or broken in one place.

For each scenario it runs, in-process, exactly the README's live command with the default
budgets::

    sms-contract run --target live --base-url URL --auth-url URL --to 15555551234 \\
        --definition-key account-reset --seed 1 --report-dir TMP

against a fresh ``Simulator`` on 127.0.0.1 (``serve_in_thread``), and prints one row: the exit
code and result, checks judged (of the checks selected; skips for a missing capability are
not judged), checks incomplete, the sends the simulator itself counted as accepted, requests
and token requests as the simulator counted them, and wall time. Everything stays on
loopback and every scenario ends by itself (the run's own deadline is 600 s; the slowest
scenario takes under a minute).

    /work/venv/bin/python benchmarks/bench_live.py [--scenario NAME ...]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from sms_contract import Simulator, SimulatorConfig, serve_in_thread
from sms_contract.cli.main import main as sms_contract_main
from sms_contract.simulator.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    Deviation,
    Faults,
)

BASE = SimulatorConfig()
SCENARIOS: dict[str, SimulatorConfig] = {
    "conformant": BASE,
    "latency 200 ms": replace(BASE, faults=Faults(latency=0.2)),
    "loses every 5th response": replace(BASE, faults=Faults(drop_response_every=5)),
    "429 every 4th (Retry-After 1)": replace(
        BASE, faults=Faults(rate_limit_every=4, retry_after=1)
    ),
    "429 to everything (Retry-After 1)": replace(
        BASE, faults=Faults(rate_limit_every=1, retry_after=1)
    ),
    "tokens of 4 s": replace(BASE, token_lifetime=4.0, expires_in=4),
    "status visible after 5 s": replace(BASE, status_visible_after=5.0),
    "200 to every send": replace(BASE, faults=Faults(send_answer=200)),
    "500 to every send": replace(BASE, faults=Faults(send_answer=500)),
    "500 to non-ASCII keys": replace(
        BASE, deviations=frozenset({Deviation.SERVER_ERROR_ON_NON_ASCII_KEY})
    ),
    "accepts a reused messageKey": replace(
        BASE, deviations=frozenset({Deviation.ACCEPT_DUPLICATE_KEY})
    ),
}


@dataclass(frozen=True)
class Row:
    scenario: str
    exit_code: int
    result: str
    judged: int
    selected: int
    incomplete: int
    accepted: int
    requests: int
    tokens: int
    seconds: float


def measure(name: str, config: SimulatorConfig) -> Row:
    simulator = Simulator(config)
    environ = {"SFMC_CLIENT_ID": DEFAULT_CLIENT_ID, "SFMC_CLIENT_SECRET": DEFAULT_CLIENT_SECRET}
    saved = {key: os.environ.pop(key) for key in list(os.environ) if key.startswith("SFMC_")}
    os.environ.update(environ)
    try:
        with serve_in_thread(simulator) as server, tempfile.TemporaryDirectory() as reports:
            base = server.base_url
            argv = [
                "run",
                *("--target", "live", "--base-url", base, "--auth-url", base),
                *("--to", "15555551234", "--definition-key", "account-reset", "--seed", "1"),
                *("--report-dir", reports),
            ]
            started = time.monotonic()
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
            ):
                code = sms_contract_main(argv)
            seconds = time.monotonic() - started
            report = json.loads((Path(reports) / "report.json").read_text("utf-8"))
            counters = simulator.counters
    finally:
        for key in environ:
            os.environ.pop(key, None)
        os.environ.update(saved)
    checks = report["checks"]
    selected = [check for check in checks if check["verdict"] != "skipped"]
    judged = [check for check in selected if check["verdict"] != "incomplete"]
    return Row(
        scenario=name,
        exit_code=code,
        result=report["result"],
        judged=len(judged),
        selected=len(selected),
        incomplete=report["summary"]["incomplete"],
        accepted=counters.accepted_sends,
        requests=counters.requests,
        tokens=counters.token_requests,
        seconds=seconds,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario",
        action="append",
        choices=list(SCENARIOS),
        help="run only this scenario (repeatable; default: all)",
    )
    args = parser.parse_args(argv)
    chosen = args.scenario or list(SCENARIOS)
    print(
        f"{'scenario':<36} {'exit':>4} {'result':<10} {'judged':>9} {'incompl':>7} "
        f"{'accepted':>8} {'requests':>8} {'tokens':>6} {'wall s':>7}"
    )
    for name in chosen:
        row = measure(name, SCENARIOS[name])
        print(
            f"{row.scenario:<36} {row.exit_code:>4} {row.result:<10} "
            f"{f'{row.judged}/{row.selected}':>9} {row.incomplete:>7} {row.accepted:>8} "
            f"{row.requests:>8} {row.tokens:>6} {row.seconds:>7.1f}",
            flush=True,
        )
    print(
        "\njudged: checks selected and judged completely (the three checks that need the "
        "mock's clock or tenant changes are skipped by capability, not counted); accepted, "
        "requests, tokens: the simulator's own counters (tokens: the run's one token and "
        "TOKEN-BAD-SECRET's refused request). The budget is --max-sends 10, --max-requests 200."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
