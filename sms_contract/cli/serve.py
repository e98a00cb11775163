"""``sms-contract serve``: the simulator on a loopback port, as a local sandbox double.

``register(subparsers)`` adds the subcommand; its handler prints a banner (the base URL, the
credentials, how to point ``sms-contract run`` at it) and serves until Ctrl-C, then exits 0.
The client secret is printed only when it is the built-in public test value.
"""

from __future__ import annotations

import argparse
import errno
import sys
import threading
from typing import TYPE_CHECKING, Any, TextIO

from sms_contract.errors import UsageError
from sms_contract.run.defaults import DOCUMENTED_NUMBER
from sms_contract.simulator.config import (  # light: the flags' defaults and choices
    ASYNC_RULES,
    DAY,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_SCOPE,
    Credentials,
    Deviation,
    Faults,
    SimulatorConfig,
)
from sms_contract.spec.rules import RejectionForm

if TYPE_CHECKING:
    from sms_contract.simulator.server import ServerHandle

DESCRIPTION = """\
Serve the SMS API simulator (the documented server behaviour: OAuth token, sends, status,
definitions, validation rules and error codes, the messageKey window, 429 with Retry-After)
on a loopback port, for your own integration tests or for 'sms-contract run --target live'.
Faults and deliberate deviations from the documentation can be switched on.
"""


def _deviation_help() -> str:
    lines = [f"  {d.cli_name:<30} breaks: {d.claim}" for d in Deviation]
    return "deviations (--deviation NAME, repeatable):\n" + "\n".join(lines)


def register(commands: Any) -> None:
    """Add ``serve`` to the CLI's subparsers."""
    parser = commands.add_parser(
        "serve",
        help="serve the simulator on a loopback port",
        description=DESCRIPTION,
        epilog=_deviation_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(handler=serve_command)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_argument_group("where")
    where.add_argument("--host", default="127.0.0.1", help="bind address (default: %(default)s)")
    where.add_argument(
        "--port", type=int, default=8080, help="port, 0 = any (default: %(default)s)"
    )
    where.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow a non-loopback --host (plain HTTP and known credentials: think twice)",
    )
    auth = parser.add_argument_group("credentials")
    auth.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="(default: %(default)s)")
    auth.add_argument(
        "--client-secret", default=DEFAULT_CLIENT_SECRET, help="(default: %(default)s)"
    )
    auth.add_argument(
        "--scope",
        default=DEFAULT_SCOPE,
        metavar="SCOPES",
        help="the integration's scopes, space-separated: a token request naming none gets "
        "them all, one naming some gets those of them it names; a REST route refuses a "
        "token without its scope with 403 (errorcode 20002) (default: %(default)s)",
    )
    auth.add_argument(
        "--token-lifetime",
        type=float,
        default=1200.0,
        metavar="S",
        help="seconds a token lives; expires_in is 2 minutes less (default: 1200)",
    )
    behaviour = parser.add_argument_group("behaviour")
    behaviour.add_argument(
        "--rejection-form",
        choices=[form.value for form in RejectionForm],
        default=RejectionForm.HTTP_ERROR.value,
        help="a recipient-level rejection is HTTP 400 (http) or 202 with errorcode 109001 "
        "(accepted) (default: %(default)s)",
    )
    behaviour.add_argument(
        "--to-optional",
        action="store_true",
        help="accept a recipient with a contactKey and no 'to' (single and batch sends), as "
        "Salesforce's SDK tests send them; default: 'to' is required (109106)",
    )
    behaviour.add_argument(
        "--deviation",
        action="append",
        default=[],
        metavar="NAME",
        choices=[d.cli_name for d in Deviation],
        help="deliberately break one documented claim (repeatable; listed below)",
    )
    behaviour.add_argument(
        "--status-visible-after",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="GET status finds an accepted send only this long after it was accepted "
        "(404 until then; default: 0, at once)",
    )
    behaviour.add_argument(
        "--message-key-window",
        type=float,
        default=2 * DAY,
        metavar="SECONDS",
        help="how long a messageKey stays taken (default: %(default)g, the documented 2 days)",
    )
    behaviour.add_argument(
        "--status-retention",
        type=float,
        default=3 * DAY,
        metavar="SECONDS",
        help="how long a send status (and a not-sent event) can be read (default: %(default)g, "
        "the documented 3 days); a send is held in memory for the longer of the two, so "
        "shorter values bound a long-running sandbox's memory",
    )
    behaviour.add_argument(
        "--async-rule",
        action="append",
        default=[],
        metavar="RULE",
        choices=sorted(ASYNC_RULES),
        help="apply this validation rule after accepting: the send is answered 202 and reads "
        "back as SMSNotSent (repeatable; one of: %(choices)s)",
    )
    faults = parser.add_argument_group("faults (0 = off; applied to REST routes, not /v2/token)")
    faults.add_argument("--latency", type=float, default=0.0, metavar="S", help="delay per request")
    faults.add_argument(
        "--rate-limit-every",
        type=int,
        default=0,
        metavar="N",
        help="every Nth request is 429 with Retry-After",
    )
    faults.add_argument(
        "--retry-after",
        type=int,
        default=5,
        metavar="S",
        help="Retry-After seconds of a 429 (default: %(default)s)",
    )
    faults.add_argument(
        "--error-every", type=int, default=0, metavar="N", help="every Nth request is 500"
    )
    faults.add_argument(
        "--drop-response-every",
        type=int,
        default=0,
        metavar="N",
        help="every Nth send is processed, then its connection is dropped",
    )
    faults.add_argument(
        "--send-answer",
        type=int,
        default=0,
        metavar="STATUS",
        help="accept every send whatever its body and answer it with this HTTP status "
        "(200/201: acceptance body, 204: none, 5xx: error body; 0 = off)",
    )


