"""OAuth 2.0 client credentials (POST /v2/token) and the bearer check of every REST route.

Token errors follow the OAuth shape the access-token page documents:
``{"error", "error_description", "error_uri"}``. Bad credentials are 401 ``invalid_client``;
a body that is not a JSON object, or lacks a required field, is 400 ``invalid_request``
([NOT DOCUMENTED]: the value is the RFC 6749 one); a ``grant_type`` other than
``client_credentials`` is 400 ``unsupported_grant_type``.

Scopes (access-token page: ``scope`` is an optional "Space-separated list"): a request without
``scope`` gets the integration's scopes (``Credentials.scope``); a request naming some gets
those the integration has, in the order asked, each once (a scope the integration lacks is left
out, not refused: [NOT DOCUMENTED]); ``"scope": ""`` gets a token "generated with no scope
permissions". The token carries exactly the scopes the response's ``scope`` lists, and a REST
route refuses a token without the scopes it needs (403, ``routes.REQUIRED_SCOPES``).

``"account_id": null`` is read as no ``account_id`` (what a client sends when its variable is
unset, facts §9): the token is for the integration's own business unit.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from sms_contract.simulator.config import Deviation, SimulatorConfig
from sms_contract.simulator.state import State
from sms_contract.simulator.wire import Reply

ERROR_URI = "https://developer.salesforce.com/docs"
BAD_CLIENT = (
    "Client authentication failed. Make sure that the client ID and client secret are valid "
    "and that the package is installed and enabled."
)


def token_reply(
    body: bytes, config: SimulatorConfig, state: State, now: float, rest_url: str
) -> Reply:
    """Answer a token request; ``rest_url`` is advertised as ``rest_instance_url``."""
    try:
        request = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return _oauth_error(400, "invalid_request", "The request body must be a JSON object.")
    if not isinstance(request, dict):
        return _oauth_error(400, "invalid_request", "The request body must be a JSON object.")
    missing = [
        name
        for name in ("grant_type", "client_id", "client_secret")
        if not isinstance(request.get(name), str) or not request[name]
    ]
    if missing:
        return _oauth_error(400, "invalid_request", f"Missing or invalid: {', '.join(missing)}.")
    if request["grant_type"] != "client_credentials":
        return _oauth_error(
            400, "unsupported_grant_type", 'grant_type must be "client_credentials".'
        )
    scope = request.get("scope", config.credentials.scope)
    if not isinstance(scope, str):
        return _oauth_error(400, "invalid_request", "scope must be a space-separated string.")
    if not _credentials_match(request, config):
        return _oauth_error(401, "invalid_client", BAD_CLIENT)
    granted = granted_scopes(scope, config.credentials.scope)
    token = state.issue_token(now, config.token_lifetime, frozenset(granted))
    answer: dict[str, Any] = {
        "access_token": token,
        "expires_in": config.advertised_expires_in,
        "token_type": "Bearer",
        "rest_instance_url": rest_url,
        "soap_instance_url": config.soap_instance_url or rest_url.replace(".rest.", ".soap.", 1),
        "scope": " ".join(granted),
    }
    return Reply(200, answer, {"Cache-Control": "no-store"})


def granted_scopes(requested: str, integration: str) -> list[str]:
    """The scopes of ``requested`` (space-separated) the integration has, in order, each once."""
    allowed = set(integration.split())
    return [name for name in dict.fromkeys(requested.split()) if name in allowed]


def _credentials_match(request: dict[str, Any], config: SimulatorConfig) -> bool:
    expected = config.credentials
    same_id = hmac.compare_digest(request["client_id"].encode(), expected.client_id.encode())
    same_secret = hmac.compare_digest(
        request["client_secret"].encode(), expected.client_secret.encode()
    )
    if Deviation.ACCEPT_BAD_SECRET in config.deviations:
        same_secret = True
    account = request.get("account_id")  # null reads as absent
    same_account = (
        expected.account_id is None or account is None or str(account) == expected.account_id
    )
    return same_id and same_secret and same_account


def _oauth_error(status: int, error: str, description: str) -> Reply:
    body = {"error": error, "error_description": description, "error_uri": ERROR_URI}
    return Reply(status, body)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive)."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None
