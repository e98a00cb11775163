"""``sms-contract drift``: a fresh run of the recorded cases, compared with the recordings and
with the spec; a report section (drift.json, drift.md) and exit code 1 when something broke."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sms_contract.cli.options import add_target_arguments, settings_from
from sms_contract.outcomes import (
    EXIT_INTERRUPTED,
    INTERRUPTED,
    CheckOutcome,
    RunOutcome,
    Spending,
    Verdict,
)

if TYPE_CHECKING:
    from sms_contract.drift.compare import DriftReport
    from sms_contract.run.recording import Recording
    from sms_contract.spec.issues import SchemaIssue

DESCRIPTION = """\
Run the recorded cases again against a target (a live tenant, or --target live --base-url
pointing at a simulator on loopback) and compare each answer with its recording: status
changed, errorcode changed, a body field added, removed or retyped (named by its JSON path),
Content-Type changed. Every fresh answer is also validated against the spec. The cases are
planned with the recordings' seed, examples and number of recipients; a live run renews the
messageKey nonce and may use another definition key (both are ignored when requests are
paired with their recordings). Observed traffic, recorded by 'sms-contract proxy', has no
plan to run again: its recorded answers are validated against the spec.
"""

EPILOG = """\
The three axes of drift: (1) and (2) here, a fresh run against the recordings and against the
spec; (3) one spec version against the previous one is 'sms-contract diff-spec OLD NEW'.

A live drift run obeys the live safety rails (--to, --max-sends, --max-requests): cases the
budget does not reach, or that need what the target cannot do (move its clock), are listed as
not compared, never as drift. Token requests the client makes on its own, retried attempts
and 429 answers are not compared either.

examples:
  sms-contract drift --cassette-dir recordings/simulator              # against the simulator
  sms-contract drift --cassette-dir recordings/simulator --target live \\
      --to "$SMS_CONTRACT_TO" --definition-key my-def --max-sends 30