def config_from(args: argparse.Namespace) -> SimulatorConfig:
    """The simulator configuration the parsed flags describe."""
    return SimulatorConfig(
        credentials=Credentials(
            client_id=args.client_id, client_secret=args.client_secret, scope=args.scope
        ),
        rejection_form=RejectionForm(args.rejection_form),
        to_optional=args.to_optional,
        token_lifetime=args.token_lifetime,
        status_visible_after=args.status_visible_after,
        message_key_window=args.message_key_window,
        status_retention=args.status_retention,
        async_rules=frozenset(args.async_rule),
        faults=Faults(
            latency=args.latency,
            rate_limit_every=args.rate_limit_every,
            retry_after=args.retry_after,
            error_every=args.error_every,
            drop_response_every=args.drop_response_every,
            send_answer=args.send_answer,
        ),
        deviations=frozenset(Deviation.from_cli_name(name) for name in args.deviation),
    )


def serve_command(
    args: argparse.Namespace,
    *,
    out: TextIO | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Serve until Ctrl-C (or until ``stop`` is set); 0 on a clean stop. A port that cannot
    be listened on (in use, say) is a ``UsageError``: exit 2, one line."""
    # The simulator and its server: loaded when the command runs, not by --help.
    from sms_contract.simulator.app import Simulator
    from sms_contract.simulator.server import serve_in_thread

    out = out or sys.stdout
    simulator = Simulator(config_from(args))
    try:
        server = serve_in_thread(
            simulator, args.host, args.port, allow_non_loopback=args.allow_non_loopback
        )
    except OSError as exc:
        raise UsageError(_cannot_listen(args.host, args.port, exc)) from None
    try:
        _banner(server, simulator.config, out)
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("sms-contract simulator stopped", file=out, flush=True)
    return 0


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is in use (another server listens there): give another "
            "--port, or --port 0 for any free one"
        )
    if exc.errno == errno.EACCES:
        return (
            f"port {port} on {host}: permission denied (ports below 1024 need privileges): "
            "give another --port"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {host}: the address is not one of this machine's (--host)"
    reason = (exc.strerror or type(exc).__name__).lower()
    return f"cannot listen on port {port} on {host}: {reason}"


def _banner(server: ServerHandle, config: SimulatorConfig, out: TextIO) -> None:
    from sms_contract.client.config import ENV_CLIENT_ID, ENV_CLIENT_SECRET  # not for --help

    credentials = config.credentials
    secret = (
        credentials.client_secret
        if credentials.client_secret == DEFAULT_CLIENT_SECRET
        else "<the value given to --client-secret>"
    )
    url = server.base_url
    lines = [
        f"sms-contract simulator listening on {url}",
        f"  token endpoint: POST {url}/v2/token",
        f"  client_id:      {credentials.client_id}",
        f"  client_secret:  {secret}",
        f"  rejection form: {config.rejection_form.value}",
    ]
    if config.deviations:
        names = ", ".join(sorted(d.cli_name for d in config.deviations))
        lines.append(f"  DEVIATIONS ON:  {names}")
    if config.faults.send_answer:
        lines.append(f"  EVERY SEND:     accepted, answered {config.faults.send_answer}")
    if config.async_rules:
        lines.append(f"  ASYNC RULES:    {', '.join(sorted(config.async_rules))}")
    if config.status_visible_after:
        lines.append(f"  STATUS AFTER:   {config.status_visible_after:g} s")
    if (config.message_key_window, config.status_retention) != (2 * DAY, 3 * DAY):
        lines.append(
            f"  KEYS, STATUSES: taken {config.message_key_window:g} s, "
            f"readable {config.status_retention:g} s"
        )
    if config.to_optional:
        lines.append("  TO OPTIONAL:    a recipient with a contactKey needs no 'to'")
    if credentials.scope != DEFAULT_SCOPE:
        lines.append(f"  SCOPE:          {credentials.scope or '(none)'}")
    lines += [
        "point the live code path at it:",
        f"  {ENV_CLIENT_ID}={credentials.client_id} {ENV_CLIENT_SECRET}={secret} \\",
        f"  sms-contract run --target live --base-url {url} --auth-url {url} \\",
        f"    --definition-key account-reset --to {DOCUMENTED_NUMBER}",
        "Ctrl-C stops it.",
    ]
    print("\n".join(lines), file=out, flush=True)
