"""``sms-contract proxy``: a validating, scrubbing, recording reverse proxy in front of an
application's own traffic to the SMS API (:mod:`sms_contract.proxy`).

The handler listens, prints one scrubbed line per exchange, writes the reports (and the
cassettes) every ``--report-every`` seconds and once more when SIGINT or SIGTERM stops it, and
exits with the verdict's exit code.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from sms_contract.cli.options import positive_seconds
from sms_contract.exchange import is_loopback_host
from sms_contract.outcomes import RunOutcome, Verdict
from sms_contract.proxy.settings import DEFAULT_LISTEN, DEFAULT_UPSTREAM_TIMEOUT, ProxySettings

if TYPE_CHECKING:
    from sms_contract.proxy.watch import Watch

POLL_INTERVAL = 0.1  # seconds between two looks for a signal or a report due
SIGNALS = (signal.SIGINT, signal.SIGTERM)

DESCRIPTION = """\
Put a proxy between an application and the SMS API (a tenant, or the simulator) and judge
every exchange the application makes with the catalogue's passive claims: status codes,
content type, response schema, the messageKey echo, requestId, errorcode in both rejection
forms (HTTP 4xx, and 202 with a non-zero errorcode), a reused messageKey refused with 109110,
token responses and status-route bodies. Verdicts as in 'sms-contract run': pass, fail,
observed; a claim nothing in the traffic applied to is skipped.

