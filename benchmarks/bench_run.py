"""Wall time and cases per second of a default ``sms-contract run``, against ``st run``
(Schemathesis CLI) on the same spec, the same simulator (on loopback) and the same number of
requests ("cases" below means requests sent, token requests included); with ``--before PATH``
also against the code of another checkout (the baseline), measured in the same run.

    /work/venv/bin/python benchmarks/bench_run.py [--repeat N] [--timeout S]
        [--before PATH] [--rounds N]

Measured, in this order:
1. ``sms-contract run --seed 1`` on the mock, in-process (median of N) and as a fresh process.
2. The same run against a simulator served on 127.0.0.1 (``--target live --base-url``; a
   fresh one for each run, as the echo keys '.' and '..' can be sent once per simulator), with
   ``--allow-tenant-changes`` so SPEC-BREADTH runs as it does on the mock (the tenant is ours).
3. ``st run`` against that same simulator: its fuzzing phase with ``--max-examples`` calibrated
   to send about as many requests as sms-contract did (counted by the simulator), and its
   default phases at ``--max-examples 1`` (the fewest it sends) for reference.
4. With ``--before PATH``: the default mock run of this checkout and of PATH (a checkout of the
   baseline, e.g. ``git worktree add /tmp/gen-before COMMIT``), each in fresh processes with
   ``PYTHONPATH`` set to its checkout, interleaved (this, before, this, before, ...) for
   ``--rounds`` rounds: a fresh ``python -m sms_contract`` (wall and CPU seconds) and a fresh
   process that runs it N times in-process (the median of those, warm); the medians over the
   rounds and their ratio before / this.
Children run without ``PYTHONDONTWRITEBYTECODE`` (bytecode written and read, as for an installed
package). Everything stays on loopback and every subprocess has a timeout.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import platform
import re
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sms_contract.cli.main import main as sms_contract_main
from sms_contract.exchange import HttpRequest
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from sms_contract.simulator.server import serve_in_thread
from sms_contract.spec.loading import load_spec, spec_path
from sms_contract.transports.base import Timeouts
from sms_contract.transports.http import HttpTransport

AIM_SECONDS = 30.0
TOKEN_OPERATION = "requestToken"
MOCK_ARGS = ["run", "--seed", "1"]
ST_COMMON = ["--seed", "1", "--no-shrink", "--generation-deterministic", "--workers", "1"]
ST_FUZZING = ["--phases", "fuzzing", "--continue-on-failure"]
ST_SELF_TIME = re.compile(r" in ([0-9.]+)s =+\s*$", re.MULTILINE)
REPO = Path(__file__).resolve().parents[1]
# Run in a fresh process with PYTHONPATH set to a checkout: the mock run N times in-process;
# prints, as JSON, where the code it ran came from, and each run's wall and CPU seconds and its
# report's request count.
WARM_CHILD = """
import contextlib, io, json, sys, tempfile, time
from pathlib import Path
import sms_contract
try:
    from sms_contract.cli.main import main
except ImportError:  # a checkout from before the package was laid out by concern (da132c1)
    from sms_contract.cli import main
runs = []
for _ in range(int(sys.argv[1])):
    with tempfile.TemporaryDirectory() as directory:
        wall, cpu = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(io.StringIO()):
            code = main([*sys.argv[2:], "--report-dir", directory])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if code != 0:
            raise SystemExit(f"sms-contract run exited {code}")
        report = json.loads((Path(directory) / "report.json").read_text())
    runs.append({"wall": wall, "cpu": cpu, "requests": report["spending"]["requests"]})
print(json.dumps({"code": sms_contract.__file__, "runs": runs}))
"""


@dataclass(frozen=True)
class Measurement:
    tool: str
    target: str
    mode: str
    requests: int
    wall: float
    own: float | None
    """The tool's own figure for its run: the report's ``duration`` or st's summary line."""

    @property
    def rate(self) -> float:
        return self.requests / self.wall


@dataclass(frozen=True)
class Report:
    requests: int
    duration: float
    checks: int
    judged_cases: int


