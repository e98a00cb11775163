"""``sms-contract record`` against the simulator on loopback, with known canary secrets (the
account id and the scope list among them): no canary reaches a byte of any written file
(cassettes and reports) or of the output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sms_contract.checks import CATALOGUE
from sms_contract.cli.main import main
from sms_contract.client.config import ClientConfig
from sms_contract.exchange import Exchange, HttpRequest, HttpResponse
from sms_contract.recordings.cassettes import Recorder, RecordingSource
from sms_contract.run.targets import recording_scrubber
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.config import Credentials, Deviation, SimulatorConfig
from sms_contract.simulator.server import serve_in_thread
from sms_contract.testing import TokenTap

CLIENT_ID = "canary-client-id-Wx52"
CLIENT_SECRET = "canary-secret-Zq81"
PHONES = ("15555550142", "15555550143")
ATTRIBUTE = "canary-attribute-Pv37"
MESSAGE = "canary message text Hb90"
HAND_TOKEN = "canary-hand-token-Ky44"
QUERY_TOKEN = "canary-query-token-Lm66"
FORM_SECRET = "canary-form-secret-Rt13"
ACCOUNT_ID = "514009876"  # SFMC_ACCOUNT_ID: the business unit's MID, a number
SCOPE_WORD = "canary_scope_Jn58"
SCOPE = f"sms_read sms_write sms_send tracking_events_read {SCOPE_WORD}"  # SFMC_SCOPE


@pytest.fixture(autouse=True)
def clean_environment(clean_cli_environment: pytest.MonkeyPatch) -> None:
    """The loopback simulator's credentials, and nothing else of the machine's."""
    clean_cli_environment.setenv("SFMC_CLIENT_ID", CLIENT_ID)
    clean_cli_environment.setenv("SFMC_CLIENT_SECRET", CLIENT_SECRET)
    clean_cli_environment.setenv("SFMC_ACCOUNT_ID", ACCOUNT_ID)
    clean_cli_environment.setenv("SFMC_SCOPE", SCOPE)


def _hand_made_exchanges(base_url: str) -> list[Exchange]:
    """A send carrying an attribute, a message and a bearer token; a form-encoded token
    request; a token in a query string; a token request naming the account id as a number
    and the scopes, answered with the scopes in another order and an error naming the account;
    each answered with the values echoed back."""
    send = {
        "definitionKey": "account-reset",
        "recipient": {
            "contactKey": "c1",
            "to": PHONES[0],
            "attributes": {"FirstName": ATTRIBUTE},
        },
        "content": {"message": MESSAGE},
    }
    echoed = {"message": f"rejected {ATTRIBUTE} for {PHONES[0]}: {MESSAGE}", "errorcode": 1}
    form = (
        f"grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={FORM_SECRET}"
        f"&account_id={ACCOUNT_ID}&scope={SCOPE.replace(' ', '+')}"
    )
    numeric = {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "account_id": int(ACCOUNT_ID),
        "scope": SCOPE,
    }
    reordered = {"access_token": HAND_TOKEN, "scope": " ".join(reversed(SCOPE.split()))}
    refused = {"message": f"account {ACCOUNT_ID} may not use {SCOPE}", "mid": int(ACCOUNT_ID)}
    return [
        Exchange(
            HttpRequest(
                "POST",
                f"{base_url}/messaging/v1/sms/messages/hand-1",
                {"Authorization": f"Bearer {HAND_TOKEN}", "Content-Type": "application/json"},
                json.dumps(send).encode(),
            ),
            HttpResponse(400, {"Content-Type": "application/json"}, json.dumps(echoed).encode()),
        ),
        Exchange(
            HttpRequest(
                "POST",
                f"{base_url}/v2/token",
                {"Content-Type": "application/x-www-form-urlencoded"},
                form.encode(),
            ),
            HttpResponse(
                200,
                {"Content-Type": "application/json"},
                json.dumps({"access_token": HAND_TOKEN, "expires_in": 1080}).encode(),
            ),
        ),
        Exchange(
            HttpRequest("GET", f"{base_url}/messaging/v1/sms/messages/hand-1?token={QUERY_TOKEN}"),
            HttpResponse(401, {"Content-Type": "text/plain"}, f"bad {QUERY_TOKEN}".encode()),
        ),
        Exchange(
            HttpRequest(
                "POST",
                f"{base_url}/v2/token",
                {"Content-Type": "application/json"},
                json.dumps(numeric).encode(),
            ),
            HttpResponse(200, {"Content-Type": "application/json"}, json.dumps(reordered).encode()),
        ),
        Exchange(
            HttpRequest("GET", f"{base_url}/messaging/v1/sms/messages/hand-2"),
            HttpResponse(403, {"Content-Type": "application/json"}, json.dumps(refused).encode()),
        ),
    ]


def test_no_canary_reaches_a_cassette_a_report_or_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Client id and secret, account id, scope list, issued and hand-made tokens,
    allow-listed numbers, an attribute value and a message text appear in no byte of any
    written file, nor in stdout/stderr."""
    cassettes, reports = tmp_path / "cassettes", tmp_path / "reports"
    credentials = Credentials(CLIENT_ID, CLIENT_SECRET, account_id=ACCOUNT_ID, scope=SCOPE)
    simulator = Simulator(SimulatorConfig(credentials=credentials))
    tap = TokenTap(simulator)
    with serve_in_thread(tap) as server:
        base = server.base_url
        live = ["--target", "live", "--base-url", base, "--auth-url", base]
        recipients = ["--to", PHONES[0], "--to", PHONES[1], "--definition-key", "account-reset"]
        out = ["--cassette-dir", str(cassettes), "--report-dir", str(reports)]
        code = main(
            [
                "record",
                *live,
                *recipients,
                "--max-sends",
                "60",
                "--allow-tenant-changes",
                "--allow-extra-token",
                "--seed",
                "3",
                *out,
            ]
        )
    config = ClientConfig(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        account_id=ACCOUNT_ID,
        scope=SCOPE,
        rest_base_url=base,
        auth_base_url=base,
    )
    recorder = Recorder(
        recording_scrubber(config, PHONES),
        target=RecordingSource.SIMULATOR,
        base_url=base,
        spec_sha256="0",
    )
    for exchange in _hand_made_exchanges(base):
        recorder.record("HAND-MADE", "HAND-MADE#1", exchange)
    recorder.save(cassettes / "HAND-MADE.yaml")
    output = capsys.readouterr()

    canaries = {
        "client id": CLIENT_ID,
        "client secret": CLIENT_SECRET,
        "phone 1": PHONES[0],
        "phone 2": PHONES[1],
        "attribute": ATTRIBUTE,
        "message": MESSAGE,
        "hand-made token": HAND_TOKEN,
        "query token": QUERY_TOKEN,
        "form secret": FORM_SECRET,
        "account id": ACCOUNT_ID,
        "scope": SCOPE,
        "scope word": SCOPE_WORD,
    } | {f"issued token {n}": token for n, token in enumerate(tap.tokens, 1)}
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    found = [
        (str(path.relative_to(tmp_path)), label)
        for path in written
        for label, canary in canaries.items()
        if canary.encode() in path.read_bytes()
    ]
    found += [
        (stream, label)
        for stream, text in (("stdout", output.out), ("stderr", output.err))
        for label, canary in canaries.items()
        if canary in text
    ]
    assert code == 0
    # the run's own token (TOKEN-CONTRACT judges it) and AUTH-INSUFFICIENT-SCOPE's narrow one
    assert len(tap.tokens) == 2
    # every check but SPEC-BREADTH, AUTH-EXPIRED-TOKEN (no clock to move) and TOKEN-CONTRACT
    # (it judges the run's own token, recorded under the case that asked for it), and the
    # hand-made one
    assert len(list(cassettes.glob("*.yaml"))) == len(CATALOGUE) - 3 + 1
    assert {p.name for p in reports.iterdir()} >= {"report.json", "summary.md", "junit.xml"}
    assert found == []
    hand_made = (cassettes / "HAND-MADE.yaml").read_text(encoding="utf-8")
    assert "FirstName: <attribute-1>" in hand_made
    assert "client_secret=<secret-" in hand_made
    assert "token:\n      - <secret-" in hand_made
    # the run's token requests named the account and the scopes, and the reports show them
    report = (reports / "report.json").read_text(encoding="utf-8")
    token_example = json.loads(report)["checks"]
    (contract,) = [c for c in token_example if c["id"] == "TOKEN-CONTRACT"]
    body = contract["example"]["request"]["body"]
    assert body["account_id"].startswith("<secret-")
    assert body["scope"].startswith("<secret-")
    assert contract["example"]["response"]["body"]["scope"] == body["scope"]
    # the API's own scope names are still words of the report (claims, messages)
    assert "sms_send" in report


