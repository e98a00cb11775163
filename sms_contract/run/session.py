"""The one way into a run.

Every front door (``sms-contract run``, ``record``, ``drift`` and ``fidelity``, the pytest plugin,
and running recorded cases again) says what it wants as ``RunInputs`` and calls
``prepare_run``. The values a run is planned with are decided here and nowhere else:

- the target settings, resolved (defaults filled in, anything unsafe refused); replaying
  recordings on the mock, the definition key and the number of recipients default to the
  recorded ones (the numbers themselves were scrubbed: fictional ones stand in);
- the seed: the one given, else the recording's, else a random one;
- the examples per property-based check: as given, else the recording's, else 5;
- the messageKey nonce: the recording's when the mock replays a recording with its own seed
  (so the requests are the recorded ones), ``s<seed>`` on the mock otherwise (reproducible),
  and a fresh random one against anything else (a real tenant refuses a key reused within
  days);
- the deadline: as given, else 600 seconds against a live target and none on the mock (whose
  waits are its simulator's clock, not real time); and how long a status read waits for the
  platform: as given, else 30 seconds;
- the concurrency: as given, else ``LIVE_CONCURRENCY`` (16); only a live target runs cases
  concurrently (``Target.concurrent``): the mock runs them in order;
- with recordings (``recorded_cases``), the cases: of a check with recorded cases only those
  (a recording made within a send budget left generated cases out, and so does its replay:
  ``OpenRun.left_out`` names them); a check with none recorded is planned whole
  (``OpenRun.unrecorded``).

``PreparedRun.open()`` opens the target and plans the run against its capabilities; the
``OpenRun`` it yields runs it (or records it: :func:`sms_contract.run.recording.record_run`).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from sms_contract.errors import UsageError
from sms_contract.outcomes import RunOutcome
from sms_contract.recordings.cassettes import RecordedRun
from sms_contract.recordings.replay import replay_allow_list
from sms_contract.run import interruption
from sms_contract.run.defaults import (
    DEFAULT_DEFINITION_KEY,
    DEFAULT_EXAMPLES,
    DEFAULT_STATUS_WAIT,
    LIVE_CONCURRENCY,
    LIVE_MAX_TIME,
    MAX_CONCURRENCY,
    TargetKind,
)
from sms_contract.run.planning import (
    PlannedCheck,
    RunOptions,
    plan,
    recorded_only,
    select_checks,
)
from sms_contract.run.runner import Progress, Runner
from sms_contract.run.targets import Target, TargetSettings, open_target


@dataclass(frozen=True)
class RunInputs:
    """What a front door asks for; ``None`` means "the default" (see the module doc)."""

    target: TargetSettings
    seed: int | None = None
    examples: int | None = None
    check_ids: tuple[str, ...] = ()
    case_id: str | None = None
    strict: bool = False
    strict_checks: tuple[str, ...] = ()
    recorded: RecordedRun | None = None  # plan the cases these recordings were made of
    # The (check, case) pairs the recordings hold: of a recorded check, only these are planned.
    recorded_cases: frozenset[tuple[str, str]] | None = None
    max_time: float | None = None
    status_wait: float | None = None
    allow_incomplete: bool = False
    concurrency: int | None = None  # cases in flight at once on a live target


@dataclass(frozen=True)
class OpenRun:
    """A run with its target open and its plan made."""

    target: Target
    options: RunOptions
    planned: tuple[PlannedCheck, ...]
    left_out: tuple[str, ...] = ()  # cases of recorded checks the recordings do not hold
    unrecorded: tuple[str, ...] = ()  # checks nothing was recorded of (the simulator answers)

    def run(self, progress: Progress | None = None) -> RunOutcome:
        return Runner(self.target, self.options, progress=progress).run(self.planned)


@dataclass(frozen=True)
class PreparedRun:
    """The settings and options of a run, decided; nothing is open yet."""

    settings: TargetSettings
    options: RunOptions
    recorded_cases: frozenset[tuple[str, str]] | None = None

    @contextmanager
    def open(self) -> Iterator[OpenRun]:
        """The target, open for the block, and the plan against its capabilities (cut
        short by a signal: ``sms_contract.run.interruption``)."""
        with open_target(self.settings) as target:
            planned = tuple(
                plan(self.options, target.capabilities, interrupted=interruption.requested)
            )
            if self.recorded_cases is None:
                yield OpenRun(target, self.options, planned)
                return
            replayable = recorded_only(planned, self.recorded_cases)
            case_id = self.options.case_id
            if case_id is not None and case_id in replayable.left_out:
                raise UsageError(
                    f"case {case_id!r} is not in the recordings (they hold what the recording "
                    "run sent: record it, or replay without --cassette-dir)"
                )
            yield OpenRun(
                target,
                self.options,
                replayable.planned,
                left_out=replayable.left_out,
                unrecorded=replayable.unrecorded,
            )


def prepare_run(inputs: RunInputs) -> PreparedRun:
    """The run ``inputs`` describe (module doc); ``UsageError`` for anything a user must fix."""
    recorded = inputs.recorded
    settings = inputs.target
    if recorded is not None and settings.kind is TargetKind.MOCK:
        settings = replace(
            settings,
            definition_key=settings.definition_key or recorded.definition_key,
            allow_list=settings.allow_list or replay_allow_list(recorded.recipients),
        )
    settings = settings.resolved()
    if recorded is not None and len(settings.allow_list) != recorded.recipients:
        raise UsageError(
            f"the recordings were made with {recorded.recipients} --to number(s); give as "
            f"many (this run has {len(settings.allow_list)}), so the same cases are planned"
        )
    seed = inputs.seed
    if seed is None:
        seed = recorded.seed if recorded is not None else random.SystemRandom().randrange(2**31)
    if settings.kind is not TargetKind.MOCK:
        nonce = secrets.token_hex(3)
    elif recorded is not None and recorded.seed == seed:
        nonce = recorded.nonce
    else:
        nonce = f"s{seed}"
    examples = inputs.examples
    if examples is None:
        examples = recorded.examples if recorded is not None else DEFAULT_EXAMPLES
    strict_checks = tuple(check.id for check in select_checks(inputs.strict_checks))
    max_time = inputs.max_time
    if max_time is None and settings.kind is not TargetKind.MOCK:
        max_time = LIVE_MAX_TIME
    status_wait = DEFAULT_STATUS_WAIT if inputs.status_wait is None else inputs.status_wait
    concurrency = LIVE_CONCURRENCY if inputs.concurrency is None else inputs.concurrency
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"the concurrency must be 1 to {MAX_CONCURRENCY}, not {concurrency}")
    options = RunOptions(
        seed=seed,
        examples=examples,
        check_ids=inputs.check_ids,
        case_id=inputs.case_id,
        strict=inputs.strict,
        strict_checks=strict_checks if inputs.strict_checks else (),
        max_sends=settings.max_sends,
        max_requests=settings.max_requests,
        allow_list=settings.allow_list,
        definition_key=settings.definition_key or DEFAULT_DEFINITION_KEY,
        nonce=nonce,
        max_time=max_time,
        status_wait=status_wait,
        allow_incomplete=inputs.allow_incomplete,
        concurrency=concurrency,
    )
    return PreparedRun(settings, options, inputs.recorded_cases)
