"""``sms-contract run``: every documented claim against a target, with reports."""

from __future__ import annotations

import argparse
import json
import random
import secrets
from dataclasses import replace
from pathlib import Path
from typing import Any

from sms_contract.cassettes import RecordedRun
from sms_contract.mock_replay import load_recordings, recorded_run, replay_allow_list
from sms_contract.outcomes import CheckResult, Finding, RunResult, Spending, Verdict
from sms_contract.reporting import write_reports
from sms_contract.runner import PlannedCheck, Runner, RunOptions, plan, select_checks
from sms_contract.targets import (
    DEFAULT_DEFINITION_KEY,
    DOCUMENTED_NUMBER,
    LIVE_MAX_REQUESTS,
    LIVE_MAX_SENDS,
    TargetKind,
    TargetSettings,
    open_target,
)

DEFAULT_EXAMPLES = 5

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
        type=_positive,
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


def add_target_arguments(
    parser: argparse.ArgumentParser,
    *,
    cassette_help: str = "mock: replay these recordings first, the simulator answering the rest",
    cassette_required: bool = False,
) -> None:
    """The connection flags shared by run, record and drift (``--cassette-dir`` means where
    recordings are replayed from, written to, or compared with: the caller says which)."""
    parser.add_argument(
        "--target",
        choices=[kind.value for kind in TargetKind],
        default=TargetKind.MOCK.value,
        help="mock: hermetic, in-process (default); live: a tenant, or any server via --base-url",
    )
    parser.add_argument("--base-url", metavar="URL", help="REST base URL (live)")
    parser.add_argument("--auth-url", metavar="URL", help="auth base URL for /v2/token (live)")
    parser.add_argument(
        "--definition-key",
        metavar="KEY",
        help=f"send definition to use (mock default: {DEFAULT_DEFINITION_KEY}; required live)",
    )
    parser.add_argument(
        "--to",
        action="append",
        default=[],
        metavar="NUMBER",
        help="allow-listed recipient (repeatable; required live; mock default: the documented "
        f"example {DOCUMENTED_NUMBER})",
    )
    parser.add_argument(
        "--max-sends",
        type=_non_negative,
        metavar="N",
        help=f"most accepted sends (live default: {LIVE_MAX_SENDS}; mock: unbounded)",
    )
    parser.add_argument(
        "--max-requests",
        type=_positive,
        metavar="N",
        help=f"most requests in all (live default: {LIVE_MAX_REQUESTS}; mock: unbounded)",
    )
    parser.add_argument(
        "--allow-tenant-changes",
        action="store_true",
        help="live: allow checks that create, update or delete definitions or purge queues",
    )
    parser.add_argument(
        "--retries",
        type=_non_negative,
        metavar="N",
        help="retries of a request after a 429, a 5xx or a connection error, with backoff "
        "2, 4, 8 s (default: 3)",
    )
    parser.add_argument(
        "--cassette-dir",
        type=Path,
        metavar="DIR",
        required=cassette_required,
        help=cassette_help,
    )


def settings_from(args: argparse.Namespace) -> TargetSettings:
    return TargetSettings(
        kind=TargetKind(args.target),
        base_url=args.base_url,
        auth_url=args.auth_url,
        definition_key=args.definition_key,
        allow_list=tuple(args.to),
        max_sends=args.max_sends,
        max_requests=args.max_requests,
        allow_tenant_changes=args.allow_tenant_changes,
        cassette_dir=args.cassette_dir,
        retries=args.retries,
    )


def run(args: argparse.Namespace) -> int:
    recorded = _recorded(args)
    settings = settings_from(args)
    if recorded is not None:
        settings = replace(
            settings,
            definition_key=settings.definition_key or recorded.definition_key,
            allow_list=settings.allow_list or replay_allow_list(recorded.recipients),
        )
    settings = settings.resolved()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    if args.seed is None and recorded is not None:
        seed = recorded.seed
    nonce = f"s{seed}" if settings.kind is TargetKind.MOCK else secrets.token_hex(3)
    if recorded is not None and recorded.seed == seed:
        nonce = recorded.nonce
    examples = args.examples or (recorded.examples if recorded else DEFAULT_EXAMPLES)
    options = RunOptions(
        seed=seed,
        examples=examples,
        check_ids=tuple(args.check),
        case_id=args.case,
        strict=args.strict,
        strict_checks=tuple(c.id for c in select_checks(args.strict_check))
        if args.strict_check
        else (),
        max_sends=settings.max_sends,
        max_requests=settings.max_requests,
        allow_list=settings.allow_list,
        definition_key=settings.definition_key or DEFAULT_DEFINITION_KEY,
        nonce=nonce,
    )
    print(f"sms-contract: seed {seed} (reproduce with --seed {seed})", flush=True)
    with open_target(settings) as target:
        planned = plan(options, target.capabilities)
        if args.dry_run:
            _print_plan(planned, target.kind, target.base_url, options)
            return 0
        print(f"target: {target.kind} {target.base_url}", flush=True)
        runner = Runner(target, options, progress=_progress)
        result = runner.run(planned)
    _print_failures(result)
    paths = write_reports(result, args.report_dir)
    _print_summary(result, paths)
    return result.exit_code


def _recorded(args: argparse.Namespace) -> RecordedRun | None:
    """What the replayed cassettes were recorded with (mock with --cassette-dir only)."""
    if args.cassette_dir is None or args.target != TargetKind.MOCK.value:
        return None
    return recorded_run(load_recordings(args.cassette_dir))


def _progress(result: CheckResult, done: int, total: int, spent: Spending) -> None:
    label = result.verdict.value.upper()
    budget = "" if spent.max_sends is None else f"/{spent.max_sends}"
    sends = f"sends {spent.accepted_sends}{budget}"
    note = f"  ({result.skip_reason})" if result.skip_reason else ""
    print(f"[{done:>3}/{total}] {label:<8} {result.check_id:<37} {sends:<11} {result.title}{note}")


def _print_plan(planned: list[PlannedCheck], kind: str, base_url: str, options: RunOptions) -> None:
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


def _print_failures(result: RunResult) -> None:
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


def _print_summary(result: RunResult, paths: dict[str, Path]) -> None:
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


def _positive(text: str) -> int:
    value = _non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value
