"""The example CI workflow (examples/github-actions.yml) cannot go stale: every sms-contract
command in it parses, each job publishes its JUnit file to a test viewer and its Markdown to the
job summary whatever the result, and the nightly live job's budget holds the whole catalogue."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from sms_contract.checks.model import Capability
from sms_contract.cli.main import build_parser
from sms_contract.run.planning import RunOptions, allocate, plan

WORKFLOW = Path(__file__).resolve().parent.parent / "examples" / "github-actions.yml"
JOBS: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]


def _commands(job: dict[str, Any]) -> list[list[str]]:
    """The sms-contract commands of a job, GitHub expressions (``${{ ... }}``) as a number."""
    runs = [step["run"] for step in job["steps"] if "run" in step]
    lines = [re.sub(r"\$\{\{[^}]*\}\}", "7", " ".join(run.split())) for run in runs]
    return [shlex.split(line) for line in lines if line.startswith("sms-contract ")]


def test_every_sms_contract_command_of_the_workflow_parses() -> None:
    """Each command's flags exist (a renamed flag would break the users' nightly job)."""
    commands = [argv for job in JOBS.values() for argv in _commands(job)]
    assert commands
    for argv in commands:
        args = build_parser().parse_args(argv[1:])
        assert args.handler is not None


def test_each_job_publishes_junit_to_a_viewer_and_markdown_to_the_summary_always() -> None:
    """mock and live publish reports/junit.xml as a check run, and every job appends its
    Markdown to $GITHUB_STEP_SUMMARY; both steps run even when the run failed."""
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert workflow["permissions"]["checks"] == "write"
    for name in ("mock", "live"):
        steps = JOBS[name]["steps"]
        junit = [s for s in steps if "junit" in str(s.get("uses", "")).lower()]
        assert [s["with"]["report_paths"] for s in junit] == ["reports/junit.xml"], name
        assert all(s["if"] == "always()" for s in junit)
    for name, job in JOBS.items():
        summary = [s for s in job["steps"] if "GITHUB_STEP_SUMMARY" in s.get("run", "")]
        assert summary, name
        assert all(s["if"] == "always()" for s in summary)


def test_the_nightly_live_budget_holds_the_whole_catalogue() -> None:
    """The live job's --max-sends is at least what a conformant tenant spends on the plan."""
    (live,) = [argv for argv in _commands(JOBS["live"]) if "--dry-run" not in argv]
    budget = int(live[live.index("--max-sends") + 1])
    options = RunOptions(seed=1, allow_list=("15555551234",), max_sends=budget)
    capabilities = frozenset({Capability.CREDENTIALS})
    allocation = allocate(plan(options, capabilities), options)
    assert allocation.conformant_sends < budget
    triggers = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))[
        True
    ]  # YAML 1.1 reads "on" as true
    assert "schedule" in triggers
    assert re.search(r'cron: "\d+ \d+ \* \* \*"', WORKFLOW.read_text(encoding="utf-8"))
