"""Salesforce's generated Node SDK (npm ``salesforce-marketing-cloud-sdk``, pinned in
``tests/compat/node``) against the simulator served on 127.0.0.1.

``node/drive.js`` configures the SDK as its code samples do (``new Client({authBaseUrl,
clientId, clientSecret})``) with ``authBaseUrl`` the sandbox's base URL; the SDK takes the REST
base URL from the token's ``rest_instance_url``, the sandbox's own. It runs the SDK calls a test
lists and prints what each resolved to, and the SDK's own response model built from it.

Install the SDK with ``npm ci --prefix tests/compat/node``; without it these tests skip, saying
so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from sms_contract.simulator.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from tests.compat.conftest import Sandbox, client_missing, netloc, pretty

pytestmark = [pytest.mark.compat, pytest.mark.loopback]

NODE_DIR = Path(__file__).resolve().parent / "node"
DRIVER = NODE_DIR / "drive.js"
SDK = "salesforce-marketing-cloud-sdk"
PINNED = json.loads((NODE_DIR / "package.json").read_text(encoding="utf-8"))["dependencies"][SDK]
INSTALL = "npm ci --prefix tests/compat/node"
TIMEOUT = 60  # seconds for one drive.js run; the SDK's own request timeout is 60 s too

DEFINITION_KEY = "account-reset"  # seeded in every simulator
NUMBER = "15555551234"  # the documented example's recipient
UNDELIVERABLE = "15555550100"  # accepted, then SMSNotSent 129 (SimulatorConfig default)
STATUS_CATEGORIES = {  # what the SDK's integration test accepts as a send status
    "TransactionalSendEvents.SMSSent",
    "TransactionalSendEvents.SMSQueued",
    "TransactionalSendEvents.SMSNotSent",
}


def _node() -> str:
    """The node executable, once the pinned SDK is installed (else the test skips)."""
    node = shutil.which("node")
    if node is None:
        client_missing(
            f"compat: node is not on PATH: install Node.js 20 (the SDK needs 12.10 or newer), "
            f"then run `{INSTALL}`"
        )
    installed = NODE_DIR / "node_modules" / SDK / "package.json"
    if not installed.is_file():
        client_missing(f"compat: npm {SDK}@{PINNED} is not installed: run `{INSTALL}`")
    version = json.loads(installed.read_text(encoding="utf-8"))["version"]
    if version != PINNED:
        client_missing(
            f"compat: npm {SDK}@{version} is installed, {PINNED} is pinned: run `{INSTALL}`"
        )
    return node


def _environment(home: Path) -> dict[str, str]:
    """A bare environment: no SFMC_* variable (the SDK's Client reads them when given no
    configuration), no proxy, no NODE_OPTIONS."""
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8"}


@dataclass
class Run:
    """One drive.js run: what each step resolved to, and the sandbox's evidence."""

    output: dict[str, Any]
    sandbox: Sandbox

    @property
    def steps(self) -> list[dict[str, Any]]:
        return list(self.output["steps"])

    def explain(self, *notes: str) -> str:
        return "\n".join([*notes, "drive.js output:", pretty(self.output), self.sandbox.evidence()])

    def ok(self, index: int) -> dict[str, Any]:
        """Step ``index`` (0-based), which must have resolved."""
        step = self.steps[index]
        assert step["ok"], self.explain(f"step {index} ({step['call']}) failed")
        return step

    def model(self, index: int) -> dict[str, Any]:
        """The SDK's response model of step ``index``, which the SDK must have built."""
        step = self.ok(index)
        assert "model" in step, self.explain(f"the SDK could not build its model of step {index}")
        model: dict[str, Any] = step["model"]
        return model


Drive = Callable[..., Run]


@pytest.fixture
def node() -> str:
    """The node executable, once the pinned SDK is installed (else the test skips)."""
    return _node()


