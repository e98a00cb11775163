"""The flags several commands share: the target (run, record, drift) and whole numbers."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from sms_contract.run.defaults import (
    DEFAULT_DEFINITION_KEY,
    DEFAULT_STATUS_WAIT,
    DOCUMENTED_NUMBER,
    LIVE_CONCURRENCY,
    LIVE_MAX_REQUESTS,
    LIVE_MAX_SENDS,
    LIVE_MAX_TIME,
    MAX_CONCURRENCY,
    TargetKind,
)

if TYPE_CHECKING:
    from sms_contract.run.targets import TargetSettings


def add_target_arguments(
    parser: argparse.ArgumentParser,
    *,
    cassette_help: str = "mock: replay these recordings first, the simulator answering the rest",
    cassette_required: bool = False,
    concurrent: bool = True,
) -> None:
    """The connection flags shared by run, record and drift (``--cassette-dir`` means where
    recordings are replayed from, written to, or compared with: the caller says which).
    ``--concurrency`` only where the command may send concurrently (``concurrent``): record and
    drift send in plan order, because a recording numbers the placeholders of the values it
    scrubs in the order it meets them, and a replay must meet them in that order."""
    parser.add_argument(
        "--target",
        choices=[kind.value for kind in TargetKind],
        default=TargetKind.MOCK.value,
        help="mock: hermetic, in-process (default); live: a tenant, or any server via --base-url",
    )
    parser.add_argument("--base-url", metavar="URL", help="REST base URL (live)")
    parser.add_argument("--auth-url", metavar="URL", help="auth base URL for /v2/token (live)")
    parser.add_argument(
        "--ca-bundle",
        type=Path,
        metavar="FILE",
        help="live: PEM file of the CA(s) that server certificates are verified with; wins over "
        "REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE and SSL_CERT_FILE, which are read in that order "
        "(default: the certifi bundle). HTTPS_PROXY, HTTP_PROXY and NO_PROXY are honoured; "
        "loopback hosts never go through a proxy",
    )
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
        type=non_negative,
        metavar="N",
        help=f"most accepted sends (live default: {LIVE_MAX_SENDS}; mock: unbounded)",
    )
    parser.add_argument(
        "--max-requests",
        type=positive,
        metavar="N",
        help=f"most requests in all (live default: {LIVE_MAX_REQUESTS}; mock: unbounded)",
    )
    parser.add_argument(
        "--allow-tenant-changes",
        action="store_true",
        help="live: allow checks that create, update or delete definitions or purge queues",
    )
    parser.add_argument(
        "--allow-extra-token",
        action="store_true",
        help="live: allow the check that requests a second token, with a narrower scope, to "
        "see a send refused with 403 (the vendor throttles token requests; the mock always "
        "allows it)",
    )
    parser.add_argument(
        "--max-time",
        type=positive_seconds,
        metavar="SECONDS",
        help=f"deadline of the run: past it nothing new is sent and the run ends INCOMPLETE "
        f"with its reports (live default: {LIVE_MAX_TIME:g}; mock: none)",
    )
    if concurrent:
        parser.add_argument(
            "--concurrency",
            type=concurrency,
            metavar="N",
            help=f"live: cases of one phase in flight at once, 1 to {MAX_CONCURRENCY} (default: "
            f"{LIVE_CONCURRENCY}; 1 sends one request after another in plan order). Phases stay "
            "barriers and a case's steps keep their order; one 429 holds every worker for its "
            "Retry-After; the budgets and the allow-list hold exactly; verdicts and reports are "
            "the same at any concurrency. The mock always runs in order",
        )
    parser.add_argument(
        "--status-wait",
        type=seconds,
        metavar="SECONDS",
        help="how long a status read polls for the platform to show an accepted message "
        f"(default: {DEFAULT_STATUS_WAIT:g}; the simulator answers at once)",
    )
    parser.add_argument(
        "--retries",
        type=non_negative,
        metavar="N",
        help="retries of a request after a 429 (Retry-After honoured) or a lost response, with "
        "backoff 0.5, 1, 2 s (default: 3); a 5xx is retried once, TLS and name-resolution errors "
        "never",
    )
    parser.add_argument(
        "--cassette-dir",
        type=Path,
        metavar="DIR",
        required=cassette_required,
        help=cassette_help,
    )


def settings_from(args: argparse.Namespace) -> TargetSettings:
    from sms_contract.run.targets import TargetSettings  # a target's code: not for --help

    return TargetSettings(
        kind=TargetKind(args.target),
        base_url=args.base_url,
        auth_url=args.auth_url,
        ca_bundle=args.ca_bundle,
        definition_key=args.definition_key,
        allow_list=tuple(args.to),
        max_sends=args.max_sends,
        max_requests=args.max_requests,
        allow_tenant_changes=args.allow_tenant_changes,
        allow_extra_token=args.allow_extra_token,
        cassette_dir=args.cassette_dir,
        retries=args.retries,
    )


def concurrency(text: str) -> int:
    value = positive(text)
    if value > MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"at most {MAX_CONCURRENCY}")
    return value


def positive(text: str) -> int:
    value = non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a finite number of seconds, zero or more")
    return value


def positive_seconds(text: str) -> float:
    value = seconds(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value
