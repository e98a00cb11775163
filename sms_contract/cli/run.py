"""``sms-contract run``: every documented claim against a target, with reports."""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sms_contract.cli.options import add_target_arguments, positive, settings_from
from sms_contract.cli.terminal import STDOUT, cut_marked, verdict_style
from sms_contract.outcomes import (
    EXIT_INTERRUPTED,
    CheckOutcome,
    Finding,
    Result,
    RunOutcome,
    Spending,
    Verdict,
)
from sms_contract.run.defaults import DEFAULT_EXAMPLES, TargetKind

if TYPE_CHECKING:
    from sms_contract.run.planning import Allocation, PlannedCheck

EVIDENCE_LIMIT = 400  # characters of a request or response shown in the terminal
CURL_LIMIT = 2000  # a curl line is shown whole unless it is longer (a body that long)

DESCRIPTION = """\
Run the catalogue of documented claims about the SMS API against a target and write reports
(JUnit XML, JSON, HTML, Markdown). The default target is the hermetic mock: no network, no
configuration. Against a live tenant, recipients come only from --to, at most --max-sends
messages are accepted, and nothing changes the tenant's configuration.

The plan fits the whole catalogue into the send budget: the shared accepted sends serve every
claim that reads an answer, probes that a conformant target refuses run first (a probe spends
only if the target accepts it), and --dry-run prints the allocation. A claim the run could not
judge (budget, throttling, deadline, transport) makes the result INCOMPLETE (exit 4), never OK.
"""