@pytest.fixture
def drive(node: str, sandbox: Sandbox, tmp_path: Path) -> Drive:
    """Run SDK calls (drive.js steps) against the sandbox in one node process."""

    def run(*steps: dict[str, Any], auth_base_url: str | None = None) -> Run:
        job = {
            "authBaseUrl": auth_base_url or sandbox.base_url,
            "clientId": DEFAULT_CLIENT_ID,
            "clientSecret": DEFAULT_CLIENT_SECRET,
            "accountId": None,
            "scope": None,
            "steps": list(steps),
        }
        try:
            completed = subprocess.run(
                [node, str(DRIVER)],
                input=json.dumps(job),
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                cwd=NODE_DIR,
                env=_environment(tmp_path),
                check=False,
            )
        except subprocess.TimeoutExpired as expired:
            pytest.fail(
                f"drive.js did not finish in {TIMEOUT} s\nstderr: {expired.stderr!r}\n"
                f"{sandbox.evidence()}",
                pytrace=False,
            )
        try:
            output = json.loads(completed.stdout)
        except ValueError:
            output = None
        if completed.returncode != 0 or not isinstance(output, dict):
            pytest.fail(
                f"drive.js exited {completed.returncode}\nstdout: {completed.stdout}\n"
                f"stderr: {completed.stderr}\n{sandbox.evidence()}",
                pytrace=False,
            )
        assert output["refused"] == [], "the SDK tried to reach a host that is not loopback"
        assert output["sdk"] == f"{SDK}@{PINNED}"
        return Run(output, sandbox)

    return run


def _key() -> str:
    return f"compat-node-{uuid.uuid4()}"


def _send(key: str, to: str | None = NUMBER, **extra: Any) -> dict[str, Any]:
    recipient: dict[str, Any] = {"contactKey": "Astro25"}
    if to is not None:
        recipient["to"] = to
    return {
        "call": "sendSmsToSingleRecipient",
        "messageKey": key,
        "definitionKey": DEFINITION_KEY,
        "recipient": recipient,
        **extra,
    }


def _status(key: str) -> dict[str, Any]:
    return {"call": "getSmsSendStatusForRecipient", "messageKey": key}


def _answered(run: Run, method: str, path: str) -> str:
    """The status line the sandbox answered the one request for ``path`` with."""
    seen = [
        e.status
        for e in run.sandbox.exchanges
        if e.method == method and urlsplit(e.target).path.lstrip("/") == path.lstrip("/")
    ]
    assert len(seen) == 1, run.explain(f"expected one {method} {path}, saw {len(seen)}")
    return seen[0]


def test_sdk_gets_a_token_from_the_sandbox(drive: Drive, sandbox: Sandbox) -> None:
    """The SDK's AuthService asks authBaseUrl + /v2/token and gets a bearer token whose
    rest_instance_url is the sandbox: its REST calls go nowhere else."""
    run = drive({"call": "token"})
    token = run.ok(0)["data"]
    assert isinstance(token["access_token"], str), run.explain()
    assert token["access_token"], run.explain()
    assert token["token_type"] == "Bearer", run.explain()
    assert isinstance(token["expires_in"], int), run.explain()
    assert token["expires_in"] > 30, run.explain("the SDK caches a token for expires_in - 30 s")
    assert urlsplit(token["rest_instance_url"]).scheme == "http", run.explain()
    assert netloc(token["rest_instance_url"]) == netloc(sandbox.base_url), run.explain()
    requests = [(e.method, e.target) for e in sandbox.exchanges]
    assert requests == [("POST", "/v2/token")], run.explain()
    sent = json.loads(sandbox.exchanges[0].request_body)
    assert sent["grant_type"] == "client_credentials", run.explain()
    assert sent["client_id"] == DEFAULT_CLIENT_ID, run.explain()


def test_single_send_is_accepted_with_the_message_key_echoed(drive: Drive) -> None:
    """sendSmsToSingleRecipient with the SDK's request models: 202 Accepted, errorcode 0 and
    the messageKey echoed in the SDK's SendDefinitionToSingleRecipientResponse."""
    key = _key()
    run = drive(_send(key))
    model = run.model(0)
    assert model["requestId"], run.explain()
    assert model["errorcode"] == 0, run.explain()
    assert model["responses"] == [{"messageKey": key}], run.explain()
    path = f"/messaging/v1/sms/messages/{quote(key, safe='')}"
    assert _answered(run, "POST", path).startswith("202"), run.explain()


