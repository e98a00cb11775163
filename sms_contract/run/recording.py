"""Run planned cases and keep every exchange as a scrubbed cassette interaction, one cassette per
check: the one code path of ``record`` (which saves the cassettes), and of ``drift`` and
``fidelity`` (which run the recorded cases again and compare).

Everything goes through the ``Runner``, so recording against a live tenant obeys the same
safety rails as a run. Each exchange is scrubbed the moment it completes
(``cassettes.Recorder``), with ``targets.recording_scrubber``: nothing unscrubbed is kept.

Recorded are the *deterministic* checks: those whose cases are fixed by the seed. Every check of
the catalogue is seeded except SPEC-BREADTH (Schemathesis generates its cases); a check whose
cases need a capability the target lacks (moving the clock, on a live tenant) is skipped by the
runner and not recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sms_contract.checks.model import Auth
from sms_contract.errors import UsageError
from sms_contract.exchange import Exchange
from sms_contract.outcomes import RunOutcome
from sms_contract.recordings.cassettes import (
    OBSERVED_TRAFFIC,
    Cassette,
    Interaction,
    RecordedRun,
    Recorder,
    RecordingSource,
    RunValues,
    recorded_cases,
    recorded_run,
)
from sms_contract.run.defaults import NOT_RECORDED
from sms_contract.run.planning import PlannedCheck, select_checks
from sms_contract.run.runner import Progress
from sms_contract.run.session import OpenRun, RunInputs, prepare_run
from sms_contract.run.targets import TargetSettings, recording_scrubber
from sms_contract.spec.loading import load_spec

_OWN_TOKEN_AUTH = frozenset({Auth.BEARER})


def recordable_checks(check_ids: Sequence[str] = ()) -> tuple[str, ...]:
    """The deterministic checks among ``check_ids`` (all of them when empty), in catalogue
    order; ``UsageError`` when one named is not deterministic."""
    for check_id in check_ids:
        if check_id.upper() in NOT_RECORDED:
            reason = NOT_RECORDED[check_id.upper()]
            raise UsageError(f"{check_id.upper()} cannot be recorded: {reason}")
    return tuple(check.id for check in select_checks(check_ids) if check.id not in NOT_RECORDED)


@dataclass(frozen=True)
class Recording:
    """A run and what it exchanged, scrubbed, as one cassette per check that sent anything."""

    result: RunOutcome
    cassettes: dict[str, Cassette]
    run: RecordedRun
    planned: tuple[PlannedCheck, ...]
    simulated: bool  # the target was the mock or a server on loopback

    @property
    def interactions(self) -> tuple[Interaction, ...]:
        return tuple(i for cassette in self.cassettes.values() for i in cassette.interactions)

    @property
    def budget_spent(self) -> bool:
        spent = self.result.spending
        sends = spent.max_sends is not None and spent.accepted_sends >= spent.max_sends
        requests = spent.max_requests is not None and spent.requests >= spent.max_requests
        return sends or requests

    @property
    def not_run(self) -> dict[str, str]:
        """Why a planned check did not run, by check id."""
        return {p.check.id: p.skip_reason for p in self.planned if p.skip_reason is not None}

    @property
    def token_cases(self) -> frozenset[str]:
        """The cases whose token requests are their own steps: none of their steps sends
        with the client's token, so the client never asks for one during them."""
        return frozenset(
            case.id
            for item in self.planned
            for case in item.cases
            if not any(step.auth in _OWN_TOKEN_AUTH for step in case.steps)
        )


def record_run(run: OpenRun, *, progress: Progress | None = None) -> Recording:
    """Run ``run``'s plan against its target and keep each exchange, scrubbed, by check."""
    target, options = run.target, run.options
    scrubber = recording_scrubber(target.config, options.allow_list)
    planned_with = RecordedRun(
        seed=options.seed,
        nonce=options.nonce,
        examples=options.examples,
        definition_key=options.definition_key,
        recipients=len(options.allow_list),
    )
    kind = RecordingSource.SIMULATOR if target.simulated else RecordingSource.LIVE
    spec_sha256 = load_spec().sha256
    recorders: dict[str, Recorder] = {}

    def keep(owner: tuple[str, str] | None, exchange: Exchange) -> None:
        if owner is None:  # the runner sends nothing outside a case
            return
        check_id, case_id = owner
        recorder = recorders.get(check_id)
        if recorder is None:
            recorder = Recorder(
                scrubber,
                target=kind,
                base_url=target.base_url,
                spec_sha256=spec_sha256,
                run=planned_with,
            )
            recorders[check_id] = recorder
        recorder.record(check_id, case_id, exchange)

    # In plan order, whatever the concurrency asked: the placeholders of scrubbed values are
    # numbered as they are met, and a replay meets them in plan order.
    in_order = replace(options, concurrency=1)
    result = replace(run, target=replace(target, recorder=keep), options=in_order).run(progress)
    cassettes = {check_id: recorder.cassette for check_id, recorder in recorders.items()}
    return Recording(result, cassettes, planned_with, run.planned, target.simulated)


@dataclass(frozen=True)
class Rerun:
    """The recorded interactions of some checks, and a fresh recording of the same cases."""

    recorded: tuple[Interaction, ...]
    fresh: Recording
    sides: tuple[RunValues, RunValues]  # what the recorded and the fresh run planned with


def rerun(
    cassettes: Sequence[Cassette],
    settings: TargetSettings,
    *,
    check_ids: Sequence[str] = (),
    progress: Progress | None = None,
    max_time: float | None = None,
    status_wait: float | None = None,
) -> Rerun:
    """Plan the recorded cases again (``prepare_run`` with the cassettes' provenance: their
    seed, examples and definition key, and on the mock their nonce, so its requests are the
    recorded ones; of each recorded check, only its recorded cases) and run them against the
    target of ``settings``, recording as they run."""
    recorded_with = recorded_run(cassettes)
    if all(i.check_id == OBSERVED_TRAFFIC for cassette in cassettes for i in cassette.interactions):
        raise UsageError(
            "the cassettes hold observed traffic only (recorded by 'sms-contract proxy'): no "
            "run planned those requests, so there are no cases to run again; 'sms-contract "
            "drift --cassette-dir DIR' compares their answers with the spec"
        )
    if recorded_with is None:
        raise UsageError(
            "the cassettes do not say what they were recorded with (no provenance.run): "
            "record them with 'sms-contract record'"
        )
    in_cassettes = {i.check_id for cassette in cassettes for i in cassette.interactions}
    wanted = tuple(c for c in recordable_checks(check_ids) if c in in_cassettes)
    if not wanted:
        raise UsageError("no recorded interaction of the selected checks in the cassettes")
    prepared = prepare_run(
        RunInputs(
            settings,
            check_ids=wanted,
            recorded=recorded_with,
            recorded_cases=recorded_cases(cassettes),
            max_time=max_time,
            status_wait=status_wait,
        )
    )
    with prepared.open() as run:
        fresh = record_run(run, progress=progress)
    # The selected checks' recorded cases, and the cases that own the shared sends they read.
    owners = {
        step.owner or case.owner
        for item in fresh.planned
        for case in item.cases
        for step in case.steps
    }
    recorded = tuple(
        i
        for cassette in cassettes
        for i in cassette.interactions
        if (i.check_id, i.case_id) in owners or i.check_id in wanted
    )
    sides = (
        RunValues(recorded_with.nonce, recorded_with.definition_key),
        RunValues(prepared.options.nonce, prepared.options.definition_key),
    )
    return Rerun(recorded, fresh, sides)
