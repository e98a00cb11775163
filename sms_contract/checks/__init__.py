"""The catalogue of conformance checks: every documented claim the harness tests, by stable id.

Each check names the documentation it rests on (``Check.claim``). Modules group them by what
they look at; ``CATALOGUE`` is the one registry the runner, the CLI and the pytest plugin read.
"""

from __future__ import annotations

from sms_contract.checks import (
    auth,
    batch,
    breadth,
    content,
    definitions,
    not_sent,
    responses,
    send,
    status,
    validation,
)
from sms_contract.checks.model import Check

CATALOGUE: dict[str, Check] = {
    check.id: check
    for check in (
        *send.CHECKS,
        *content.CHECKS,
        *batch.CHECKS,
        *validation.CHECKS,
        *responses.CHECKS,
        *auth.CHECKS,
        *status.CHECKS,
        *not_sent.CHECKS,
        *definitions.CHECKS,
        *breadth.CHECKS,
    )
}

__all__ = ["CATALOGUE"]