def test_batch_send_is_accepted_per_recipient(drive: Drive) -> None:
    """sendSmsToMultipleRecipients: 202, errorcode 0, one response per recipient in order
    echoing its messageKey with no error; each recipient's status then reads back."""
    first, second = _key(), _key()
    recipients = [
        {"contactKey": "Astro25", "to": NUMBER, "messageKey": first},
        {"contactKey": "Codey36", "to": "15555554321", "messageKey": second},
    ]
    batch = {
        "call": "sendSmsToMultipleRecipients",
        "definitionKey": DEFINITION_KEY,
        "recipients": recipients,
    }
    run = drive(batch, _status(first), _status(second))
    model = run.model(0)
    assert model["requestId"], run.explain()
    assert model["errorcode"] == 0, run.explain()
    assert model["responses"] == [{"messageKey": first}, {"messageKey": second}], run.explain()
    assert _answered(run, "POST", "/messaging/v1/sms/messages/").startswith("202"), run.explain()
    for index, (key, contact) in enumerate([(first, "Astro25"), (second, "Codey36")], start=1):
        status = run.model(index)
        assert status["info"]["messageKey"] == key, run.explain()
        assert status["info"]["contactKey"] == contact, run.explain()


def test_send_status_reads_into_the_sdk_model(drive: Drive) -> None:
    """getSmsSendStatusForRecipient after a send: the SDK's
    GetDefinitionSendStatusForRecipientResponse has a requestId, a known category, a timestamp
    the SDK parses as a date, and info naming the message and contact."""
    key = _key()
    run = drive(_send(key), _status(key))
    status = run.model(1)
    assert status["requestId"], run.explain()
    assert status["eventCategoryType"] in STATUS_CATEGORIES, run.explain()
    assert status["timestamp"] is not None, run.explain("the SDK's Date of the timestamp")
    assert status["info"]["messageKey"] == key, run.explain()
    assert status["info"]["contactKey"] == "Astro25", run.explain()


def test_not_sent_list_names_a_message_that_was_not_sent(drive: Drive) -> None:
    """A send to a number the platform cannot deliver to is accepted, reads back as
    SMSNotSent, and getSMSsNotSentToRecipients('notSent') lists it in the SDK's model."""
    key = _key()
    not_sent = {"call": "getSMSsNotSentToRecipients", "type": "notSent", "pageSize": 50}
    run = drive(_send(key, to=UNDELIVERABLE), _status(key), not_sent)
    assert run.model(0)["responses"] == [{"messageKey": key}], run.explain()
    assert run.model(1)["eventCategoryType"] == "TransactionalSendEvents.SMSNotSent"
    listing = run.model(2)
    listed = [m for m in listing["messages"] if m["info"]["messageKey"] == key]
    assert len(listed) == 1, run.explain()
    message = listed[0]
    assert message["eventCategoryType"] == "TransactionalSendEvents.SMSNotSent", run.explain()
    assert message["definitionKey"] == DEFINITION_KEY, run.explain()
    assert message["statusCode"] == 129, run.explain("PhoneNumberValidationFailed")
    assert isinstance(message["eventID"], int), run.explain()
    assert message["timestamp"] is not None, run.explain("the SDK's Date of the timestamp")
    assert listing["lastEventID"] >= message["eventID"], run.explain()
    assert listing["count"] == len(listing["messages"]), run.explain()


def test_not_sent_answer_has_every_field_the_sdk_tests_read(drive: Drive) -> None:
    """The SDK's own integration test of getSMSsNotSentToRecipients requires requestId,
    lastEventID, messages, count and pageSize (facts §9; the vendor example shows only three)."""
    run = drive({"call": "getSMSsNotSentToRecipients", "type": "notSent"})
    listing = run.model(0)
    for name in ("requestId", "lastEventID", "messages", "count", "pageSize"):
        assert listing.get(name) is not None, run.explain(f"{name} missing")


def test_definitions_are_listed_and_read(drive: Drive) -> None:
    """getSmsDefinitions answers what the SDK's integration test reads (requestId,
    definitions, count, page, pageSize) and getSmsDefinition reads one definition.

    Read from what the SDK resolves to: its SmsDefinition model cannot be built from any
    answer (its constructor throws without the fields constructFromObject would then fill),
    which is an SDK bug, whatever the server sends."""
    run = drive(
        {"call": "getSmsDefinitions"},
        {"call": "getSmsDefinition", "definitionKey": DEFINITION_KEY},
    )
    listing = run.ok(0)["data"]
    for name in ("requestId", "definitions", "count", "page", "pageSize"):
        assert listing.get(name) is not None, run.explain(f"{name} missing")
    assert DEFINITION_KEY in [d["definitionKey"] for d in listing["definitions"]], run.explain()
    assert listing["count"] == len(listing["definitions"]), run.explain("count is per page")
    definition = run.ok(1)["data"]
    assert definition["definitionKey"] == DEFINITION_KEY, run.explain()
    assert definition["name"], run.explain()
    assert definition["content"]["message"], run.explain()
    assert definition["subscriptions"]["shortCode"], run.explain()
    assert definition["status"] == "Active", run.explain()