def read_report(directory: str) -> Report:
    data = json.loads((Path(directory) / "report.json").read_text())
    return Report(
        requests=int(data["spending"]["requests"]),
        duration=float(data["duration"]),
        checks=int(data["summary"]["total"]),
        judged_cases=sum(int(check["cases"]) for check in data["checks"]),
    )


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``os.environ`` without any SFMC_* variable but ``values``, restored on exit."""
    saved = dict(os.environ)
    for name in [name for name in os.environ if name.startswith("SFMC_")]:
        del os.environ[name]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def in_process(
    label: str,
    target: Callable[[], contextlib.AbstractContextManager[Sequence[str]]],
    repeat: int,
) -> tuple[Measurement, Report]:
    """``repeat`` runs in this process, each with the arguments ``target`` opens for it."""
    walls: list[float] = []
    reports: list[Report] = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as directory, target() as argv:
            started = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                code = sms_contract_main([*argv, "--report-dir", directory])
            walls.append(time.perf_counter() - started)
            if code != 0:
                raise SystemExit(f"{label}: sms-contract run exited {code}")
            reports.append(read_report(directory))
    median = sorted(range(repeat), key=walls.__getitem__)[repeat // 2]
    report = reports[median]
    mode = f"in-process, median of {repeat}"
    return Measurement(
        "sms-contract", label, mode, report.requests, walls[median], report.duration
    ), report


def live_args(base_url: str) -> list[str]:
    return [
        *MOCK_ARGS,
        *("--target", "live", "--base-url", base_url, "--auth-url", base_url),
        *("--to", "15555551234", "--definition-key", "account-reset"),
        *("--max-sends", "100000", "--max-requests", "100000", "--allow-tenant-changes"),
        # One request at a time, as `st run --workers 1` below: equal request counts, equal
        # concurrency (the live default sends up to 16 at once; bench_live.py measures that).
        *("--concurrency", "1"),
    ]


@contextlib.contextmanager
def served(counted: list[int]) -> Iterator[list[str]]:
    """A fresh simulator on loopback, for one run: the live command's arguments for it; the
    requests it counted are appended to ``counted`` afterwards. One simulator per run: the
    echo keys '.' and '..' cannot carry a run's nonce, so a second run against the same
    simulator finds them taken (109110) and is incomplete (exit 4)."""
    simulator = Simulator()
    with serve_in_thread(simulator) as server:
        yield live_args(server.base_url)
    counted.append(simulator.counters.requests)


def in_subprocess(
    label: str, argv: Sequence[str], env: dict[str, str], timeout: float
) -> Measurement:
    with tempfile.TemporaryDirectory() as directory:
        command = [sys.executable, "-m", "sms_contract", *argv, "--report-dir", directory]
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(
                f"{label}: sms-contract exited {done.returncode}: {done.stderr[-500:]}"
            )
        report = read_report(directory)
    return Measurement(
        "sms-contract", label, "fresh process", report.requests, wall, report.duration
    )


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float
    requests: int


def checkout_env(checkout: Path, clean: dict[str, str]) -> dict[str, str]:
    """The environment of a run of ``checkout``'s code: its root first on ``PYTHONPATH``. The
    run's working directory must hold no checkout (``python -m`` and ``-c`` put it first on
    ``sys.path``): ``before_and_after`` runs them in an empty one."""
    return {**clean, "PYTHONPATH": str(checkout)}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fresh_run(checkout: Path, clean: dict[str, str], where: Path, timeout: float) -> Timing:
    """``python -m sms_contract run --seed 1`` on the mock with ``checkout``'s code, run in
    the directory ``where``."""
    with tempfile.TemporaryDirectory() as directory:
        command = [sys.executable, "-m", "sms_contract", *MOCK_ARGS, "--report-dir", directory]
        cpu, started = children_cpu(), time.perf_counter()
        done = subprocess.run(
            command,
            env=checkout_env(checkout, clean),
            cwd=where,
            capture_output=True,
            timeout=timeout,
        )
        wall, cpu = time.perf_counter() - started, children_cpu() - cpu
        if done.returncode != 0:
            raise SystemExit(f"{checkout}: sms-contract exited {done.returncode}")
        return Timing(wall, cpu, read_report(directory).requests)


def warm_run(
    checkout: Path, clean: dict[str, str], where: Path, repeat: int, timeout: float
) -> Timing:
    """The median of ``repeat`` in-process runs of ``checkout``'s code in one fresh process,
    run in the directory ``where``."""
    command = [sys.executable, "-c", WARM_CHILD, str(repeat), *MOCK_ARGS]
    done = subprocess.run(
        command,
        env=checkout_env(checkout, clean),
        cwd=where,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: in-process runs failed: {done.stderr[-500:]}")
    ran = json.loads(done.stdout)
    if not Path(ran["code"]).resolve().is_relative_to(checkout.resolve()):
        raise SystemExit(f"{checkout}: the in-process runs ran the code of {ran['code']}")
    runs = sorted(ran["runs"], key=lambda run: float(run["wall"]))
    middle = runs[len(runs) // 2]
    return Timing(float(middle["wall"]), float(middle["cpu"]), int(middle["requests"]))


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def before_and_after(
    before: Path, clean: dict[str, str], rounds: int, repeat: int, timeout: float
) -> None:
    """The default mock run of this checkout and of ``before``, interleaved (module doc), in
    one empty working directory (what Hypothesis keeps there, its Unicode tables, is made by
    an untimed first run of each)."""
    trees = {"this checkout": REPO, f"before ({before})": before}
    fresh: dict[str, list[Timing]] = {name: [] for name in trees}
    warm: dict[str, list[Timing]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory() as directory:
        where = Path(directory)
        for checkout in trees.values():
            fresh_run(checkout, clean, where, timeout)
        for _ in range(rounds):
            for name, checkout in trees.items():
                fresh[name].append(fresh_run(checkout, clean, where, timeout))
            for name, checkout in trees.items():
                warm[name].append(warm_run(checkout, clean, where, repeat, timeout))
    print(f"\ndefault mock run, this checkout against {before}, {rounds} rounds interleaved:")
    print(f"{'code':<44} {'mode':<32} {'requests':>8} {'wall s':>7} {'cpu s':>6}")
    medians: dict[tuple[str, str], tuple[float, float]] = {}
    for name in trees:
        for mode, timings in (
            ("fresh process", fresh[name]),
            (f"in-process, median of {repeat}", warm[name]),
        ):
            wall = median([t.wall for t in timings])
            cpu = median([t.cpu for t in timings])
            requests = sorted({t.requests for t in timings})
            medians[name, mode] = wall, cpu
            print(
                f"{name:<44} {mode:<32} {'/'.join(map(str, requests)):>8} {wall:>7.2f} {cpu:>6.2f}"
            )
    this, old = trees
    print("ratio before / this checkout (medians; above 1: this checkout is faster):")
    for mode in ("fresh process", f"in-process, median of {repeat}"):
        (new_wall, new_cpu), (old_wall, old_cpu) = medians[this, mode], medians[old, mode]
        print(f"  {old_wall / new_wall:5.2f} wall, {old_cpu / new_cpu:5.2f} cpu  {mode}")


def bearer_token(base_url: str) -> str:
    body = {
        "grant_type": "client_credentials",
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
    }
    transport = HttpTransport()
    try:
        response = transport.send(
            HttpRequest(
                "POST",
                base_url + "/v2/token",
                {"Content-Type": "application/json"},
                json.dumps(body).encode(),
            ),
            Timeouts(connect=2, read=10),
        )
    finally:
        transport.close()
    return str(response.json()["access_token"])


def st_command(st: str, base_url: str, token: str, extra: Sequence[str]) -> list[str]:
    return [
        st,
        "run",
        str(spec_path()),
        "--url",
        base_url,
        "-H",
        f"Authorization: Bearer {token}",
        "--exclude-operation-id",
        TOKEN_OPERATION,
        "--no-color",
        *ST_COMMON,
        *extra,
    ]


def shown(command: Sequence[str]) -> str:
    """The command line with the bearer token replaced, so no token is printed."""
    return shlex.join(
        re.sub(r"^Authorization: Bearer .+$", "Authorization: Bearer TOKEN", part)
        for part in command
    )


def st_run(label: str, command: Sequence[str], simulator: Simulator, timeout: float) -> Measurement:
    before = simulator.counters.requests
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: st found failures, which is not a benchmark error
        raise SystemExit(f"st run exited {done.returncode}: {done.stderr[-500:]}")
    requests = simulator.counters.requests - before
    own = ST_SELF_TIME.findall(done.stdout)
    return Measurement(
        "st run", label, "fresh process", requests, wall, float(own[-1]) if own else None
    )


def calibrated_st(
    st: str, base_url: str, token: str, simulator: Simulator, target: int, timeout: float
) -> tuple[Measurement, list[str]]:
    """st's fuzzing phase with --max-examples scaled until it sends about ``target`` requests."""
    operations = sum(1 for op in load_spec().operations if op.operation_id != TOKEN_OPERATION)
    examples = max(1, math.ceil(target / operations))
    tried: dict[int, tuple[Measurement, list[str]]] = {}
    for _ in range(3):
        command = st_command(st, base_url, token, [*ST_FUZZING, "--max-examples", str(examples)])
        measured = st_run(f"loopback simulator, fuzzing -n {examples}", command, simulator, timeout)
        tried[examples] = (measured, command)
        if abs(measured.requests - target) <= 0.05 * target:
            break
        examples = max(1, round(examples * target / max(measured.requests, 1)))
        if examples in tried:
            break
    return min(tried.values(), key=lambda pair: abs(pair[0].requests - target))


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}"


