"""Salesforce's FuelSDK for Python, as the PyPI fork ``Salesforce-FuelSDK-Sans`` (1.3.1) ships it,
against the simulator served on 127.0.0.1.

Why this client: Salesforce's own ``Salesforce-FuelSDK`` 1.3.0 cannot be installed on Python 3.11
(its ``suds-jurko==0.6`` needs 2to3 and a setuptools download at build time); the ``-Sans`` fork
is the same code on ``suds-community`` and the most used SFMC client on PyPI. In OAuth2 mode it
posts client credentials to ``authenticationurl + '/v2/token'`` and takes the REST base URL from
the token's ``rest_instance_url``. It has no transactional-messaging objects, so the calls go
through its generic REST calls (``ET_PostRest``, ``ET_GetRest``, ``ET_PatchRest``,
``ET_DeleteRest``) and a REST object written the way FuelSDK writes its own (``ET_Campaign``):
``base_api_url + path``, with ``path`` starting with ``/``.

Pointing it at loopback takes every one of its hooks, because its defaults reach the internet:

- ``useOAuth2Authentication: "True"`` and ``authenticationurl``: else it posts to
  ``https://auth.exacttargetapis.com/v1/requestToken?legacy=1``;
- ``wsdl_file_local_loc``: an existing WSDL file, else it downloads
  ``https://webservice.exacttarget.com/etframework.wsdl`` into its own package directory
  (suds then parses it); ``defaultwsdl`` points at the sandbox anyway;
- ``soapendpoint`` is taken from the token (``soap_instance_url + 'service.asmx'``), so it never
  asks ``/platform/v1/endpoints/soap``;
- no ``config.python`` and no ``FUELSDK_*`` variable: it reads them from the working directory,
  ``~/.fuelsdk`` and the environment before its defaults;
- ``loopback_only`` refuses any other host, in case.

Install it with ``python -m pip install 'Salesforce-FuelSDK-Sans==1.3.1'``; without it these
tests skip, saying so.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest

from sms_contract.simulator.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from tests.compat.conftest import LoopbackGuard, Sandbox, client_missing, netloc, pretty

pytestmark = [pytest.mark.compat, pytest.mark.loopback]

DISTRIBUTION = "Salesforce-FuelSDK-Sans"
PINNED = "1.3.1"
INSTALL = f"python -m pip install '{DISTRIBUTION}=={PINNED}'"

DEFINITION_KEY = "account-reset"  # seeded in every simulator
NUMBER = "15555551234"  # the documented example's recipient
UNDELIVERABLE = "15555550100"  # accepted, then SMSNotSent 129 (SimulatorConfig default)
MESSAGES = "/messaging/v1/sms/messages/"
DEFINITIONS = "/messaging/v1/sms/definitions"
STATUS_CATEGORIES = {
    "TransactionalSendEvents.SMSSent",
    "TransactionalSendEvents.SMSQueued",
    "TransactionalSendEvents.SMSNotSent",
}

# The smallest WSDL suds accepts: FuelSDK parses a WSDL whenever it gets a token, and downloads
# one when the local file is missing. Its SOAP objects are not used here.
EMPTY_WSDL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"
             targetNamespace="http://exacttarget.com/wsdl/partnerAPI" name="PartnerAPI"/>
"""


def _fuelsdk() -> ModuleType:
    """The FuelSDK package at the pinned version (else the test skips)."""
    try:
        version = importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        client_missing(f"compat: PyPI {DISTRIBUTION}=={PINNED} is not installed: run `{INSTALL}`")
    if version != PINNED:
        client_missing(
            f"compat: PyPI {DISTRIBUTION} {version} is installed, {PINNED} is pinned: "
            f"run `{INSTALL}`"
        )
    return importlib.import_module("FuelSDK")


Connect = Callable[[], Any]


@pytest.fixture
def fuelsdk() -> ModuleType:
    return _fuelsdk()


