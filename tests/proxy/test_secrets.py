"""Canary: the application's token, client id and secret, account id (MID), phone numbers,
contact keys and attribute values never appear in what the proxy prints, reports or records."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from sms_contract.redaction import Scrubber
from sms_contract.simulator.config import Credentials, SimulatorConfig
from tests.proxy.conftest import client, command, payload, upstream

pytestmark = [pytest.mark.loopback, pytest.mark.usefixtures("clean_cli_environment")]

CLIENT_ID = "canary-client-id-Hq27"
CLIENT_SECRET = "canary-client-secret-Zx81"
ACCOUNT_ID = "5017654321"
PHONE = "15555550142"
ATTRIBUTE = "canary-attribute-Jq93"
MESSAGE = "canary message text Wk55"
CONTACT = "canary.contact.Pm40@example.com"  # the vendor's example contactKey is an email


def _written(*directories: Path) -> str:
    return "\n".join(
        path.read_text("utf-8", errors="replace")
        for directory in directories
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    )


def test_no_secret_or_personal_value_reaches_a_line_a_report_or_a_cassette(
    tmp_path: Path,
) -> None:
    """Through the real command: a token request with the canary credentials (and MID), a
    send with the canary number, contact key, attribute and message text, its status, and a
    request that carries the token in its query. Every canary, and the token the simulator
    issued, is absent from stdout, the four reports and the cassettes (raw and URL-encoded),
    and the placeholders stand where they were."""
    credentials = Credentials(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, account_id=ACCOUNT_ID
    )
    config = SimulatorConfig(credentials=credentials)
    with (
        upstream(config) as up,
        command("--upstream", up.base_url, "--cassette-dir", "cassettes", cwd=tmp_path) as run,
    ):
        with client(run.base_url, credentials) as app:
            body = payload(number=PHONE, FirstName=ATTRIBUTE)
            body["content"] = {"message": MESSAGE}
            body["recipient"]["contactKey"] = CONTACT
            app.send_to_one(body, message_key="canary-1")
            app.message_status("canary-1")
            (token,) = up.wire.tokens
            app.request("GET", f"/messaging/v1/sms/messages/canary-1?access_token={token}")
        run.wait_for("#4 GET")
        code = run.stop()
    assert code in (0, 1), run.out
    canaries = [CLIENT_ID, CLIENT_SECRET, ACCOUNT_ID, PHONE, ATTRIBUTE, MESSAGE, CONTACT, token]
    assert all(value in up.wire.seen[0].body.decode() for value in canaries[:3])  # they passed
    shown = run.out + _written(tmp_path / "reports", tmp_path / "cassettes")
    assert "<phone-" in shown
    assert "<attribute-" in shown
    assert "<contact-" in shown
    assert "<secret-" in shown
    for value in canaries:
        assert value not in shown, f"a canary ({len(value)} characters) leaked"
        assert quote(value, safe="") not in shown


def test_a_token_learned_from_a_response_is_scrubbed_wherever_it_appears_later() -> None:
    """The Scrubber learns access_token values from JSON bodies: after scrubbing the token
    response, the token is replaced inside any later text, and credentials learned from a
    token request are too."""
    scrubber = Scrubber()
    scrubber.body(b'{"access_token": "tok-123456789", "expires_in": 1080}')
    assert "tok-123456789" not in scrubber.text("the token tok-123456789 again")
    scrubber.learn(["client-abc", None, ""])
    assert scrubber.text("client-abc") == scrubber.text("id client-abc").removeprefix("id ")
    assert "client-abc" not in scrubber.text("id client-abc")