def test_a_failing_token_check_shows_its_evidence_without_account_id_or_scope(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """TOKEN-CONTRACT fails (the token response lacks expires_in): the terminal and the four
    reports show the token request and response it rests on, with the account id and the
    scope list as placeholders."""
    credentials = Credentials(CLIENT_ID, CLIENT_SECRET, account_id=ACCOUNT_ID, scope=SCOPE)
    config = SimulatorConfig(
        credentials=credentials, deviations=frozenset({Deviation.TOKEN_WITHOUT_EXPIRES_IN})
    )
    reports = tmp_path / "reports"
    with serve_in_thread(Simulator(config)) as server:
        base = server.base_url
        code = main(
            [
                *("run", "--target", "live", "--base-url", base, "--auth-url", base),
                *("--to", PHONES[0], "--definition-key", "account-reset"),
                *("--check", "TOKEN-CONTRACT", "--report-dir", str(reports)),
            ]
        )
    output = capsys.readouterr()
    document = json.loads((reports / "report.json").read_text(encoding="utf-8"))
    (finding,) = document["checks"][0]["findings"]
    body = finding["evidence"][0]["request"]["body"]
    assert code == 1
    assert body["account_id"].startswith("<secret-")
    assert body["scope"].startswith("<secret-")
    for text in (output.out, output.err, *(p.read_text("utf-8") for p in reports.iterdir())):
        for canary in (ACCOUNT_ID, SCOPE, SCOPE_WORD, CLIENT_SECRET):
            assert canary not in text
    assert "expires_in" in output.out
    assert '"account_id": "<secret-' in output.out  # the terminal shows the evidence too