def test_definition_lifecycle_as_the_sdk_integration_tests_run_it(drive: Drive) -> None:
    """create, read, partially update and delete a definition with the SDK's models, asserting
    what the SDK's own integration tests assert; reading it after the delete is the SDK's
    ResourceNotFoundException (404)."""
    key = f"compat-{uuid.uuid4().hex[:10]}"
    created = {
        "call": "createSmsDefinition",
        "definitionKey": key,
        "name": f"SMSdefinition {key}",
        "message": "SMS definition message content",
        "shortCode": "8201221",
        "countryCode": "US",
        "keyword": "COMPAT",
    }
    run = drive(
        created,
        {"call": "getSmsDefinition", "definitionKey": key},
        {"call": "partiallyUpdateSmsDefinition", "definitionKey": key, "description": "updated"},
        {"call": "deleteSmsDefinition", "definitionKey": key},
        {"call": "getSmsDefinition", "definitionKey": key},
    )
    for index in (0, 1):
        definition = run.ok(index)["data"]
        assert definition["definitionKey"] == key, run.explain()
        assert definition["name"] == created["name"], run.explain()
        assert definition["subscriptions"]["shortCode"] == "8201221", run.explain()
        assert definition["subscriptions"]["countryCode"] == "US", run.explain()
        assert definition["content"] == {"message": created["message"]}, run.explain()
    updated = run.ok(2)["data"]
    assert updated["description"] == "updated", run.explain()
    assert (updated["definitionKey"], updated["name"]) == (key, created["name"]), run.explain()
    deleted = run.model(3)
    assert deleted["message"] == "Success", run.explain()
    assert deleted["requestId"], run.explain()
    assert deleted["deletedDefinitionKey"], run.explain()
    gone = run.steps[4]
    assert not gone["ok"], run.explain("a deleted definition is not found")
    assert gone["error"]["status"] == 404, run.explain()
    assert gone["error"]["name"].endswith("ResourceNotFoundException"), run.explain()


@pytest.mark.parametrize("serve_flags", [("--to-optional",)], ids=["to-optional"])
def test_contact_key_only_send_as_the_sdk_integration_tests_send_it(drive: Drive) -> None:
    """`sms-contract serve --to-optional`: the SDK's integration tests' send, a Recipient with a
    contactKey and no `to`, is accepted and its status reads back (facts §9 [CONFLICT])."""
    key = _key()
    run = drive(_send(key, to=None), _status(key))
    assert run.model(0)["responses"] == [{"messageKey": key}], run.explain()
    status = run.model(1)
    assert status["eventCategoryType"] in STATUS_CATEGORIES, run.explain()
    assert status["info"]["messageKey"] == key, run.explain()


@pytest.mark.parametrize("suffix", ["", "/"], ids=["auth-url-as-printed", "auth-url-with-slash"])
def test_sdk_joins_its_paths_onto_the_urls_it_is_given(
    drive: Drive, sandbox: Sandbox, suffix: str
) -> None:
    """The SDK joins '/v2/token' onto authBaseUrl and '/messaging/...' onto rest_instance_url
    without looking at the slash already there (ApiClient.buildUrl). With URLs ending in '/',
    as real instance URLs do and as auth base URLs are often written, it sends '//v2/token' and
    '//messaging/...': the sandbox must serve those as the real service does."""
    key = _key()
    run = drive({"call": "token"}, _send(key), auth_base_url=sandbox.base_url + suffix)
    instance = run.ok(0)["data"]["rest_instance_url"]
    assert run.model(1)["responses"] == [{"messageKey": key}], run.explain()
    path = f"/messaging/v1/sms/messages/{quote(key, safe='')}"
    assert run.output["sent"] == [
        {"method": "POST", "url": f"{sandbox.base_url}{suffix}/v2/token"},
        {"method": "POST", "url": f"{instance}{path}"},
    ], run.explain()
    assert _answered(run, "POST", path).startswith("202"), run.explain()