EPILOG = """\
live configuration (environment):
  SFMC_CLIENT_ID, SFMC_CLIENT_SECRET [, SFMC_ACCOUNT_ID, SFMC_SCOPE]   client credentials
  SFMC_ACCESS_TOKEN                                                    or a static bearer token
  SFMC_SUBDOMAIN                                                       the tenant's subdomain
  --base-url / --auth-url point the live code path at any server instead (a proxy, or
  'sms-contract serve' on loopback).
  TLS: certificates are verified with --ca-bundle FILE, else the first of REQUESTS_CA_BUNDLE,
  CURL_CA_BUNDLE and SSL_CERT_FILE that is set, else the certifi bundle. HTTPS_PROXY,
  HTTP_PROXY and NO_PROXY are honoured (a loopback host never goes through a proxy).

replaying recordings (--target mock --cassette-dir DIR, made by 'sms-contract record'):
  each case of a recorded check is answered from its cassette, everything else by the
  simulator. Requests only match when they are planned as they were recorded, so --seed,
  --examples, --definition-key and the number of --to numbers default to the values in the
  cassettes' provenance (and the recorded messageKey nonce is used). Of a recorded check,
  only its recorded cases are replayed (a recording made within a send budget left some
  generated cases out; they are named); a check with nothing recorded is answered by the
  simulator (named too); a case whose recording ends early (its recording run stopped) is
  not judged. A request that its recorded case does not match stops the run (exit 2),
  naming the nearest recording and each differing field.

examples:
  sms-contract run                                  # every check against the mock
  sms-contract run --dry-run --target live --to 15555551234 --definition-key my-def
  sms-contract run --check SEND-ECHO-KEY --seed 42  # one check, reproducibly
  sms-contract run --cassette-dir recordings/simulator   # replay the shipped recordings

exit codes:
  0  every selected claim was judged and holds
  1  a documented claim was violated
  2  usage or configuration error
  3  target unreachable (or a TLS or name-resolution error), or the harness failed
  4  INCOMPLETE: not every selected claim could be judged (the send or request budget, 429s,
     --max-time, the transport); the reasons are listed per check. --allow-incomplete makes
     this exit 0, unless nothing at all was judged.
  130 interrupted (Ctrl-C / SIGINT, or SIGTERM): the request in flight completes, nothing
     more is sent, and the reports are written, marked interrupted, with what was spent and
     every case not run listed as not judged ('interrupted: ...'). A second signal abandons
     the request in flight.

--report-dir is checked before anything is sent (a file, a directory that cannot be
written or created: exit 2), and the reports an earlier run left in it are removed first,
so that whatever stops this run, none of them poses as its result.
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
        "--dry-run",
        action="store_true",
        help="print the plan and its send allocation (which case spends, which claims share a "
        "send, the worst case) and send nothing",
    )
    parser.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="exit 0 when the run is INCOMPLETE (for a budget cut on purpose); a run that "
        "judged nothing still exits 4",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # The run, the catalogue and the reports: loaded when the command runs, not by --help.
    from sms_contract.recordings.cassettes import load_recordings, recorded_cases, recorded_run
    from sms_contract.reporting import REPORT_FILES, write_reports
    from sms_contract.reporting.locations import prepare_output_dir
    from sms_contract.run.planning import allocate
    from sms_contract.run.session import RunInputs, prepare_run

    if not args.dry_run:  # a dry run writes nothing
        prepare_output_dir(args.report_dir, "--report-dir", owned=REPORT_FILES)
    settings = settings_from(args)
    recorded = cases = None
    if settings.cassette_dir is not None and settings.kind is TargetKind.MOCK:
        cassettes = load_recordings(settings.cassette_dir)
        recorded, cases = recorded_run(cassettes), recorded_cases(cassettes)
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
            recorded_cases=cases,
            max_time=args.max_time,
            status_wait=args.status_wait,
            allow_incomplete=args.allow_incomplete,
            concurrency=args.concurrency,
        )
    )
    options = prepared.options
    print(f"sms-contract: seed {options.seed} (reproduce with --seed {options.seed})", flush=True)
    with contextlib.ExitStack() as stack:
        with STDOUT.working("planning the run (generated payloads are drawn now)"):
            opened = stack.enter_context(prepared.open())
        if args.dry_run:
            if any(item.not_planned for item in opened.planned):
                print("dry run: interrupted while the run was planned; nothing was sent")
                return EXIT_INTERRUPTED
            allocation = allocate(opened.planned, options)
            # What a replay leaves out was not left out for the budget: it is named apart.
            dropped = tuple(c for c in allocation.dropped if c not in opened.left_out)
            allocation = replace(allocation, dropped=dropped)
            workers = options.concurrency if opened.target.concurrent else 1
            _print_plan(
                opened.planned, allocation, opened.target.kind, opened.target.base_url, workers
            )
            _print_replayed(opened.left_out, opened.unrecorded)
            return 0
        print(f"target: {opened.target.kind} {opened.target.base_url}", flush=True)
        _print_replayed(opened.left_out, opened.unrecorded)
        with STDOUT.working(f"running {len(opened.planned)} checks", announce=False):
            result = opened.run(progress=_progress)
    paths = write_reports(result, args.report_dir)  # first: a closed stdout loses no report
    _print_failures(result)
    _print_summary(result, paths)
    return result.exit_code


def _print_replayed(left_out: Sequence[str], unrecorded: Sequence[str]) -> None:
    """With --cassette-dir: what the replay leaves out, and what the simulator answers."""
    if left_out:
        print(
            f"replay: {len(left_out)} cases of the recorded checks are not in the recordings "
            "(the recording run did not send them: generated cases left out to fit its send "
            f"budget, say) and are left out: {', '.join(left_out)}",
            flush=True,
        )
    if unrecorded:
        print(
            f"replay: nothing recorded of {', '.join(unrecorded)}: the simulator answers them",
            flush=True,
        )


def _progress(result: CheckOutcome, done: int, total: int, spent: Spending) -> None:
    """One line per check as it is judged: its verdict, the sends its own cases spent, and the
    run's total against the budget."""
    label = result.verdict.value.upper()
    budget = "" if spent.max_sends is None else f"/{spent.max_sends}"
    sends = f"sends {result.sends:<2} total {spent.accepted_sends}{budget}"
    note = ""
    if result.skip_reason:
        note = f"  ({result.skip_reason})"
    elif result.not_judged:
        note = f"  ({len(result.not_judged)} not judged: {result.not_judged[0].reason})"
    STDOUT.parts(
        (f"[{done:>3}/{total}] ", None),
        (f"{label:<10}", verdict_style(label)),
        (f" {result.check_id:<37} {sends:<17} {result.title}", None),
        (note, "dim"),
    )
    STDOUT.update(f"running: {done} of {total} checks judged, {spent.accepted_sends} sends")


