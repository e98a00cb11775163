"""Locating, loading and checking the spec file; operation lookup by method and path."""

from __future__ import annotations

import hashlib

import pytest

import sms_contract.spec.loading as spec_module
from sms_contract.errors import SpecError
from sms_contract.spec.loading import load_spec, spec_path

MINIMAL = """\
openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /a:
    get:
      operationId: %s
      responses: {'200': {description: ok}}
  /b:
    get:
      operationId: %s
      responses: {'200': {$ref: '%s'}}
components:
  responses:
    Ok: {description: ok}
"""


def write(tmp_path, text, name="spec.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_spec_path_finds_the_checkout_copy_in_an_editable_install():
    """Without a packaged copy, the spec next to the package is used."""
    path = spec_path()
    assert path.name == "sms.openapi.yaml"
    assert path.parent.name in {"spec", "_spec"}
    assert path.is_file()


def test_spec_path_prefers_the_packaged_copy(tmp_path, monkeypatch):
    """A wheel's force-included sms_contract/_spec copy wins over the checkout."""
    packaged = write(tmp_path, "openapi: 3.1.0\n", "packaged.yaml")
    monkeypatch.setattr(spec_module, "_PACKAGED", packaged)
    assert spec_path() == packaged


def test_spec_path_names_both_places_when_the_spec_is_missing(tmp_path, monkeypatch):
    """A missing spec is a SpecError naming where it looked."""
    monkeypatch.setattr(spec_module, "_PACKAGED", tmp_path / "a.yaml")
    monkeypatch.setattr(spec_module, "_CHECKOUT", tmp_path / "b.yaml")
    with pytest.raises(SpecError, match=r"not found \(looked for .*a\.yaml and .*b\.yaml\)"):
        spec_path()


def test_default_spec_is_loaded_once():
    """load_spec() returns the same object every time."""
    assert load_spec() is load_spec()


def test_sha256_is_the_hash_of_the_file_bytes():
    """The provenance hash covers the exact bytes read."""
    assert load_spec().sha256 == hashlib.sha256(spec_path().read_bytes()).hexdigest()


def test_explicit_path_is_read_fresh(tmp_path):
    """A given path is loaded, described and hashed on its own."""
    path = write(tmp_path, MINIMAL % ("one", "two", "#/components/responses/Ok"))
    loaded = load_spec(path)
    assert [op.operation_id for op in loaded.operations] == ["one", "two"]
    assert loaded.operation("two").statuses == ("200",)
    assert loaded.path == path
    assert loaded.conflicts() == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("openapi: [unclosed", "is not valid YAML"),
        ("openapi: 3.0.3\npaths: {}\n", "is not an OpenAPI 3.1 document"),
        ("openapi: 3.1.0\n", "has no 'paths' mapping"),
        (MINIMAL % ("same", "same", "#/components/responses/Ok"), "'same' is used twice"),
        (MINIMAL % ("one", "two", "#/components/responses/Gone"), "points nowhere"),
        (
            MINIMAL.replace("operationId: %s\n", "", 1) % ("two", "#/components/responses/Ok"),
            "GET /a has no operationId",
        ),
    ],
)
def test_invalid_spec_is_a_spec_error(tmp_path, text, message):
    """Unreadable or inconsistent documents fail at load with a clear message."""
    with pytest.raises(SpecError, match=message):
        load_spec(write(tmp_path, text))


def test_missing_explicit_path_is_a_spec_error(tmp_path):
    """A path that does not exist is reported as such."""
    with pytest.raises(SpecError, match="cannot read the OpenAPI spec"):
        load_spec(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("method", "path", "operation_id"),
    [
        ("POST", "/messaging/v1/sms/messages/f4fe74b7", "sendSmsToSingleRecipient"),
        ("post", "/messaging/v1/sms/messages/a%2Fb%20c", "sendSmsToSingleRecipient"),
        ("GET", "/messaging/v1/sms/messages/k", "getSmsSendStatusForRecipient"),
        ("POST", "/messaging/v1/sms/messages/", "sendSmsToMultipleRecipients"),
        ("POST", "/messaging/v1/sms/messages", "sendSmsToMultipleRecipients"),
        ("GET", "/messaging/v1/sms/messages/?type=notSent", "getSMSsNotSentToRecipients"),
        ("POST", "/messaging/v1/sms/definitions/", "createSmsDefinition"),
        (
            "PATCH",
            "/messaging/v1/sms/definitions/2FA_order_accounts",
            "partiallyUpdateSmsDefinition",
        ),
        ("DELETE", "/messaging/v1/sms/definitions/k/queue", "deleteQueuedMessagesForSmsDefinition"),
        ("POST", "/v2/token", "requestToken"),
    ],
)
def test_find_operation_matches_concrete_paths(method, path, operation_id):
    """Concrete (percent-encoded) paths map to their template; a trailing slash is tolerated."""
    found = load_spec().find_operation(method, path)
    assert found is not None
    assert found.operation_id == operation_id


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/messaging/v1/sms/messages/k"),
        ("POST", "/messaging/v1/sms/messages/a/b"),
        ("GET", "/messaging/v1/email/messages/k"),
    ],
)
def test_find_operation_returns_none_for_undocumented_requests(method, path):
    """An undocumented method or path belongs to no operation."""
    assert load_spec().find_operation(method, path) is None


def test_match_decodes_path_parameters():
    """Path parameters come back percent-decoded."""
    operation = load_spec().operation("sendSmsToSingleRecipient")
    assert operation.path_parameters == ("messageKey",)
    assert operation.match("/messaging/v1/sms/messages/a%2Fb%20%C3%A9") == {"messageKey": "a/b é"}
    assert operation.match("/messaging/v1/sms/messages/") is None


def test_unknown_operation_lists_the_known_ones():
    """operation() with a wrong id names the valid ids."""
    with pytest.raises(KeyError, match="known: createSmsDefinition, deleteQueuedMessages"):
        load_spec().operation("sendSms")


def test_unquoted_status_codes_are_read_as_strings(tmp_path):
    """YAML reads `200:` as an int; the loader keys responses by string all the same."""
    text = MINIMAL % ("one", "two", "#/components/responses/Ok")
    loaded = load_spec(write(tmp_path, text.replace("{'200':", "{200:")))
    assert loaded.operation("one").statuses == ("200",)
    assert loaded.validate_response("one", 200, {"any": "body"}) == []


def test_malformed_conflict_entry_is_a_spec_error(tmp_path):
    """An x-conflicts entry without readings is refused at load."""
    text = MINIMAL % ("one", "two", "#/components/responses/Ok")
    text = text.replace(
        "      operationId: one\n", "      operationId: one\n      x-conflicts: [{topic: t}]\n"
    )
    with pytest.raises(SpecError, match="an x-conflicts entry needs topic, readings"):
        load_spec(write(tmp_path, text))