exit codes: 0 no drift, 1 drift or a spec violation, 2 usage/configuration (--report-dir
is checked, and the drift.json and drift.md of an earlier run in it removed, before anything
is sent), 3 target unreachable, 130 interrupted (SIGINT or SIGTERM: the request in flight
completes, nothing more is sent, and the report section is written, marked interrupted; what
was not sent is listed as not compared).
"""


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "drift",
        help="compare a fresh run with the recordings and with the spec",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_target_arguments(
        parser,
        concurrent=False,
        cassette_help="the recordings to compare with ('sms-contract record' writes them)",
        cassette_required=True,
    )
    parser.add_argument(
        "--check",
        action="append",
        default=[],
        metavar="ID",
        help="compare only this check's recordings (repeatable)",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="where drift.json and drift.md are written (default: %(default)s)",
    )
    parser.set_defaults(handler=drift)


DRIFT_FILES = ("drift.json", "drift.md")


def drift(args: argparse.Namespace) -> int:
    # The run, the spec and its schemas: loaded when the command runs, not by --help.
    from sms_contract.drift.compare import (
        checks_line,
        combined,
        compare_runs,
        observed_against_spec,
    )
    from sms_contract.drift.response_diff import DRIFT_ASPECTS
    from sms_contract.recordings.cassettes import OBSERVED_TRAFFIC, load_recordings
    from sms_contract.reporting.locations import prepare_output_dir
    from sms_contract.run.recording import rerun
    from sms_contract.spec.loading import load_spec

    prepare_output_dir(args.report_dir, "--report-dir", owned=DRIFT_FILES)
    cassettes = load_recordings(args.cassette_dir)
    # Observed traffic ('sms-contract proxy') has no plan to run again: its answers go
    # against the spec; the planned recordings beside it, if any, are run again as usual.
    interactions = [i for cassette in cassettes for i in cassette.interactions]
    observed = observed_against_spec(interactions, load_spec(), observe=_observe_undocumented)
    if all(i.check_id == OBSERVED_TRAFFIC for i in interactions):
        return _drift_observed(observed, args.cassette_dir, args.report_dir)
    settings = replace(settings_from(args), cassette_dir=None)
    print(f"drift: the recordings in {args.cassette_dir} against a fresh {settings.kind} run")
    again = rerun(
        cassettes,
        settings,
        check_ids=tuple(args.check),
        progress=_progress,
        max_time=args.max_time,
        status_wait=args.status_wait,
    )
    report = compare_runs(
        again.recorded,
        again.fresh.interactions,
        aspects=DRIFT_ASPECTS,
        token_cases=again.fresh.token_cases,
        sides=again.sides,
        not_run=again.fresh.not_run,
        budget_spent=again.fresh.budget_spent,
        stopped=again.fresh.result.stopped,
        spec=load_spec(),
        observe=_observe_undocumented,
    )
    report = combined(report, observed)
    print()
    for line in report.lines():
        print(line)
    # By id, what a CI log reader looks for: the checks that drifted, and those that failed.
    drifted = drifted_checks(report, again.fresh.result)
    if drifted:
        print(checks_line("drifted", drifted))
    failed = failed_checks(again.fresh.result)
    if failed:
        print(checks_line("failed in the fresh run", failed))
    paths = write_drift_reports(report, again.fresh, args.cassette_dir, args.report_dir)
    print("reports: " + ", ".join(str(path) for path in paths))
    if again.fresh.result.interrupted:
        why = (again.fresh.result.stopped or "").removeprefix(INTERRUPTED).strip()
        print(f"result: INTERRUPTED: {why}; what was not sent is not compared")
        return EXIT_INTERRUPTED
    verdict = "DRIFT: the target no longer answers as recorded" if report.breaking else "OK"
    print(f"result: {verdict}")
    return 1 if report.breaking else 0


@cache
def _undocumented() -> frozenset[str]:
    """The checks whose claim the documentation does not make (read from the catalogue on
    first use, so that --help does not load it)."""
    from sms_contract.checks import CATALOGUE

    return frozenset(check.id for check in CATALOGUE.values() if not check.claim.documented)


def _observe_undocumented(check_id: str, operation_id: str, issue: SchemaIssue) -> bool:
    """Spec issues reported, never failing: those of a check whose claim the documentation
    does not make (its verdict is "observed")."""
    return check_id in _undocumented()


def drifted_checks(report: DriftReport, result: RunOutcome) -> tuple[str, ...]:
    """The checks with a difference, in the order the fresh run ran them (any it did not run
    last, as found)."""
    found = report.drifted_checks
    ran = [check.check_id for check in result.checks if check.check_id in found]
    return (*ran, *(check_id for check_id in found if check_id not in ran))


def failed_checks(result: RunOutcome) -> tuple[str, ...]:
    """The checks whose verdict in the fresh run is ``fail``, in the order they ran."""
    return tuple(check.check_id for check in result.checks if check.verdict is Verdict.FAIL)


def _progress(result: CheckOutcome, done: int, total: int, spent: Spending) -> None:
    label = result.verdict.value.upper()
    print(f"[{done:>3}/{total}] {label:<8} {result.check_id:<37} {result.title}", flush=True)


def write_drift_reports(
    report: DriftReport, fresh: Recording, cassette_dir: Path, report_dir: Path
) -> list[Path]:
    """drift.json and drift.md in ``report_dir`` (each written atomically); every value in
    them is scrubbed."""
    from sms_contract.reporting.locations import write_files  # not loaded by --help

    result = fresh.result
    document = {
        "recordings": str(cassette_dir),
        "target": result.target,
        "base_url": result.base_url,
        "spec_sha256": result.spec_sha256,
        "recorded_with": {"seed": fresh.run.seed, "examples": fresh.run.examples},
        "fresh_run": {v.value: result.count(v) for v in Verdict},
        "drifted_checks": list(drifted_checks(report, result)),
        "failed_checks": list(failed_checks(result)),
        "spent": {
            "accepted_sends": result.spending.accepted_sends,
            "requests": result.spending.requests,
        },
        "stopped": result.stopped,  # why the fresh run stopped sending early, if it did
        "interrupted": result.interrupted,  # a signal stopped it (the command exits 130)
        **report.to_dict(),
    }
    texts = (json.dumps(document, indent=2, ensure_ascii=False) + "\n", _markdown(report, document))
    return write_files(report_dir, dict(zip(DRIFT_FILES, texts, strict=True)))


def _markdown(report: DriftReport, document: dict[str, Any]) -> str:
    verdicts = ", ".join(f"{count} {name}" for name, count in document["fresh_run"].items())
    lines = [
        "## Drift",
        "",
        f"Recordings `{document['recordings']}` against a fresh {document['target']} run "
        f"(`{document['base_url']}`): **{'drift' if report.breaking else 'no drift'}**.",
        "",
        f"- {report.compared} recorded interactions compared, {len(report.items)} differences, "
        f"{len(report.not_compared)} not compared",
        f"- checks that drifted: {_ids(document['drifted_checks'])}",
        f"- fresh run verdicts: {verdicts}",
        f"- checks that failed in the fresh run: {_ids(document['failed_checks'])}",
        "- spec versions: compare them with `sms-contract diff-spec OLD NEW`",
        "",
    ]
    if document["stopped"] is not None:  # interrupted, say: what was not sent is not compared
        lines += [f"**Stopped early:** {_cell(document['stopped'])}", ""]
    for title, items in (("Differences", report.items), ("Observed", report.observations)):
        if not items:
            continue
        lines += [f"{title}:", "", "| kind | case | request | what |", "| --- | --- | --- | --- |"]
        for item in items:
            details = "<br>".join(_cell(detail) for detail in item.details)
            lines.append(
                f"| {item.kind.value} | {item.case_id} | `{_cell(item.request)}` | {details} |"
            )
        lines.append("")
    if report.not_compared:
        lines.append("Not compared:")
        lines.append("")
        lines += [f"- {n.case_id or n.check_id}: {_cell(n.reason)}" for n in report.not_compared]
        lines.append("")
    return "\n".join(lines)


def _ids(check_ids: Sequence[str]) -> str:
    """``"none"``, or each id as code: ``"`SEND-EXAMPLE`, `SEND-ECHO-KEY`"``."""
    return ", ".join(f"`{check_id}`" for check_id in check_ids) or "none"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _drift_observed(report: DriftReport, cassette_dir: Path, report_dir: Path) -> int:
    """Recordings of observed traffic only ('sms-contract proxy'): their answers against the
    spec; nothing is sent, since no run planned those requests."""
    from sms_contract.reporting.locations import write_files  # not loaded by --help
    from sms_contract.spec.loading import load_spec

    print(
        f"drift: the observed traffic in {cassette_dir} (recorded by 'sms-contract proxy') "
        "against the spec; nothing is sent (no run planned these requests)"
    )
    print()
    for line in report.lines():
        print(line)
    document = {
        "recordings": str(cassette_dir),
        "observed_traffic": True,
        "spec_sha256": load_spec().sha256,
        **report.to_dict(),
    }
    lines = [
        "## Drift",
        "",
        f"Observed traffic `{cassette_dir}` against the spec: "
        f"**{'drift' if report.breaking else 'no drift'}**.",
        "",
        f"- {report.compared} recorded answers compared, {len(report.items)} differences, "
        f"{len(report.not_compared)} not compared",
        "",
    ]
    lines += [
        f"- {item.case_id} `{_cell(item.request)}`: {_cell(' '.join(item.details))}"
        for item in (*report.items, *report.observations)
    ]
    lines += [f"- not compared: {n.case_id}: {_cell(n.reason)}" for n in report.not_compared]
    texts = (json.dumps(document, indent=2, ensure_ascii=False) + "\n", "\n".join(lines) + "\n")
    paths = write_files(report_dir, dict(zip(DRIFT_FILES, texts, strict=True)))
    print("reports: " + ", ".join(str(path) for path in paths))
    verdict = "DRIFT: the recorded answers no longer hold against the spec"
    print(f"result: {verdict if report.breaking else 'OK'}")
    return 1 if report.breaking else 0
