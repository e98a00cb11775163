"""``sms-contract serve`` and the loopback server's safety rules."""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from sms_contract.cli.serve import config_from, register, serve_command
from sms_contract.errors import UnsafeTargetError, UsageError
from sms_contract.exchange import HttpRequest
from sms_contract.exchange import is_loopback_host as is_loopback
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.config import DEFAULT_SCOPE, Deviation, Faults
from sms_contract.simulator.server import serve_in_thread
from sms_contract.spec.rules import RejectionForm
from sms_contract.transports.base import Timeouts
from sms_contract.transports.http import HttpTransport

TOKEN_REQUEST = {
    "grant_type": "client_credentials",
    "client_id": "sms-contract-client",
    "client_secret": "sms-contract-secret",
}


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sms-contract")
    register(parser.add_subparsers())
    return parser.parse_args(["serve", *argv])


def _wait_for_line(out: io.StringIO, prefix: str) -> str:
    for _ in range(200):  # at most 2 seconds
        for line in out.getvalue().splitlines():
            if line.startswith(prefix):
                return line
        time.sleep(0.01)
    raise AssertionError(f"no line starting {prefix!r} in: {out.getvalue()!r}")


@pytest.mark.loopback
def test_serve_prints_its_url_answers_and_stops_cleanly() -> None:
    """The handler prints its base URL, serves a token request, and returns 0 when stopped."""
    out, stop, result = io.StringIO(), threading.Event(), []
    args = _parse("--port", "0")
    thread = threading.Thread(
        target=lambda: result.append(serve_command(args, out=out, stop=stop)), daemon=True
    )
    thread.start()
    url = _wait_for_line(out, "sms-contract simulator listening on ").rsplit(" ", 1)[1]
    transport = HttpTransport()
    response = transport.send(
        HttpRequest(
            "POST",
            url + "/v2/token",
            {"Content-Type": "application/json"},
            json.dumps(TOKEN_REQUEST).encode(),
        ),
        Timeouts(1, 5),
    )
    transport.close()
    stop.set()
    thread.join(timeout=5)
    assert response.status == 200
    assert response.json()["rest_instance_url"] == url + "/"
    assert result == [0]
    banner = out.getvalue()
    assert "  client_id:      sms-contract-client" in banner
    assert "  client_secret:  sms-contract-secret" in banner
    assert f"--base-url {url} --auth-url {url}" in banner
    assert banner.endswith("sms-contract simulator stopped\n")


@pytest.mark.loopback
def test_ctrl_c_stops_the_server_with_exit_0() -> None:
    """SIGINT ends `serve` with exit code 0 and no traceback."""
    script = (
        "import argparse, sys\n"
        "from sms_contract.cli.serve import register\n"
        "parser = argparse.ArgumentParser()\n"
        "register(parser.add_subparsers())\n"
        "args = parser.parse_args(['serve', '--port', '0'])\n"
        "sys.exit(args.handler(args))\n"
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        first = process.stdout.readline() if process.stdout else ""
        assert first.startswith("sms-contract simulator listening on http://127.0.0.1:")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=5)
    assert process.returncode == 0
    assert "Traceback" not in err
    assert out.endswith("sms-contract simulator stopped\n")


def test_non_loopback_host_is_refused(simulator: Simulator) -> None:
    """Serving on a non-loopback address needs an explicit opt-in."""
    with pytest.raises(UnsafeTargetError, match="--allow-non-loopback"):
        serve_in_thread(simulator, "0.0.0.0", 0)


