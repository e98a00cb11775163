"""Start-up: the commands that only read the catalogue or print help load neither Hypothesis
nor Schemathesis (a run imports them when it plans generated cases)."""

import subprocess
import sys

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
