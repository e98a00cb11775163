"""``sms-contract drift``: a fresh run of the recorded cases, compared with the recordings and
with the spec; a report section (drift.json, drift.md) and exit code 1 when something broke."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from sms_contract.checks import CATALOGUE
from sms_contract.cli.options import add_target_arguments, settings_from
from sms_contract.drift.compare import DriftReport, compare_runs
from sms_contract.drift.response_diff import DRIFT_ASPECTS
from sms_contract.outcomes import CheckOutcome, Spending, Verdict
from sms_contract.recordings.cassettes import load_recordings
from sms_contract.run.recording import Recording, rerun
from sms_contract.spec.issues import SchemaIssue
from sms_contract.spec.loading import load_spec

DESCRIPTION = """\
Run the recorded cases again against a target (a live tenant, or --target live --base-url
pointing at a simulator on loopback) and compare each answer with its recording: status
changed, errorcode changed, a body field added, removed or retyped (named by its JSON path),
Content-Type changed. Every fresh answer is also validated against the spec. The cases are
planned with the recordings' seed, examples and number of recipients; a live run renews the
messageKey nonce and may use another definition key (both are ignored when requests are
paired with their recordings).
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

exit codes: 0 no drift, 1 drift or a spec violation, 2 usage/configuration,
3 target unreachable.
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


def drift(args: argparse.Namespace) -> int:
    cassettes = load_recordings(args.cassette_dir)
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
        spec=load_spec(),
        observe=_observe_undocumented,
    )
    print()
    for line in report.lines():
        print(line)
    paths = write_drift_reports(report, again.fresh, args.cassette_dir, args.report_dir)
    print("reports: " + ", ".join(str(path) for path in paths))
    verdict = "DRIFT: the target no longer answers as recorded" if report.breaking else "OK"
    print(f"result: {verdict}")
    return 1 if report.breaking else 0


_UNDOCUMENTED = frozenset(check.id for check in CATALOGUE.values() if not check.claim.documented)


def _observe_undocumented(check_id: str, operation_id: str, issue: SchemaIssue) -> bool:
    """Spec issues reported, never failing: those of a check whose claim the documentation
    does not make (its verdict is "observed")."""
    return check_id in _UNDOCUMENTED


def _progress(result: CheckOutcome, done: int, total: int, spent: Spending) -> None:
    label = result.verdict.value.upper()
    print(f"[{done:>3}/{total}] {label:<8} {result.check_id:<37} {result.title}", flush=True)


def write_drift_reports(
    report: DriftReport, fresh: Recording, cassette_dir: Path, report_dir: Path
) -> list[Path]:
    """drift.json and drift.md in ``report_dir``; every value in them is scrubbed."""
    report_dir.mkdir(parents=True, exist_ok=True)
    result = fresh.result
    document = {
        "recordings": str(cassette_dir),
        "target": result.target,
        "base_url": result.base_url,
        "spec_sha256": result.spec_sha256,
        "recorded_with": {"seed": fresh.run.seed, "examples": fresh.run.examples},
        "fresh_run": {v.value: result.count(v) for v in Verdict},
        "spent": {
            "accepted_sends": result.spending.accepted_sends,
            "requests": result.spending.requests,
        },
        **report.to_dict(),
    }
    json_path = report_dir / "drift.json"
    json_path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    markdown_path = report_dir / "drift.md"
    markdown_path.write_text(_markdown(report, document), "utf-8")
    return [json_path, markdown_path]


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
        f"- fresh run verdicts: {verdicts}",
        "- spec versions: compare them with `sms-contract diff-spec OLD NEW`",
        "",
    ]
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


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