@pytest.fixture
def connect(
    fuelsdk: ModuleType,
    sandbox: Sandbox,
    loopback_only: LoopbackGuard,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Connect]:
    """Build an ``ET_Client`` pointed at the sandbox (it asks for its token at once)."""
    for name in [n for n in os.environ if n.startswith("FUELSDK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.fuelsdk/config.python
    monkeypatch.chdir(tmp_path)  # no ./config.python, and its SOAP cache file lands here
    wsdl = tmp_path / "ExactTargetWSDL.xml"
    wsdl.write_text(EMPTY_WSDL, encoding="utf-8")
    params = {
        "clientid": DEFAULT_CLIENT_ID,
        "clientsecret": DEFAULT_CLIENT_SECRET,
        "useOAuth2Authentication": "True",
        "applicationType": "server",
        "authenticationurl": sandbox.base_url,
        "baseapiurl": sandbox.base_url,  # replaced by the token's rest_instance_url
        "soapendpoint": sandbox.base_url + "/service.asmx",  # replaced from the token too
        "defaultwsdl": sandbox.base_url + "/etframework.wsdl",  # not fetched: the file exists
        "wsdl_file_local_loc": str(wsdl),
    }

    def build() -> Any:
        client = fuelsdk.ET_Client(False, False, params)
        assert loopback_only.refused == [], "FuelSDK tried to reach a host that is not loopback"
        return client

    yield build
    assert loopback_only.refused == [], "FuelSDK tried to reach a host that is not loopback"


def _explain(sandbox: Sandbox, *notes: Any) -> str:
    shown = [note if isinstance(note, str) else _shown(note) for note in notes]
    return "\n".join([*shown, sandbox.evidence()])


def _shown(response: Any) -> str:
    """A FuelSDK response object (ET_Constructor): its code, status and results."""
    fields = {
        "code": getattr(response, "code", None),
        "status": getattr(response, "status", None),
        "results": getattr(response, "results", None),
        "message": getattr(response, "message", None),
        "more_results": getattr(response, "more_results", None),
    }
    return f"{type(response).__name__}: {pretty(fields)}"


def _url(client: Any, path: str) -> str:
    """How FuelSDK's REST objects join a path onto the REST base URL (ET_CUDSupportRest)."""
    return str(client.base_api_url) + path


def _key() -> str:
    return f"compat-fuelsdk-{uuid.uuid4()}"


def _send(fuelsdk: ModuleType, client: Any, key: str, to: str = NUMBER) -> Any:
    payload = {"definitionKey": DEFINITION_KEY, "recipient": {"contactKey": "Astro25", "to": to}}
    return fuelsdk.rest.ET_PostRest(client, _url(client, MESSAGES + key), payload)


def _status(fuelsdk: ModuleType, client: Any, key: str) -> Any:
    return fuelsdk.rest.ET_GetRest(client, _url(client, MESSAGES + key), {})


@pytest.fixture
def sms_definition(fuelsdk: ModuleType) -> Callable[[], Any]:
    """The SMS definitions as a FuelSDK REST object, written as FuelSDK writes ``ET_Campaign``:
    ``get()`` lists them (with FuelSDK's paging: ``more_results``), ``get({'definitionKey':
    key})`` reads one."""

    rest_object: Any = fuelsdk.rest.ET_CUDSupportRest

    class SmsDefinition(rest_object):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.path = DEFINITIONS + "/{definitionKey}"
            self.urlProps: list[str] = ["definitionKey"]
            self.urlPropsRequired: list[str] = []

    def build() -> Any:
        return SmsDefinition()

    return build


def test_client_gets_a_token_from_the_sandbox(connect: Connect, sandbox: Sandbox) -> None:
    """ET_Client posts client credentials (OAuth2, no account_id) to authenticationurl +
    /v2/token and keeps the token's rest_instance_url as its REST base URL: the sandbox."""
    client = connect()
    assert isinstance(client.authToken, str), _explain(sandbox)
    assert client.authToken, _explain(sandbox)
    assert client.authTokenExpiration > time.time() + 300, _explain(sandbox, "refreshed at 300 s")
    assert urlsplit(client.base_api_url).scheme == "http", _explain(sandbox)
    assert netloc(client.base_api_url) == netloc(sandbox.base_url), _explain(sandbox)
    assert [(e.method, e.target) for e in sandbox.exchanges] == [("POST", "/v2/token")]
    sent = json.loads(sandbox.exchanges[0].request_body)
    assert sent == {
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "grant_type": "client_credentials",
    }, _explain(sandbox)


def test_soap_endpoint_taken_from_the_token_is_a_url_of_the_sandbox(
    connect: Connect, sandbox: Sandbox
) -> None:
    """FuelSDK appends 'service.asmx' to soap_instance_url without a '/' of its own, so the
    instance URL must end with '/' (as every real one does) for its SOAP endpoint to be a URL of
    the sandbox, not 'http://127.0.0.1:PORTservice.asmx'."""
    client = connect()
    endpoint = urlsplit(client.soap_endpoint)
    shown = _explain(sandbox, f"soap_endpoint: {client.soap_endpoint!r}")
    assert (endpoint.scheme, endpoint.netloc) == ("http", netloc(sandbox.base_url)), shown
    assert endpoint.path == "/service.asmx", shown


def test_single_send_is_accepted_with_the_message_key_echoed(
    fuelsdk: ModuleType, connect: Connect, sandbox: Sandbox
) -> None:
    """ET_PostRest to .../messages/{messageKey}: code 202, errorcode 0, the key echoed.

    (FuelSDK sets ``status`` True only for 200, so an accepted send reads ``status`` False:
    a client reads ``code``.)"""
    client = connect()
    key = _key()
    response = _send(fuelsdk, client, key)
    assert response.code == 202, _explain(sandbox, response)
    assert response.results["errorcode"] == 0, _explain(sandbox, response)
    assert response.results["responses"] == [{"messageKey": key}], _explain(sandbox, response)
    assert response.results["requestId"], _explain(sandbox, response)


def test_batch_send_is_accepted_per_recipient(
    fuelsdk: ModuleType, connect: Connect, sandbox: Sandbox
) -> None:
    """ET_PostRest to .../messages/ with recipients[]: 202, errorcode 0, one response per
    recipient echoing its messageKey; each recipient's status then reads back."""
    client = connect()
    first, second = _key(), _key()
    payload = {
        "definitionKey": DEFINITION_KEY,
        "recipients": [
            {"contactKey": "Astro25", "to": NUMBER, "messageKey": first},
            {"contactKey": "Codey36", "to": "15555554321", "messageKey": second},
        ],
    }
    response = fuelsdk.rest.ET_PostRest(client, _url(client, MESSAGES), payload)
    assert response.code == 202, _explain(sandbox, response)
    assert response.results["errorcode"] == 0, _explain(sandbox, response)
    expected = [{"messageKey": first}, {"messageKey": second}]
    assert response.results["responses"] == expected, _explain(sandbox, response)
    for key, contact in [(first, "Astro25"), (second, "Codey36")]:
        status = _status(fuelsdk, client, key)
        assert (status.code, status.status) == (200, True), _explain(sandbox, status)
        assert status.results["info"]["messageKey"] == key, _explain(sandbox, status)
        assert status.results["info"]["contactKey"] == contact, _explain(sandbox, status)


def test_send_status_is_read(fuelsdk: ModuleType, connect: Connect, sandbox: Sandbox) -> None:
    """ET_GetRest of .../messages/{messageKey} after a send: 200 with a requestId, a known
    category, a timestamp and info naming the message and contact."""
    client = connect()
    key = _key()
    assert _send(fuelsdk, client, key).code == 202, _explain(sandbox)
    status = _status(fuelsdk, client, key)
    assert (status.code, status.status) == (200, True), _explain(sandbox, status)
    results = status.results
    assert results["requestId"], _explain(sandbox, status)
    assert results["eventCategoryType"] in STATUS_CATEGORIES, _explain(sandbox, status)
    assert results["timestamp"], _explain(sandbox, status)
    assert results["info"]["messageKey"] == key, _explain(sandbox, status)
    assert results["info"]["contactKey"] == "Astro25", _explain(sandbox, status)


def test_not_sent_list_names_a_message_that_was_not_sent(
    fuelsdk: ModuleType, connect: Connect, sandbox: Sandbox
) -> None:
    """A send to a number the platform cannot deliver to is accepted, reads back SMSNotSent,
    and ET_GetRest of .../messages/?type=notSent lists it."""
    client = connect()
    key = _key()
    assert _send(fuelsdk, client, key, to=UNDELIVERABLE).code == 202, _explain(sandbox)
    status = _status(fuelsdk, client, key)
    category = status.results["eventCategoryType"]
    assert category == "TransactionalSendEvents.SMSNotSent", _explain(sandbox, status)
    query = {"type": "notSent", "$pageSize": 50}
    listing = fuelsdk.rest.ET_GetRest(client, _url(client, MESSAGES), query)
    assert (listing.code, listing.status) == (200, True), _explain(sandbox, listing)
    listed = [m for m in listing.results["messages"] if m["info"]["messageKey"] == key]
    assert len(listed) == 1, _explain(sandbox, listing)
    assert listed[0]["statusCode"] == 129, _explain(sandbox, listing)
    assert listed[0]["definitionKey"] == DEFINITION_KEY, _explain(sandbox, listing)
    assert listing.results["lastEventID"] >= listed[0]["eventID"], _explain(sandbox, listing)
    assert listing.results["count"] == len(listing.results["messages"]), _explain(sandbox, listing)


def test_not_sent_answer_has_every_field_the_sdk_tests_read(
    fuelsdk: ModuleType, connect: Connect, sandbox: Sandbox
) -> None:
    """The notSent answer carries requestId, lastEventID, messages, count and pageSize, the
    fields Salesforce's generated SDKs' tests require (facts §9)."""
    client = connect()
    listing = fuelsdk.rest.ET_GetRest(client, _url(client, MESSAGES), {"type": "notSent"})
    assert listing.code == 200, _explain(sandbox, listing)
    for name in ("requestId", "lastEventID", "messages", "count", "pageSize"):
        assert listing.results.get(name) is not None, _explain(sandbox, f"{name} missing", listing)


def test_definitions_are_listed_and_read(
    connect: Connect, sandbox: Sandbox, sms_definition: Callable[[], Any]
) -> None:
    """A FuelSDK REST object over /messaging/v1/sms/definitions: get() lists the definitions
    (requestId, definitions, count, page, pageSize; one page, so more_results is False) and
    get({'definitionKey': key}) reads one."""
    client = connect()
    definitions = sms_definition()
    definitions.auth_stub = client
    listing = definitions.get()
    assert (listing.code, listing.status) == (200, True), _explain(sandbox, listing)
    for name in ("requestId", "definitions", "count", "page", "pageSize"):
        assert listing.results.get(name) is not None, _explain(sandbox, f"{name} missing", listing)
    keys = [d["definitionKey"] for d in listing.results["definitions"]]
    assert DEFINITION_KEY in keys, _explain(sandbox, listing)
    assert listing.more_results is False, _explain(sandbox, listing)
    one = sms_definition()
    one.auth_stub = client
    read = one.get({"definitionKey": DEFINITION_KEY})
    assert (read.code, read.status) == (200, True), _explain(sandbox, read)
    assert read.results["definitionKey"] == DEFINITION_KEY, _explain(sandbox, read)
    assert read.results["content"]["message"], _explain(sandbox, read)
    assert read.results["subscriptions"]["shortCode"], _explain(sandbox, read)
    assert read.results["status"] == "Active", _explain(sandbox, read)


def test_definition_lifecycle(fuelsdk: ModuleType, connect: Connect, sandbox: Sandbox) -> None:
    """Create (201), read, partially update (200, only the fields changed in the body), delete
    (200, "Success") and read again (404) through FuelSDK's generic REST calls."""
    client = connect()
    key = f"compat-{uuid.uuid4().hex[:10]}"
    definition = {
        "definitionKey": key,
        "name": f"SMSdefinition {key}",
        "content": {"message": "SMS definition message content"},
        "subscriptions": {"shortCode": "8201221", "countryCode": "US", "keyword": "COMPAT"},
    }
    created = fuelsdk.rest.ET_PostRest(client, _url(client, DEFINITIONS), definition)
    assert created.code == 201, _explain(sandbox, created)
    assert created.results["definitionKey"] == key, _explain(sandbox, created)
    one = _url(client, f"{DEFINITIONS}/{key}")
    read = fuelsdk.rest.ET_GetRest(client, one, {})
    assert read.code == 200, _explain(sandbox, read)
    assert read.results["content"] == definition["content"], _explain(sandbox, read)
    assert read.results["subscriptions"]["countryCode"] == "US", _explain(sandbox, read)
    updated = fuelsdk.rest.ET_PatchRest(client, one, {"description": "updated"})
    assert (updated.code, updated.status) == (200, True), _explain(sandbox, updated)
    assert updated.results["description"] == "updated", _explain(sandbox, updated)
    assert updated.results["name"] == definition["name"], _explain(sandbox, updated)
    deleted = fuelsdk.rest.ET_DeleteRest(client, one)
    assert (deleted.code, deleted.status) == (200, True), _explain(sandbox, deleted)
    assert deleted.results["message"] == "Success", _explain(sandbox, deleted)
    assert deleted.results["deletedDefinitionKey"], _explain(sandbox, deleted)
    gone = fuelsdk.rest.ET_GetRest(client, one, {})
    assert (gone.code, gone.status) == (404, False), _explain(sandbox, gone)
    assert gone.results["errorcode"] == 30003, _explain(sandbox, gone)
