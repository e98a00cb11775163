"""``sms-contract run``: every documented claim against a target, with reports."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sms_contract.cli.options import add_target_arguments, positive, settings_from
from sms_contract.outcomes import CheckOutcome, Finding, RunOutcome, Spending, Verdict
from sms_contract.recordings.cassettes import load_recordings, recorded_run
from sms_contract.reporting import write_reports
from sms_contract.run.planning import PlannedCheck, RunOptions
from sms_contract.run.session import DEFAULT_EXAMPLES, RunInputs, prepare_run
from sms_contract.run.targets import TargetKind

DESCRIPTION = """\
Run the catalogue of documented claims about the SMS API against a target and write reports
(JUnit XML, JSON, HTML, Markdown). The default target is the hermetic mock: no network, no
configuration. Against a live tenant, recipients come only from --to, at most --max-sends
messages are accepted, and nothing changes the tenant's configuration.
"""

EPILOG = """\
live configuration (environment):
  SFMC_CLIENT_ID, SFMC_CLIENT_SECRET [, SFMC_ACCOUNT_ID, SFMC_SCOPE]   client credentials
  SFMC_ACCESS_TOKEN                                                    or a static bearer token
  SFMC_SUBDOMAIN                                                       the tenant's subdomain
  --base-url / --auth-url point the live code path at any server instead (a proxy, or
  'sms-contract serve' on loopback).

replaying recordings (--target mock --cassette-dir DIR, made by 'sms-contract record'):
  each case of a recorded check is answered from its cassette, everything else by the
  simulator. Requests only match when they are planned as they were recorded, so --seed,
  --examples, --definition-key and the number of --to numbers default to the values in the
  cassettes' provenance (and the recorded messageKey nonce is used). A request that its
  recorded case does not match stops the run (exit 2), naming the nearest recording and
  each differing field.

examples:
  sms-contract run                                  # every check against the mock
  sms-contract run --dry-run --target live --to 15555551234 --definition-key my-def
  sms-contract run --check SEND-ECHO-KEY --seed 42  # one check, reproducibly
  sms-contract run --cassette-dir recordings/simulator   # replay the shipped recordings

exit codes: 0 every claim holds, 1 a violation, 2 usage/configuration, 3 target unreachable.
"""


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "run",
        help="run the conformance checks against a target",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_target_arguments(parser)
    parser.add_argument(
        "--examples",
        type=positive,
        default=None,
        metavar="N",
        help=f"generated examples per property-based check (default: {DEFAULT_EXAMPLES}; "
        "with --cassette-dir: as recorded)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="N",
        help="seed (default: random, printed; with --cassette-dir: the recorded seed)",
    )
    parser.add_argument(
        "--check",
        action="append",
        default=[],
        metavar="ID",
        help="run only this check (repeatable; 'sms-contract checks' lists them)",
    )
    parser.add_argument("--case", metavar="ID", help="run only this case (from a replay line)")
    parser.add_argument(
        "--strict", action="store_true", help="every 'observed' verdict counts as a violation"
    )
    parser.add_argument(
        "--strict-check",
        action="append",
        default=[],
        metavar="ID",
        help="this check's 'observed' verdict counts as a violation (repeatable)",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="where reports are written (default: %(default)s)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the plan (requests, sends) and send nothing"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    recorded = None
    if settings.cassette_dir is not None and settings.kind is TargetKind.MOCK:
        recorded = recorded_run(load_recordings(settings.cassette_dir))
    prepared = prepare_run(
        RunInputs(
            settings,
            seed=args.seed,
            examples=args.examples,
            check_ids=tuple(args.check),
            case_id=args.case,
            strict=args.strict,
            strict_checks=tuple(args.strict_check),
            recorded=recorded,
        )
    )
    options = prepared.options
    print(f"sms-contract: seed {options.seed} (reproduce with --seed {options.seed})", flush=True)
    with prepared.open() as opened:
        if args.dry_run:
            _print_plan(opened.planned, opened.target.kind, opened.target.base_url, options)
            return 0
        print(f"target: {opened.target.kind} {opened.target.base_url}", flush=True)
        result = opened.run(progress=_progress)
    _print_failures(result)
    paths = write_reports(result, args.report_dir)
    _print_summary(result, paths)
    return result.exit_code


def _progress(result: CheckOutcome, done: int, total: int, spent: Spending) -> None:
    label = result.verdict.value.upper()
    budget = "" if spent.max_sends is None else f"/{spent.max_sends}"
    sends = f"sends {spent.accepted_sends}{budget}"
    note = f"  ({result.skip_reason})" if result.skip_reason else ""
    print(f"[{done:>3}/{total}] {label:<8} {result.check_id:<37} {sends:<11} {result.title}{note}")


def _print_plan(
    planned: Sequence[PlannedCheck], kind: str, base_url: str, options: RunOptions
) -> None:
    print(f"dry run: nothing is sent. target: {kind} {base_url}")
    print(f"{'check':<36} {'cases':>5} {'requests':>8} {'sends':>5}  note")
    for item in planned:
        note = f"skipped: {item.skip_reason}" if item.skip_reason else ""
        cases, requests, sends = (
            (0, 0, 0)
            if item.skip_reason
            else (
                len(item.cases),
                item.requests,
                item.sends,
            )
        )
        print(f"{item.check.id:<36} {cases:>5} {requests:>8} {sends:>5}  {note}")
    runnable = [item for item in planned if not item.skip_reason]
    requests = sum(item.requests for item in runnable)
    sends = sum(item.sends for item in runnable)
    budget = "unbounded" if options.max_sends is None else str(options.max_sends)
    print(
        f"total: at most {requests} requests (plus token requests and retries), at most "
        f"{sends} billable sends; send budget {budget}"
    )


def _print_failures(result: RunOutcome) -> None:
    for check in result.checks:
        shown = check.failures or (check.observations if result.strict else ())
        if not shown:
            continue
        print(f"\n{check.verdict.value.upper()} {check.check_id}: {check.title}")
        print(f"  claim:  {check.claim.text}")
        print(f"  source: {check.claim.source}")
        for finding in shown[:3]:
            _print_finding(finding)
        if len(shown) > 3:
            print(f"  … {len(shown) - 3} more in the reports")


def _print_finding(finding: Finding) -> None:
    print(f"  case {finding.case_id}: {finding.message}")
    for evidence in finding.evidence[-1:]:
        print(f"    request:  {json.dumps(evidence.request, ensure_ascii=False)[:400]}")
        response = evidence.response
        print(f"    response: {json.dumps(response, ensure_ascii=False)[:400]}")
        print(f"    curl:     {evidence.curl[:600]}")
    for kind, command in finding.replay.items():
        print(f"    replay ({kind}): {command}")


def _print_summary(result: RunOutcome, paths: dict[str, Path]) -> None:
    counts = ", ".join(f"{result.count(v)} {v.value}" for v in Verdict)
    spent = result.spending
    budget = "" if spent.max_sends is None else f" of {spent.max_sends}"
    print(f"\nsummary: {counts}")
    print(
        f"spent: {spent.accepted_sends} accepted sends{budget}, {spent.requests} requests "
        f"({spent.token_requests} for tokens), {spent.throttled} throttled (429, honoured)"
    )
    print("reports: " + ", ".join(str(path) for path in paths.values()))
    verdict = "FAILED: a documented claim was violated" if result.violated else "OK"
    print(f"result: {verdict} (seed {result.seed})")