def print_table(rows: Sequence[Measurement]) -> None:
    head = f"{'tool':<13} {'target':<38} {'mode':<24} {'requests':>8} {'wall s':>7}"
    print(f"\n{head} {'cases/s':>8} {'own s':>6}")
    for row in rows:
        own = "" if row.own is None else f"{row.own:.2f}"
        print(
            f"{row.tool:<13} {row.target:<38} {row.mode:<24} {row.requests:>8} {row.wall:>7.2f} "
            f"{row.rate:>8.1f} {own:>6}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="in-process repetitions (median)")
    parser.add_argument("--timeout", type=float, default=300.0, help="per subprocess, seconds")
    parser.add_argument(
        "--before", type=Path, help="a checkout of the baseline, measured against this one"
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="interleaved rounds with --before (medians)"
    )
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.before is not None and not (args.before / "sms_contract" / "__main__.py").is_file():
        parser.error(f"--before {args.before}: not a checkout of sms-contract")
    st = Path(sys.executable).with_name("st")
    if not st.is_file():
        raise SystemExit(f"st (Schemathesis CLI) not found next to {sys.executable}")
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}")
    # Without SFMC_* variables, and with bytecode written and read (an installed package has
    # its .pyc files; PYTHONDONTWRITEBYTECODE would make every fresh run compile the checkout's
    # sources again, about 0.15 s of this checkout's run and 0.1 s of an older, smaller one).
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("SFMC_") and name != "PYTHONDONTWRITEBYTECODE"
    }
    credentials = {"SFMC_CLIENT_ID": DEFAULT_CLIENT_ID, "SFMC_CLIENT_SECRET": DEFAULT_CLIENT_SECRET}

    mock, mock_report = in_process("mock", lambda: contextlib.nullcontext(MOCK_ARGS), args.repeat)
    mock_cold = in_subprocess("mock", MOCK_ARGS, clean, args.timeout)
    counts: list[int] = []
    with environment(credentials):
        live, _ = in_process("loopback simulator", lambda: served(counts), args.repeat)
    counted = sum(counts) // len(counts)
    with served([]) as argv:
        live_cold = in_subprocess(
            "loopback simulator", argv, {**clean, **credentials}, args.timeout
        )
    simulator = Simulator()
    with serve_in_thread(simulator) as server:
        token = bearer_token(server.base_url)
        fuzzing, fuzzing_command = calibrated_st(
            st.as_posix(), server.base_url, token, simulator, live_cold.requests, args.timeout
        )
        default_command = st_command(st.as_posix(), server.base_url, token, ["--max-examples", "1"])
        default = st_run(
            "loopback simulator, all phases -n 1", default_command, simulator, args.timeout
        )
        base_url = server.base_url

    print(
        f"sms-contract: {mock_report.checks} checks, {mock_report.judged_cases} judged cases, "
        f"{mock.requests} requests on the mock; on loopback {live.requests} requests in its "
        f"report, {counted} counted by the simulator"
    )
    print_table([mock, mock_cold, live, live_cold, fuzzing, default])
    print(
        "own s: the tool's own figure; sms-contract: the report's duration (sending and judging,"
        "\n       not planning or reports); st: its summary line (generation, sending, checks)"
    )
    print_verdicts(mock, mock_cold, live, live_cold, fuzzing, default)
    print(
        f"\ncommands (URL a fresh simulator on loopback for each sms-contract run; st's was "
        f"{base_url}, TOKEN one from its /v2/token):"
    )
    print("  " + shlex.join(["sms-contract", *MOCK_ARGS, "--report-dir", "DIR"]))
    print(
        "  SFMC_CLIENT_ID=... SFMC_CLIENT_SECRET=... "
        + shlex.join(["sms-contract", *live_args("URL"), "--report-dir", "DIR"])
    )
    print("  " + shown(fuzzing_command))
    print("  " + shown(default_command))
    if args.before is not None:
        before_and_after(args.before.resolve(), clean, args.rounds, args.repeat, args.timeout)


def print_verdicts(
    mock: Measurement,
    mock_cold: Measurement,
    live: Measurement,
    live_cold: Measurement,
    fuzzing: Measurement,
    default: Measurement,
) -> None:
    print("\nratio of cases/s, sms-contract / st, same simulator:")
    for other in (fuzzing, default):
        name = other.target.split(", ", 1)[1]
        print(f"  {live_cold.rate / other.rate:5.2f}  both fresh processes, vs st {name}")
        if other.own is not None:
            ratio = live.rate / (other.requests / other.own)
            print(f"  {ratio:5.2f}  without start-up (in-process wall vs st's own s), vs st {name}")
    worst = max(mock.wall, mock_cold.wall)
    verdict = "holds" if worst < AIM_SECONDS else "does NOT hold"
    print(
        f"\naim 1, default mock run under {AIM_SECONDS:.0f} s: {verdict} ({worst:.2f} s at worst)"
    )
    verdict = "holds" if live_cold.rate >= fuzzing.rate else "does NOT hold"
    print(
        f"aim 2, cases/s at least st's at the same request count: {verdict} "
        f"({live_cold.rate:.1f} vs {fuzzing.rate:.1f}, fresh processes)"
    )


if __name__ == "__main__":
    main()