def test_serve_command_refuses_non_loopback_host() -> None:
    """`serve --host 0.0.0.0` is a usage error before anything listens."""
    with pytest.raises(UnsafeTargetError):
        serve_command(_parse("--host", "0.0.0.0", "--port", "0"), out=io.StringIO())


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.10", False),
        ("example.com", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    """Only loopback addresses (and the name localhost) count as loopback."""
    assert is_loopback(host) is loopback


def test_flags_configure_faults_form_and_deviations() -> None:
    """Every documented flag reaches the simulator configuration."""
    args = _parse(
        "--client-id",
        "my-id",
        "--client-secret",
        "my-secret",
        "--rejection-form",
        "accepted",
        "--latency",
        "0.5",
        "--rate-limit-every",
        "3",
        "--retry-after",
        "9",
        "--error-every",
        "4",
        "--drop-response-every",
        "5",
        "--token-lifetime",
        "300",
        "--deviation",
        "accept-invalid",
        "--deviation",
        "status-changed",
    )
    config = config_from(args)
    assert (config.credentials.client_id, config.credentials.client_secret) == (
        "my-id",
        "my-secret",
    )
    assert config.rejection_form is RejectionForm.ACCEPTED_WITH_ERRORS
    assert config.faults == Faults(
        latency=0.5, rate_limit_every=3, retry_after=9, error_every=4, drop_response_every=5
    )
    assert (config.token_lifetime, config.advertised_expires_in) == (300.0, 180)
    assert config.deviations == {Deviation.ACCEPT_INVALID, Deviation.STATUS_CHANGED}
    assert (config.status_visible_after, config.async_rules) == (0.0, frozenset())
    assert (config.to_optional, config.credentials.scope) == (False, DEFAULT_SCOPE)
    assert (config.message_key_window, config.status_retention) == (172_800.0, 259_200.0)


def test_window_and_retention_flags_reach_the_configuration() -> None:
    """--message-key-window and --status-retention set the two horizons; negative is refused."""
    config = config_from(_parse("--message-key-window", "60", "--status-retention", "30"))
    assert (config.message_key_window, config.status_retention) == (60.0, 30.0)
    assert config.window_text == "60 seconds"
    with pytest.raises(UsageError, match="message_key_window and status_retention"):
        config_from(_parse("--status-retention", "-1"))


def test_to_optional_and_scope_flags_reach_the_configuration() -> None:
    """--to-optional sets SimulatorConfig.to_optional; --scope the integration's scopes."""
    config = config_from(_parse("--to-optional", "--scope", "sms_read sms_send"))
    assert config.to_optional is True
    assert config.credentials.scope == "sms_read sms_send"
    assert config_from(_parse("--scope", "")).credentials.scope == ""


def test_flags_configure_send_answer_visibility_async_rules_and_new_deviations() -> None:
    """--send-answer, --status-visible-after, --async-rule and the new deviations reach the
    configuration."""
    args = _parse(
        "--send-answer",
        "204",
        "--status-visible-after",
        "2.5",
        "--async-rule",
        "to-invalid",
        "--async-rule",
        "contact-key-missing",
        "--deviation",
        "trim-message-key",
        "--deviation",
        "token-without-expires-in",
    )
    config = config_from(args)
    assert config.faults == Faults(send_answer=204)
    assert config.status_visible_after == 2.5
    assert config.async_rules == {"to-invalid", "contact-key-missing"}
    assert config.deviations == {Deviation.TRIM_MESSAGE_KEY, Deviation.TOKEN_WITHOUT_EXPIRES_IN}


@pytest.mark.parametrize(
    "deviation",
    [
        Deviation.ACCEPT_MISSING_DEFINITION_KEY,
        Deviation.ACCEPT_LONG_MESSAGE_KEY,
        Deviation.SERVER_ERROR_ON_MALFORMED_JSON,
        Deviation.STATUS_NEVER_FOUND,
        Deviation.STATUS_WRONG_KEY,
        Deviation.TRIM_MESSAGE_KEY,
        Deviation.TOKEN_WITHOUT_EXPIRES_IN,
    ],
    ids=lambda d: d.cli_name,
)
def test_new_deviations_are_accepted_by_their_cli_names(deviation: Deviation) -> None:
    """Each new deviation is a --deviation choice."""
    assert config_from(_parse("--deviation", deviation.cli_name)).deviations == {deviation}


def test_unknown_async_rule_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    """--async-rule takes only the deferrable rule ids."""
    with pytest.raises(SystemExit) as exited:
        _parse("--async-rule", "malformed-json")
    assert exited.value.code == 2
    assert "invalid choice: 'malformed-json'" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["42", "600", "-1"])
def test_send_answer_that_is_no_http_status_is_a_usage_error(value: str) -> None:
    """--send-answer is validated by Faults: a UsageError (exit 2) before anything listens."""
    with pytest.raises(UsageError, match="send_answer"):
        config_from(_parse("--send-answer", value))


def test_negative_status_visible_after_is_a_usage_error() -> None:
    """--status-visible-after must be zero or more."""
    with pytest.raises(UsageError, match="status_visible_after"):
        config_from(_parse("--status-visible-after", "-1"))


def test_help_lists_defaults_and_deviations(capsys: pytest.CaptureFixture[str]) -> None:
    """--help shows the default port and credentials and every deviation with its claim."""
    with pytest.raises(SystemExit):
        _parse("--help")
    text = capsys.readouterr().out
    assert "(default: 8080)" in text
    assert "(default: sms-contract-client)" in text
    for deviation in Deviation:
        assert f"  {deviation.cli_name:<30} breaks: {deviation.claim}" in text
    for flag in (
        "--send-answer STATUS",
        "--status-visible-after SECONDS",
        "--async-rule RULE",
        "--to-optional",
        "--scope SCOPES",
        "--message-key-window SECONDS",
        "--status-retention SECONDS",
    ):
        assert flag in text
    flat = " ".join(text.split())
    assert "accept a recipient with a contactKey and no 'to' (single and batch sends)" in flat
    assert "refuses a token without its scope with 403 (errorcode 20002)" in flat
    assert f"(default: {DEFAULT_SCOPE})" in flat
    assert "(default: 172800, the documented 2 days)" in flat
    assert "(default: 259200, the documented 3 days)" in flat
    assert "(repeatable; one of: contact-key-missing, definition-" in " ".join(text.split())


@pytest.mark.loopback
def test_banner_hides_a_secret_that_is_not_the_default() -> None:
    """A secret given on the command line is never printed back."""
    out, stop = io.StringIO(), threading.Event()
    args = _parse("--port", "0", "--client-secret", "s3cr3t-value")
    stop.set()
    assert serve_command(args, out=out, stop=stop) == 0
    assert "s3cr3t-value" not in out.getvalue()
    assert "<the value given to --client-secret>" in out.getvalue()