def _print_plan(
    planned: Sequence[PlannedCheck],
    allocation: Allocation,
    kind: str,
    base_url: str,
    workers: int,
) -> None:
    order = (
        "one request after another, in plan order"
        if workers == 1
        else f"up to {workers} cases of a phase at once (--concurrency), phase after phase"
    )
    print(f"dry run: nothing is sent. target: {kind} {base_url}; sending {order}")
    print(f"{'check':<36} {'cases':>5} {'requests':>8} {'sends':>5}  note")
    for item in planned:
        note = f"skipped: {item.skip_reason}" if item.skip_reason else ""
        cases, requests, sends = (
            (0, 0, 0) if item.skip_reason else (len(item.cases), item.requests, item.sends)
        )
        print(f"{item.check.id:<36} {cases:>5} {requests:>8} {sends:>5}  {note}")
    print("\nsend allocation (a shared send is sent once and read by every claim listed):")
    for shared in allocation.shared:
        print(f"  {shared.owner[1]:<28} shared by {', '.join(shared.readers)}")
    if allocation.spending:
        print(f"  own accepted sends: {', '.join(allocation.spending)}")
    if allocation.may_accept:
        print(
            f"  {len(allocation.may_accept)} probes a conformant target may accept (rules the "
            "platform may apply after accepting; each accepted one is followed to its status): "
            f"{', '.join(allocation.may_accept)}"
        )
    print(
        f"  {allocation.probes} probes a conformant target refuses: they run first and spend "
        "only if the target accepts them"
    )
    if allocation.dropped:
        print(
            f"  left out to fit the budget ({len(allocation.dropped)} generated cases): "
            f"{', '.join(allocation.dropped)}"
        )
    budget = "unbounded" if allocation.max_sends is None else str(allocation.max_sends)
    print(
        f"total: {allocation.requests} requests (plus token requests, retries and status "
        f"polls); a conformant target: {allocation.conformant_sends} accepted sends; worst case "
        f"(every probe accepted): {allocation.worst_sends}, capped by the send budget {budget}"
    )
    if allocation.max_sends is not None and allocation.conformant_sends > allocation.max_sends:
        print(
            f"warning: a conformant target accepts {allocation.conformant_sends} sends and the "
            f"budget is {allocation.max_sends}: the cases past it will not be judged (INCOMPLETE, "
            "exit 4); raise --max-sends or select fewer checks with --check"
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
        where = "reports/report.json"
        request = json.dumps(evidence.request, ensure_ascii=False)
        print(f"    request:  {cut_marked(request, EVIDENCE_LIMIT, where)}")
        response = json.dumps(evidence.response, ensure_ascii=False)
        print(f"    response: {cut_marked(response, EVIDENCE_LIMIT, where)}")
        print(f"    curl:     {cut_marked(evidence.curl, CURL_LIMIT, where)}")
    for kind, command in finding.replay.items():
        print(f"    replay ({kind}): {command}")


def _print_summary(result: RunOutcome, paths: dict[str, Path]) -> None:
    counts = ", ".join(f"{result.count(v)} {v.value}" for v in Verdict)
    spent = result.spending
    budget = "" if spent.max_sends is None else f" of {spent.max_sends}"
    possibly = f" ({spent.possibly_accepted} possibly)" if spent.possibly_accepted else ""
    print(f"\nsummary: {counts}")
    print(
        f"spent: {spent.accepted_sends} accepted sends{budget}{possibly}, {spent.requests} "
        f"requests ({spent.token_requests} for tokens), {spent.throttled} throttled (429, "
        "honoured)"
    )
    _print_not_judged(result)
    for check in result.checks:
        if check.verdict is Verdict.SKIPPED:
            print(f"skipped: {check.check_id}: {check.skip_reason}")
    if result.stopped:
        print(f"stopped: {result.stopped}")
    print("reports: " + ", ".join(str(path) for path in paths.values()))
    print(f"result: {_result_line(result)} (seed {result.seed}, exit {result.exit_code})")


def _result_line(result: RunOutcome) -> str:
    if result.interrupted:
        return f"INTERRUPTED: {len(result.incomplete)} checks not fully judged"
    if result.result is Result.FAILED:
        return "FAILED: a documented claim was violated"
    if result.result is Result.INCOMPLETE:
        if result.judged_nothing:
            return "INCOMPLETE: nothing was judged"
        allowed = " (allowed by --allow-incomplete)" if result.allow_incomplete else ""
        return f"INCOMPLETE: {len(result.incomplete)} checks not fully judged{allowed}"
    return "OK"


def _print_not_judged(result: RunOutcome) -> None:
    """Each incomplete check with how much was not judged, then each reason once, numbered."""
    from sms_contract.reporting.presentation import not_judged_reasons, not_judged_summary

    if not result.incomplete:
        return
    reasons: dict[str, int] = {}
    print(f"not judged ({len(result.incomplete)} checks):")
    for check in result.incomplete:
        numbers = []
        for group in not_judged_reasons(check):
            numbers.append(reasons.setdefault(group.reason, len(reasons) + 1))
        marks = ", ".join(f"[{n}]" for n in numbers)
        print(f"  {check.check_id:<37} {not_judged_summary(check)}: {marks}")
    for reason, number in reasons.items():
        print(f"  [{number}] {reason}")
