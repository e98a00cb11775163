"""Start-up: the commands that only read the catalogue or print help load neither Hypothesis
nor Schemathesis (a run imports them when it plans generated cases), and help loads none of
the machinery behind the commands: it prints what the parser says and nothing more."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

PROBE = """
import sys
from sms_contract.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("loaded:", sorted(m for m in ("hypothesis", "schemathesis") if m in sys.modules))
"""


@pytest.mark.parametrize("argv", [["--help"], ["checks"], ["checks", "-v"], ["run", "--help"]])
def test_listing_and_help_import_no_generator(argv: list[str]) -> None:
    """`sms-contract --help`, `checks` and a subcommand's --help import no generator."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "loaded: []"


def test_a_dry_run_plans_with_the_generators() -> None:
    """The probe is not blind: a dry run, which draws cases, does load Hypothesis."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "run", "--dry-run", "--check", "SEND-ACCEPTED"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "hypothesis" in done.stdout.splitlines()[-1]


HEAVY = (
    "requests",
    "jsonschema",
    "yaml",
    "responses",
    "rich",
    "hypothesis",
    "schemathesis",
    "sms_contract.checks",
    "sms_contract.client",
    "sms_contract.transports",
    "sms_contract.spec.loading",
    "sms_contract.simulator.app",
    "sms_contract.simulator.inprocess",
    "sms_contract.simulator.server",
    "sms_contract.recordings",
    "sms_contract.reporting",
    "sms_contract.run.targets",
    "sms_contract.proxy.watch",
)

HELP_PROBE = f"""
import sys
from sms_contract.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("loaded:", sorted(m for m in {HEAVY!r} if m in sys.modules))
"""

COMMANDS = ("run", "checks", "record", "fidelity", "drift", "serve", "diff-spec", "proxy")


@pytest.mark.parametrize(
    "argv", [["--help"], *([command, "--help"] for command in COMMANDS)], ids=" ".join
)
def test_help_imports_no_client_transport_simulator_spec_or_catalogue(argv: list[str]) -> None:
    """`sms-contract --help` and every `sms-contract COMMAND --help` build the whole parser
    (every command registers its flags) yet import no HTTP client, schema validator, YAML
    parser, simulator, catalogue or reporter: those load when a command runs."""
    done = subprocess.run(
        [sys.executable, "-c", HELP_PROBE, *argv], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "usage: sms-contract" in done.stdout
    assert done.stdout.splitlines()[-1] == "loaded: []"


def test_the_help_probe_sees_a_command_load_its_machinery() -> None:
    """The probe is not blind: `checks` (which reads the catalogue) loads the catalogue and
    the spec it rests on."""
    done = subprocess.run(
        [sys.executable, "-c", HELP_PROBE, "checks"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    loaded = done.stdout.splitlines()[-1]
    assert "'sms_contract.checks'" in loaded
    assert "'sms_contract.spec.loading'" in loaded


EXIT_PROBE = """
import atexit, gc, sys
from sms_contract.cli.main import console
atexit.register(lambda: print("atexit ran, frozen:", gc.get_freeze_count() > 0))
print("before:", gc.get_freeze_count())
raise SystemExit(console())
"""


def test_the_process_entry_freezes_the_heap_and_still_exits_as_usual() -> None:
    """The console entry returns main's exit code, freezes what the command left (so the
    interpreter's final collection skips it), and the process still runs its atexit handlers
    and flushes its output."""
    done = subprocess.run(
        [sys.executable, "-c", EXIT_PROBE, "checks"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "before: 0"
    assert "SEND-ACCEPTED" in done.stdout  # the command's own output, flushed
    assert lines[-1] == "atexit ran, frozen: True"
    failing = subprocess.run(
        [sys.executable, "-c", EXIT_PROBE, "run", "--check", "NO-SUCH-CHECK"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert failing.returncode == 2, failing.stderr  # main's code, unchanged


def test_the_installed_command_and_python_m_use_the_process_entry() -> None:
    root = Path(__file__).resolve().parents[2]
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["sms-contract"] == "sms_contract.cli.main:console"
    assert "raise SystemExit(console())" in (root / "sms_contract" / "__main__.py").read_text()