@pytest.mark.loopback
def test_banner_names_the_new_behaviours_when_set() -> None:
    """The banner says when every send is answered alike, rules are deferred, status lags."""
    out, stop = io.StringIO(), threading.Event()
    args = _parse(
        "--port",
        "0",
        "--send-answer",
        "500",
        "--async-rule",
        "to-invalid",
        "--status-visible-after",
        "3",
    )
    stop.set()
    assert serve_command(args, out=out, stop=stop) == 0
    banner = out.getvalue()
    assert "  EVERY SEND:     accepted, answered 500\n" in banner
    assert "  ASYNC RULES:    to-invalid\n" in banner
    assert "  STATUS AFTER:   3 s\n" in banner
    assert "TO OPTIONAL" not in banner
    assert "SCOPE:" not in banner
    assert "KEYS, STATUSES" not in banner


@pytest.mark.loopback
def test_banner_names_to_optional_a_narrowed_scope_and_short_retention() -> None:
    """--to-optional, a --scope other than the default and a changed retention are named."""
    out, stop = io.StringIO(), threading.Event()
    stop.set()
    args = _parse(
        "--port", "0", "--to-optional", "--scope", "sms_read", "--status-retention", "600"
    )
    assert serve_command(args, out=out, stop=stop) == 0
    banner = out.getvalue()
    assert "  KEYS, STATUSES: taken 172800 s, readable 600 s\n" in banner
    assert "  TO OPTIONAL:    a recipient with a contactKey needs no 'to'\n" in banner
    assert "  SCOPE:          sms_read\n" in banner


@pytest.mark.loopback
def test_served_to_optional_accepts_the_sdk_body() -> None:
    """`serve --to-optional` over a socket: the SDK's contactKey-only send is 202, its status
    200; a token asked for sms_read only gets 403 on a send."""
    out, stop, result = io.StringIO(), threading.Event(), []
    args = _parse("--port", "0", "--to-optional")
    thread = threading.Thread(
        target=lambda: result.append(serve_command(args, out=out, stop=stop)), daemon=True
    )
    thread.start()
    url = _wait_for_line(out, "sms-contract simulator listening on ").rsplit(" ", 1)[1]
    transport = HttpTransport()

    def token(**extra: str) -> tuple[str, str]:
        body = transport.send(
            HttpRequest(
                "POST",
                url + "/v2/token",
                {"Content-Type": "application/json"},
                json.dumps({**TOKEN_REQUEST, **extra}).encode(),
            ),
            Timeouts(1, 5),
        ).json()
        return body["access_token"], body["rest_instance_url"]

    def call(method: str, instance: str, access: str, body: bytes | None = None) -> Any:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {access}"}
        path = "messaging/v1/sms/messages/sdk-key"
        return transport.send(HttpRequest(method, instance + path, headers, body), Timeouts(1, 5))

    sdk_body = json.dumps(
        {"definitionKey": "account-reset", "recipient": {"contactKey": "johnDoe@gmail.com"}}
    ).encode()
    try:
        access, instance = token()
        sent = call("POST", instance, access, sdk_body)
        status = call("GET", instance, access)
        narrow, _ = token(scope="sms_read")
        refused = call("POST", instance, narrow, sdk_body)
    finally:
        transport.close()
        stop.set()
        thread.join(timeout=5)
    assert instance == url + "/"
    assert (sent.status, sent.json()["responses"]) == (202, [{"messageKey": "sdk-key"}])
    assert (status.status, status.json()["info"]["contactKey"]) == (200, "johnDoe@gmail.com")
    assert (refused.status, refused.json()["errorcode"]) == (403, 20002)
    assert result == [0]


@pytest.mark.loopback
def test_served_send_answer_is_what_a_client_sees() -> None:
    """`serve --send-answer 201` over a socket: 201 to a send, and the banner's URL works."""
    out, stop, result = io.StringIO(), threading.Event(), []
    args = _parse("--port", "0", "--send-answer", "201")
    thread = threading.Thread(
        target=lambda: result.append(serve_command(args, out=out, stop=stop)), daemon=True
    )
    thread.start()
    url = _wait_for_line(out, "sms-contract simulator listening on ").rsplit(" ", 1)[1]
    transport = HttpTransport()
    try:
        token = transport.send(
            HttpRequest(
                "POST",
                url + "/v2/token",
                {"Content-Type": "application/json"},
                json.dumps(TOKEN_REQUEST).encode(),
            ),
            Timeouts(1, 5),
        ).json()["access_token"]
        response = transport.send(
            HttpRequest(
                "POST",
                url + "/messaging/v1/sms/messages/served",
                {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
                b"{}",
            ),
            Timeouts(1, 5),
        )
    finally:
        transport.close()
        stop.set()
        thread.join(timeout=5)
    assert response.status == 201
    assert response.json()["responses"] == [{"messageKey": "served"}]
    assert result == [0]