Every request is forwarded byte for byte (method, target, headers but the hop-by-hop ones,
body) and the answer comes back byte for byte; the proxy never changes what passes and never
sends anything of its own. Point the application's auth and REST base URLs at the proxy.
"""

EPILOG = f"""\
what it writes:
  one scrubbed line per exchange (#N METHOD PATH -> STATUS, the claims that failed);
  the reports (junit.xml, report.json, report.html, summary.md) into --report-dir when it
  stops, and every --report-every seconds; with --cassette-dir, the exchanges as cassettes
  (proxy-<start>-001.yaml, check PROXY, case PROXY#N) that 'sms-contract drift' compares
  with the spec and 'sms-contract run --cassette-dir' accepts. Tokens, client secrets,
  client ids, account ids, phone numbers, contact keys, attribute values and message texts
  are scrubbed first.

what it never does:
  send a request of its own, retry, or change a byte of what passes; listen beyond loopback
  without --allow-remote-clients; forward over plain http:// to a host that is not loopback.
  An upstream that cannot be reached gets the application a 502 with a JSON body (and the
  report says so); a connection lost once the request was sent is closed unanswered, as the
  application would have seen it.

stopping: SIGINT (Ctrl-C) or SIGTERM stops accepting, lets the exchanges in flight finish,
writes the reports and cassettes, and exits with the verdict's exit code:
  0  every claim judged on the traffic held (claims nothing applied to are skipped)
  1  a documented claim was violated (or, with --strict, an observation was made)
  2  usage or configuration error (the message says what to fix)
  4  nothing was judged, or an exchange could not be judged (the upstream unreachable, a
     lost answer): the report lists each

examples:
  sms-contract serve --port 8080 &
  sms-contract proxy --upstream http://127.0.0.1:8080 --listen {DEFAULT_LISTEN}
  sms-contract proxy --upstream https://SUB.rest.marketingcloudapis.com \\
      --auth-upstream https://SUB.auth.marketingcloudapis.com --cassette-dir recordings/staging
"""


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "proxy",
        help="judge an application's own traffic through a validating, recording proxy",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = parser.add_argument_group("where")
    where.add_argument(
        "--upstream",
        required=True,
        metavar="URL",
        help="where requests go: the tenant's REST base URL, or a simulator on loopback "
        "(https://, or http:// on loopback only)",
    )
    where.add_argument(
        "--auth-upstream",
        metavar="URL",
        help="where token requests (paths under /v2/) go: the tenant's auth base URL "
        "(default: --upstream)",
    )
    where.add_argument(
        "--listen",
        default=DEFAULT_LISTEN,
        metavar="HOST:PORT",
        help="where the application connects (port 0: any free one, printed) "
        "(default: %(default)s)",
    )
    where.add_argument(
        "--allow-remote-clients",
        action="store_true",
        help="allow a --listen host that is not loopback (the proxy's side is plain HTTP, "
        "carrying tokens and client secrets: think twice)",
    )
    where.add_argument(
        "--ca-bundle",
        type=Path,
        metavar="FILE",
        help="PEM file of the CA(s) the upstream's certificate is verified with (default: "
        "REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE or SSL_CERT_FILE, else the certifi bundle)",
    )
    where.add_argument(
        "--upstream-timeout",
        type=positive_seconds,
        default=DEFAULT_UPSTREAM_TIMEOUT,
        metavar="SECONDS",
        help="how long to wait for the upstream's answer (default: %(default)g)",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="where the reports are written (default: %(default)s)",
    )
    output.add_argument(
        "--report-every",
        type=positive_seconds,
        metavar="SECONDS",
        help="also write the reports (and cassettes) this often while running",
    )
    output.add_argument(
        "--cassette-dir",
        type=Path,
        metavar="DIR",
        help="record the exchanges, scrubbed, as cassettes into this directory",
    )
    parser.add_argument(
        "--strict", action="store_true", help="every 'observed' verdict counts as a violation"
    )
    parser.set_defaults(handler=proxy_command)


def proxy_command(args: argparse.Namespace) -> int:
    # The forwarder, the judges and the reports: loaded when the command runs, not by --help.
    from sms_contract.proxy.forwarding import Forwarder
    from sms_contract.proxy.server import serve_proxy
    from sms_contract.proxy.watch import Watch
    from sms_contract.redaction import Scrubber
    from sms_contract.reporting import REPORT_FILES
    from sms_contract.reporting.locations import check_output_dir, prepare_output_dir

    settings = ProxySettings.from_urls(
        args.upstream,
        auth_upstream=args.auth_upstream,
        listen=args.listen,
        allow_remote_clients=args.allow_remote_clients,
        timeout=args.upstream_timeout,
        ca_bundle=args.ca_bundle,
    )
    prepare_output_dir(args.report_dir, "--report-dir", owned=REPORT_FILES)
    if args.cassette_dir is not None:
        check_output_dir(args.cassette_dir, "--cassette-dir")
    upstreams = (settings.upstream, settings.auth_upstream)
    forwarder = Forwarder(
        timeout=settings.timeout,
        ca_bundle=settings.ca_bundle,
        tls=any(u.scheme == "https" for u in upstreams),
    )
    watch = Watch(
        upstream=settings.upstream.url,
        scrubber=Scrubber(_known_secrets()),
        strict=args.strict,
        cassette_dir=args.cassette_dir,
        source=settings.source,
        on_line=_print_line,
    )
    with _stopping_on_signals() as received:
        handle = serve_proxy(settings, watch, forwarder)
        try:
            _print_banner(handle.base_url, settings, args)
            due = None if args.report_every is None else time.monotonic() + args.report_every
            while not received:
                time.sleep(POLL_INTERVAL)
                if due is not None and time.monotonic() >= due:
                    _write(watch, args, final=False)
                    due += args.report_every
        finally:
            handle.stop()
    print(f"proxy: {received[0] if received else 'stopped'}: stopped accepting", flush=True)
    result = _write(watch, args, final=True)
    return result.exit_code


def _known_secrets() -> list[str]:
    """Credentials in the proxy's own environment (the application's, when it runs beside
    it): scrubbed from the start, before any token request teaches them."""
    from sms_contract.client.config import (  # not loaded by --help
        ENV_ACCESS_TOKEN,
        ENV_ACCOUNT_ID,
        ENV_CLIENT_ID,
        ENV_CLIENT_SECRET,
    )

    names = (ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_ACCOUNT_ID, ENV_ACCESS_TOKEN)
    return [value for value in (os.environ.get(name, "").strip() for name in names) if value]


def _print_line(line: str) -> None:
    print(line, flush=True)


def _print_banner(base_url: str, settings: ProxySettings, args: argparse.Namespace) -> None:
    auth = settings.auth_upstream
    tokens = "" if auth == settings.upstream else f", token requests (/v2/) to {auth.url}"
    print(f"proxy: listening on {base_url}, forwarding to {settings.upstream.url}{tokens}")
    print(f"proxy: point the application's auth and REST base URLs at {base_url}")
    if not is_loopback_host(settings.host):
        print("proxy: warning: listening beyond loopback; tokens and secrets cross it in clear")
    every = "" if args.report_every is None else f" and every {args.report_every:g} s"
    cassettes = "" if args.cassette_dir is None else f"; cassettes into {args.cassette_dir}"
    print(
        f"proxy: reports into {args.report_dir} on SIGINT or SIGTERM{every}{cassettes}",
        flush=True,
    )


def _write(watch: Watch, args: argparse.Namespace, *, final: bool) -> RunOutcome:
    """The reports (and cassettes) of the session so far; the summary when ``final``."""
    from sms_contract.reporting import write_reports  # not loaded by --help
    from sms_contract.reporting.presentation import outcome_sentence, result_word

    result = watch.outcome()
    cassettes = watch.save_cassettes() if args.cassette_dir is not None else []
    paths = write_reports(result, args.report_dir)
    if not final:
        print(f"proxy: reports updated ({watch.exchanges} exchanges so far)", flush=True)
        return result
    for check in result.checks:
        if check.verdict in (Verdict.PASS, Verdict.SKIPPED):
            continue
        first = (check.findings or ())[:1]
        detail = f": {first[0].case_id} {first[0].message}" if first else ""
        if not first and check.not_judged:
            detail = f": {check.not_judged[0].case_id} {check.not_judged[0].reason}"
        print(f"{check.verdict.value.upper()} {check.check_id}{detail}")
    counts = ", ".join(f"{result.count(v)} {v.value}" for v in Verdict)
    print(f"summary: {watch.exchanges} exchanges; {counts}")
    if cassettes:
        print("cassettes: " + ", ".join(str(path) for path in cassettes))
    print("reports: " + ", ".join(str(path) for path in paths.values()))
    print(f"result: {result_word(result)}: {outcome_sentence(result)} (exit {result.exit_code})")
    return result


@contextmanager
def _stopping_on_signals() -> Iterator[list[str]]:
    """SIGINT and SIGTERM, while the block runs, only note that they came (the list holds
    their names); the previous handlers come back after. Outside the main thread (where no
    handler can be installed) the list stays empty."""
    received: list[str] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        received.append(signal.Signals(signum).name)

    previous = {number: signal.signal(number, handle) for number in SIGNALS}
    try:
        yield received
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
