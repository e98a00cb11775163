"""Simulator fidelity: the recorded cases run again against a fresh in-process simulator, with
every difference from the recordings in status, errorcode and body shape.

How recorded requests are replayed. A cassette holds requests scrubbed: Authorization headers
are not kept, tokens and secrets read ``<secret-N>``, and every ``to`` reads ``<phone-N>``,
whether it was an allow-listed number, an invalid one or one of the wrong JSON type. Sent as
they are, they would not be judged as the originals were. So fidelity plans the recorded cases
again from the cassettes' provenance (seed, nonce, examples, definition key): the very
requests that were recorded, before scrubbing. Two values are substituted, as a replay does:

- each allow-listed number (``<phone-N>`` where the recording sent one) is one of the
  fictional numbers 15555551234, 15555551235, ... (as many as were recorded), which the
  simulator accepts;
- the client credentials are the simulator's own, so a request that carried the client's
  token carries one the simulator issued; a missing, made-up or expired token stays so.

Each fresh request is checked against its recorded interaction before the answers are
compared (``sms_contract.drift.compare``); a request that differs is listed, since the recordings
then no longer match the plan (record them again).
"""

from __future__ import annotations

from collections.abc import Sequence

from sms_contract.drift.compare import DriftReport, compare_runs
from sms_contract.drift.response_diff import FIDELITY_ASPECTS
from sms_contract.recordings.cassettes import Cassette
from sms_contract.run.defaults import TargetKind
from sms_contract.run.recording import rerun
from sms_contract.run.targets import TargetSettings
from sms_contract.simulator.config import SimulatorConfig


def check_fidelity(
    cassettes: Sequence[Cassette],
    *,
    check_ids: Sequence[str] = (),
    simulator: SimulatorConfig | None = None,
) -> DriftReport:
    """Every difference between the recordings and a fresh simulator (``simulator``: its
    configuration, the conformant default when ``None``) answering the same cases."""
    settings = TargetSettings(kind=TargetKind.MOCK, simulator=simulator)
    again = rerun(cassettes, settings, check_ids=check_ids)
    return compare_runs(
        again.recorded,
        again.fresh.interactions,
        aspects=FIDELITY_ASPECTS,
        token_cases=again.fresh.token_cases,
        sides=again.sides,
        not_run=again.fresh.not_run,
        budget_spent=again.fresh.budget_spent,
    )
