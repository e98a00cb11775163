"""The catalogue as pytest items: ``pytest --sms-target=mock`` (or ``live``) adds one item per
check, named by its id, to the session. The checks run through the same runner, with the same
safety rails, as ``sms-contract run``; the run happens once, when the first item runs, and every
item then reports its own check's verdict.

Without ``--sms-target`` this plugin adds nothing, so it is harmless in any test suite.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sms_contract.errors import ContractViolation, SmsContractError
from sms_contract.outcomes import CheckOutcome, RunOutcome, Verdict
from sms_contract.reporting.presentation import not_judged_lines
from sms_contract.run.defaults import (
    LIVE_CONCURRENCY,
    LIVE_MAX_REQUESTS,
    LIVE_MAX_SENDS,
    MAX_CONCURRENCY,
    TargetKind,
)
from sms_contract.run.planning import select_checks
from sms_contract.run.session import PreparedRun, RunInputs, prepare_run
from sms_contract.run.targets import TargetSettings

_RESULT_KEY = pytest.StashKey[RunOutcome | SmsContractError]()
_PREPARED_KEY = pytest.StashKey[PreparedRun | SmsContractError]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sms-contract", "SFMC SMS API conformance checks")
    group.addoption(
        "--sms-target",
        choices=[kind.value for kind in TargetKind],
        help="add one test per sms-contract check, run against this target",
    )
    group.addoption("--sms-base-url", help="REST base URL (live)")
    group.addoption("--sms-auth-url", help="auth base URL (live)")
    group.addoption("--sms-definition-key", help="send definition key")
    group.addoption("--sms-to", action="append", default=[], help="allow-listed recipient")
    group.addoption(
        "--sms-max-sends", type=int, help=f"most accepted sends (live default {LIVE_MAX_SENDS})"
    )
    group.addoption(
        "--sms-max-requests", type=int, help=f"most requests (live default {LIVE_MAX_REQUESTS})"
    )
    group.addoption(
        "--sms-allow-tenant-changes",
        action="store_true",
        help="live: allow checks that create, update or delete definitions or purge queues",
    )
    group.addoption(
        "--sms-allow-extra-token",
        action="store_true",
        help="live: allow the check that requests a second, narrower token (403 on a send)",
    )
    group.addoption(
        "--sms-ca-bundle",
        type=Path,
        metavar="FILE",
        help="live: PEM file of the CA(s) that server certificates are verified with; wins over "
        "REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE and SSL_CERT_FILE (as 'sms-contract run "
        "--ca-bundle')",
    )
    group.addoption(
        "--sms-max-time", type=float, help="seconds before nothing more is sent (live default 600)"
    )
    group.addoption(
        "--sms-status-wait", type=float, help="seconds a status read waits (default 30)"
    )
    group.addoption(
        "--sms-concurrency",
        type=int,
        help=f"live: cases of one phase in flight at once, 1 to {MAX_CONCURRENCY} (default "
        f"{LIVE_CONCURRENCY}; 1: one request after another)",
    )
    group.addoption(
        "--sms-allow-incomplete",
        action="store_true",
        help="a check that could not be judged is skipped with the reason instead of failing",
    )
    group.addoption("--sms-seed", type=int, help="seed (default: random, printed)")
    group.addoption("--sms-examples", type=int, default=5, help="generated examples per check")
    group.addoption("--sms-check", action="append", default=[], help="only this check id")
    group.addoption("--sms-strict", action="store_true", help="'observed' counts as a failure")
    group.addoption(
        "--sms-strict-check",
        action="append",
        default=[],
        help="this check's 'observed' counts as a failure (repeatable)",
    )
    group.addoption("--sms-report-dir", type=Path, help="also write the reports here")


class Incomplete(Exception):
    """The check ran but could not judge all it planned (the budget, throttling, the
    deadline, the transport): not a pass."""


class CheckItem(pytest.Item):
    """One catalogue check as a test; its outcome is the check's verdict."""

    def __init__(self, *, check_id: str, title: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check_id = check_id
        self.title = title

    def runtest(self) -> None:
        outcome = _session_result(self.config)
        if isinstance(outcome, SmsContractError):
            raise outcome
        result = next(c for c in outcome.checks if c.check_id == self.check_id)
        if result.verdict is Verdict.SKIPPED:
            pytest.skip(result.skip_reason or "skipped")
        failing = result.verdict is Verdict.FAIL or (
            outcome.strict and result.verdict is Verdict.OBSERVED
        )
        if failing:
            raise ContractViolation(_describe(result, outcome.seed))
        if not result.complete:
            # Never a silent pass: a claim that could not be judged fails its item, unless the
            # user cut the budget on purpose (--sms-allow-incomplete).
            message = f"INCOMPLETE {result.check_id}: " + "; ".join(not_judged_lines(result))
            if outcome.allow_incomplete:
                pytest.skip(message)
            raise Incomplete(message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ContractViolation | SmsContractError | Incomplete):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "sms-contract", None, f"{self.check_id}: {self.title}"


class Catalogue(pytest.Collector):
    """The parent of the check items, so that their ids read ``sms-contract::<ID> <title>``."""

    def collect(self) -> list[pytest.Item]:
        return [
            CheckItem.from_parent(
                self, name=f"{check.id} {check.title}", check_id=check.id, title=check.title
            )
            for check in select_checks(self.config.getoption("--sms-check"))
        ]


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not config.getoption("--sms-target"):
        return
    catalogue = Catalogue.from_parent(session, name="sms-contract", nodeid="sms-contract")
    items.extend(catalogue.collect())


def _session_result(config: pytest.Config) -> RunOutcome | SmsContractError:
    if _RESULT_KEY not in config.stash:
        try:
            config.stash[_RESULT_KEY] = _run(config)
        except SmsContractError as exc:
            config.stash[_RESULT_KEY] = exc
    return config.stash[_RESULT_KEY]


def _prepared(config: pytest.Config) -> PreparedRun | SmsContractError:
    """The run the options describe, its seed decided (the one given, else a random one):
    once per session, so the header names the seed the run then uses."""
    if _PREPARED_KEY not in config.stash:
        try:
            config.stash[_PREPARED_KEY] = _prepare(config)
        except SmsContractError as exc:
            config.stash[_PREPARED_KEY] = exc
    return config.stash[_PREPARED_KEY]


def _run(config: pytest.Config) -> RunOutcome:
    prepared = _prepared(config)
    if isinstance(prepared, SmsContractError):
        raise prepared
    with prepared.open() as opened:
        result = opened.run()
    report_dir = config.getoption("--sms-report-dir")
    if report_dir is not None:
        from sms_contract.reporting import write_reports

        write_reports(result, report_dir)
    return result


def _prepare(config: pytest.Config) -> PreparedRun:
    settings = TargetSettings(
        kind=TargetKind(config.getoption("--sms-target")),
        base_url=config.getoption("--sms-base-url"),
        auth_url=config.getoption("--sms-auth-url"),
        definition_key=config.getoption("--sms-definition-key"),
        allow_list=tuple(config.getoption("--sms-to")),
        max_sends=config.getoption("--sms-max-sends"),
        max_requests=config.getoption("--sms-max-requests"),
        allow_tenant_changes=config.getoption("--sms-allow-tenant-changes"),
        allow_extra_token=config.getoption("--sms-allow-extra-token"),
        ca_bundle=config.getoption("--sms-ca-bundle"),
    )
    return prepare_run(
        RunInputs(
            settings,
            seed=config.getoption("--sms-seed"),
            examples=config.getoption("--sms-examples"),
            check_ids=tuple(config.getoption("--sms-check")),
            strict=config.getoption("--sms-strict"),
            strict_checks=tuple(config.getoption("--sms-strict-check")),
            max_time=config.getoption("--sms-max-time"),
            status_wait=config.getoption("--sms-status-wait"),
            allow_incomplete=config.getoption("--sms-allow-incomplete"),
            concurrency=config.getoption("--sms-concurrency"),
        )
    )


def pytest_report_header(config: pytest.Config) -> str | None:
    """The target and the seed the run uses (decided here when not given), so that a run
    can be repeated from its header."""
    if not config.getoption("--sms-target"):
        return None
    target = config.getoption("--sms-target")
    prepared = _prepared(config)
    if isinstance(prepared, SmsContractError):
        return f"sms-contract: target {target}: {prepared}"
    return f"sms-contract: target {target}, {_seed_words(prepared.options.seed)}"


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    """The seed again under the results (the header is not shown with ``-q``)."""
    outcome = config.stash.get(_RESULT_KEY, None)
    if isinstance(outcome, RunOutcome):
        terminalreporter.write_line(f"sms-contract: {_seed_words(outcome.seed)}")


def _seed_words(seed: int) -> str:
    return f"seed {seed} (reproduce with --sms-seed={seed})"


def _describe(result: CheckOutcome, seed: int) -> str:
    lines = [
        f"{result.check_id} {result.title}: {result.verdict.value} (seed {seed})",
        f"claim:  {result.claim.text}",
        f"source: {result.claim.source}",
    ]
    for finding in result.findings:
        lines.append(f"- case {finding.case_id}: {finding.message}")
        for evidence in finding.evidence[-1:]:
            lines.append(f"  curl: {evidence.curl}")
        lines += [f"  replay ({kind}): {cmd}" for kind, cmd in finding.replay.items()]
    return "\n".join(lines)
