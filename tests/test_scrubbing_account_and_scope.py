"""The account id (SFMC_ACCOUNT_ID) and the scope list (SFMC_SCOPE) are scrubbed like the other
credentials, by the run's scrubber and the recording scrubber: the account id wherever it
appears, the scope list as one value, never word by word (the claims name the API's scopes)."""

from __future__ import annotations

import json

from sms_contract.client.config import ClientConfig
from sms_contract.exchange import HttpRequest, HttpResponse
from sms_contract.redaction import Scrubber
from sms_contract.run.defaults import TargetKind
from sms_contract.run.targets import TargetSettings, open_target, recording_scrubber

ACCOUNT_ID = "514009876"
SCOPE = "sms_read sms_send"
BASE = "http://127.0.0.1:9"


def _token_exchange(scrubber: Scrubber) -> tuple[dict[str, object], dict[str, object]]:
    body = {"client_id": "cid-0001", "account_id": ACCOUNT_ID, "scope": SCOPE}
    request = HttpRequest("POST", f"{BASE}/v2/token", {}, json.dumps(body).encode())
    answer = {"access_token": "tok-0001", "scope": "sms_send sms_read"}  # another order
    response = HttpResponse(200, {"Content-Type": "application/json"}, json.dumps(answer).encode())
    return scrubber.request(request)["body"], scrubber.response(response)["body"]


def test_the_scope_list_is_one_value_in_the_token_request_and_response() -> None:
    """The request's scope and the response's (its words in another order) read the same
    placeholder; the scope names alone stay readable elsewhere."""
    scrubber = Scrubber(["cid-0001"], known_scopes=[SCOPE])
    sent, answered = _token_exchange(scrubber)
    assert str(sent["scope"]).startswith("<secret-")
    assert answered["scope"] == sent["scope"]
    assert scrubber.text("a token that lacks sms_send gets 403") == (
        "a token that lacks sms_send gets 403"
    )
    assert scrubber.json({"scope": "sms_read"}) == {"scope": "sms_read"}
    assert SCOPE not in scrubber.text(f"granted '{SCOPE}'")


def test_a_single_scope_name_is_scrubbed_only_as_a_whole_value() -> None:
    """SFMC_SCOPE of one word: the value itself is scrubbed, the word inside text is not."""
    scrubber = Scrubber(known_scopes=["sms_send"])
    assert str(scrubber.json({"scope": "sms_send"})["scope"]).startswith("<secret-")
    assert scrubber.text("the token lacks sms_send") == "the token lacks sms_send"


def test_the_account_id_is_scrubbed_in_text_in_values_and_as_a_number() -> None:
    """The MID inside a message, as a string member and as a JSON integer."""
    scrubber = Scrubber([ACCOUNT_ID])
    body = {"account_id": ACCOUNT_ID, "mid": int(ACCOUNT_ID), "message": f"MID {ACCOUNT_ID} ok"}
    scrubbed = json.dumps(scrubber.json(body))
    assert ACCOUNT_ID not in scrubbed
    assert scrubbed.count("<secret-1>") == 3


def test_a_short_account_id_is_scrubbed_as_a_whole_value_only() -> None:
    """Under 4 characters (the minimum length rule), a value inside text is left alone so
    that numbers and words survive, but the value itself is replaced."""
    scrubber = Scrubber(["42"])
    assert scrubber.json({"account_id": "42", "mid": 42, "count": 1420}) == {
        "account_id": "<secret-1>",
        "mid": "<secret-1>",
        "count": 1420,
    }
    assert scrubber.text("HTTP 420") == "HTTP 420"


def test_the_recording_scrubber_knows_the_account_id_and_the_scope() -> None:
    """Cassettes are written with the account id and the scope list known up front."""
    config = ClientConfig(
        client_id="cid-0001",
        client_secret="secret-0001",
        account_id=ACCOUNT_ID,
        scope=SCOPE,
        rest_base_url=BASE,
        auth_base_url=BASE,
    )
    sent, answered = _token_exchange(recording_scrubber(config, ()))
    assert str(sent["account_id"]).startswith("<secret-")
    assert str(sent["scope"]).startswith("<secret-")
    assert answered["scope"] == sent["scope"]


def test_a_live_target_gives_the_run_the_account_id_and_the_scope_to_scrub() -> None:
    """The run's scrubber is built from the target's known secrets and scopes: SFMC_ACCOUNT_ID
    and SFMC_SCOPE from the environment are among them. Opening the target sends nothing."""
    environ = {
        "SFMC_CLIENT_ID": "cid-0001",
        "SFMC_CLIENT_SECRET": "secret-0001",
        "SFMC_ACCOUNT_ID": ACCOUNT_ID,
        "SFMC_SCOPE": SCOPE,
    }
    settings = TargetSettings(
        kind=TargetKind.LIVE,
        base_url=BASE,
        auth_url=BASE,
        allow_list=("15555551234",),
        definition_key="account-reset",
        environ=environ,
    ).resolved()
    with open_target(settings) as target:
        assert ACCOUNT_ID in target.known_secrets
        assert target.known_scopes == (SCOPE,)
