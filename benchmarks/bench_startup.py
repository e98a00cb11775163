"""Start-up: wall time of the commands that only print (help, the catalogue), each in a fresh
process, against ``python -c "import requests"`` measured in the same run (issue 12, point 4:
``sms-contract --help`` within 3x of it).

    /work/venv/bin/python benchmarks/bench_startup.py [--repeat N] [--timeout S] [--limit X]

Measured, interleaved (one of each per round, the order rotated every round, after one
untimed warm-up round), each in a fresh subprocess in an empty working directory, with
stdout discarded:
1. ``python -c "import requests"``: the yardstick;
2. ``python -m sms_contract --help``;
3. ``sms-contract --help``: the console script in the bin directory next to ``sys.executable``;
4. ``sms-contract checks``: the catalogue (it loads the checks and the spec they rest on);
5. ``sms-contract run --help``.
Prints the median and p90 of each and the ratio of its median to the yardstick's; exits 1 when
a ``--help`` row's median is more than ``--limit`` times the yardstick's (2 when a command
fails or times out). It imports nothing of sms_contract itself, so ``PYTHONPATH=OTHER-CHECKOUT``
measures another checkout with the same script.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

YARDSTICK = "import requests"


@dataclass
class Command:
    name: str
    argv: list[str]
    help: bool = False  # held to --limit
    times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p90(self) -> float:
        if len(self.times) < 2:
            return self.times[0]
        return statistics.quantiles(self.times, n=10, method="inclusive")[8]


class Failed(Exception):
    pass


def commands() -> list[Command]:
    python = sys.executable
    script = str(Path(python).with_name("sms-contract"))
    if not Path(script).is_file():
        raise SystemExit(f"no console script at {script} (is the project installed there?)")
    return [
        Command(f'python -c "{YARDSTICK}"', [python, "-c", YARDSTICK]),
        Command("python -m sms_contract --help", [python, "-m", "sms_contract", "--help"], True),
        Command("sms-contract --help", [script, "--help"], True),
        Command("sms-contract checks", [script, "checks"]),
        Command("sms-contract run --help", [script, "run", "--help"]),
    ]


def time_once(command: Command, timeout: float, cwd: str) -> float:
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command.argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise Failed(f"{command.name}: no answer within {timeout:g} s") from None
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        stderr = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise Failed(f"{command.name}: exit {done.returncode}: {' / '.join(stderr)}")
    return elapsed


def measure(rows: Sequence[Command], repeat: int, timeout: float) -> None:
    # An empty working directory: ``python -m`` puts it first on sys.path, and a checkout there
    # would shadow the one measured.
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as cwd:
        _measure(rows, repeat, timeout, cwd)


def _measure(rows: Sequence[Command], repeat: int, timeout: float, cwd: str) -> None:
    for round_number in range(-1, repeat):  # round -1 is the untimed warm-up
        shift = max(round_number, 0) % len(rows)
        for command in [*rows[shift:], *rows[:shift]]:
            elapsed = time_once(command, timeout, cwd)
            if round_number >= 0:
                command.times.append(elapsed)


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}"


def print_table(rows: Sequence[Command], yardstick: Command) -> None:
    print(f"\n{'command':<34} {'median s':>9} {'p90 s':>7} {'x import requests':>18}")
    for command in rows:
        ratio = command.median / yardstick.median
        print(f"{command.name:<34} {command.median:9.3f} {command.p90:7.3f} {ratio:17.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=15, help="timed runs of each (default 15)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per subprocess, seconds")
    parser.add_argument(
        "--limit", type=float, default=3.0, help="most --help may take, x import requests"
    )
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    rows = commands()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}")
    source = os.environ.get("PYTHONPATH")
    print(f"sms_contract from: {source or 'the installed package'}; {args.repeat} runs of each")
    try:
        measure(rows, args.repeat, args.timeout)
    except Failed as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return 2
    yardstick = rows[0]
    print_table(rows, yardstick)
    over = [c for c in rows if c.help and c.median > args.limit * yardstick.median]
    for command in over:
        print(f"over the limit: {command.name} takes more than {args.limit:g}x {yardstick.name}")
    if not over:
        print(f"\nwithin the limit: every --help row at most {args.limit:g}x {yardstick.name}")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
