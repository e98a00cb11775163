"""How the client reaches a tenant: credentials, base URLs, timeouts and the retry policy.

Configuration comes from the environment (``ClientConfig.from_env``) or from keyword
arguments. Base URLs are checked before anything is sent: a bearer token must not cross a
network in clear, so plain ``http://`` is refused for every host but loopback.

Environment variables::

    SFMC_CLIENT_ID, SFMC_CLIENT_SECRET   OAuth 2.0 client credentials (installed package)
    SFMC_ACCOUNT_ID                      optional MID of the target business unit
    SFMC_SCOPE                           optional space-separated scopes
    SFMC_ACCESS_TOKEN                    a static bearer token instead of client credentials
    SFMC_SUBDOMAIN                       the tenant subdomain (``mc...``); gives both base URLs
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sms_contract.errors import UnsafeTargetError, UsageError
from sms_contract.exchange import HttpResponse, is_loopback_host
from sms_contract.spec.endpoints import TOKEN_PATH
from sms_contract.transports.base import Timeouts

ENV_CLIENT_ID = "SFMC_CLIENT_ID"
ENV_CLIENT_SECRET = "SFMC_CLIENT_SECRET"
ENV_ACCOUNT_ID = "SFMC_ACCOUNT_ID"
ENV_SCOPE = "SFMC_SCOPE"
ENV_ACCESS_TOKEN = "SFMC_ACCESS_TOKEN"
ENV_SUBDOMAIN = "SFMC_SUBDOMAIN"

_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)


def safe_base_url(url: str, *, setting: str) -> str:
    """``url`` without its trailing slash, once it is an absolute https (or loopback http) URL.

    Raises ``UnsafeTargetError`` for plain http to a non-loopback host and ``UsageError`` for
    anything that is not a base URL. ``setting`` names the option in the message.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{setting} must be an absolute http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise UsageError(f"{setting} must not carry credentials in the URL")
    if parts.query or parts.fragment:
        raise UsageError(f"{setting} must not have a query or a fragment")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise UnsafeTargetError(
            f"{setting} uses plain http:// to {parts.hostname}: a bearer token must not cross "
            "a network in clear; use https:// (http:// is allowed for loopback hosts only)"
        )
    return parts.geturl().rstrip("/")


def normalise_instance_url(value: str) -> str:
    """The ``rest_instance_url`` of a token response as a base URL.

    The vendor example is a bare host (``mc...rest.marketingcloudapis.com``); SDK fixtures show
    ``https://mc....rest.marketingcloudapis.com/``. Both give ``https://host``.
    """
    text = value.strip()
    if "://" not in text:
        text = f"https://{text}"
    return safe_base_url(text, setting="rest_instance_url of the token response")


def retry_after(response: HttpResponse) -> float | None:
    """Seconds from the ``Retry-After`` header, else from the body's ``retryAfter`` (429 body).

    Only the documented delay-seconds form is read; an HTTP-date counts as absent.
    """
    candidates: list[Any] = [response.header("Retry-After")]
    body = response.json_or_none()
    if isinstance(body, dict):
        candidates.append(body.get("retryAfter"))
    for value in candidates:
        if value is None or isinstance(value, bool):
            continue
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            continue
        if seconds >= 0:
            return seconds
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries on 429, 5xx and connection errors, without jitter.

    Backoff follows the vendor's "2, 4, 8 seconds" (rate-limiting best practices), capped at
    ``backoff_max``. A Retry-After longer than ``max_retry_after`` is not waited for: the
    client gives up instead. A 5xx is retried at most ``server_error_attempts - 1`` times, after
    ``server_error_backoff`` seconds when that is set (a conformance run retries a 5xx once,
    quickly: a deterministic 5xx is a finding, not something to wait out). Connection errors
    that cannot pass by themselves (TLS, a name that does not resolve) are never retried.
    """

    max_attempts: int = 4
    backoff_base: float = 2.0
    backoff_max: float = 30.0
    max_retry_after: float = 60.0
    server_error_attempts: int = 4
    server_error_backoff: float | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise UsageError("RetryPolicy.max_attempts must be at least 1")
        if self.server_error_attempts < 1:
            raise UsageError("RetryPolicy.server_error_attempts must be at least 1")
        delays = (self.backoff_base, self.backoff_max, self.max_retry_after)
        if min(delays) < 0 or (self.server_error_backoff or 0) < 0:
            raise UsageError("RetryPolicy delays must not be negative")

    def backoff(self, retry_number: int) -> float:
        """Seconds to wait before retry ``retry_number`` (1 for the first retry)."""
        return float(min(self.backoff_base * 2 ** (retry_number - 1), self.backoff_max))

    def server_error_delay(self, retry_number: int) -> float:
        """Seconds to wait before retrying a 5xx."""
        if self.server_error_backoff is not None:
            return self.server_error_backoff
        return self.backoff(retry_number)


@dataclass(frozen=True)
class ClientConfig:
    """Everything the client needs to reach one tenant.

    Credentials are either ``client_id`` + ``client_secret`` (OAuth 2.0 client credentials on
    ``{auth base}/v2/token``) or a static ``access_token``. The REST base URL is, in order:
    ``rest_base_url``; the ``rest_instance_url`` of the token response; the one derived from
    ``subdomain``. The auth base URL is ``auth_base_url`` or the one derived from ``subdomain``.
    """

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    account_id: str | None = None
    scope: str | None = None
    access_token: str | None = field(default=None, repr=False)
    subdomain: str | None = None
    rest_base_url: str | None = None
    auth_base_url: str | None = None
    token_margin: float = 60.0
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        if self.subdomain is not None and not _SUBDOMAIN.match(self.subdomain):
            raise UsageError(f"{ENV_SUBDOMAIN} must be one DNS label (letters, digits, hyphens)")
        if self.rest_base_url is not None:
            url = safe_base_url(self.rest_base_url, setting="rest_base_url")
            object.__setattr__(self, "rest_base_url", url)
        if self.auth_base_url is not None:
            url = safe_base_url(self.auth_base_url, setting="auth_base_url")
            object.__setattr__(self, "auth_base_url", url)
        if self.token_margin < 0:
            raise UsageError("token_margin must not be negative")
        self._check_credentials()

    def _check_credentials(self) -> None:
        if self.access_token:
            if self.client_id or self.client_secret:
                raise UsageError(
                    f"contradictory configuration: {ENV_ACCESS_TOKEN} and "
                    f"{ENV_CLIENT_ID}/{ENV_CLIENT_SECRET} are both set; set one of them"
                )
            if self.rest_base_url is None and self.subdomain is None:
                raise UsageError(
                    f"incomplete configuration: missing {ENV_SUBDOMAIN} "
                    "(or --base-url / rest_base_url) for the static access token"
                )
            return
        missing = [
            name
            for name, value in (
                (ENV_CLIENT_ID, self.client_id),
                (ENV_CLIENT_SECRET, self.client_secret),
            )
            if not value
        ]
        if self.auth_base_url is None and self.subdomain is None:
            missing.append(ENV_SUBDOMAIN)
        if missing:
            raise UsageError(
                f"incomplete configuration: missing {', '.join(missing)} "
                f"(client credentials need {ENV_CLIENT_ID}, {ENV_CLIENT_SECRET} and "
                f"{ENV_SUBDOMAIN} or --auth-url / auth_base_url; or set {ENV_ACCESS_TOKEN})"
            )

    @property
    def uses_static_token(self) -> bool:
        return bool(self.access_token)

    @property
    def token_url(self) -> str | None:
        """``{auth base}/v2/token``, or ``None`` with a static token and no auth base."""
        if self.auth_base_url is not None:
            return f"{self.auth_base_url}{TOKEN_PATH}"
        if self.subdomain is not None:
            return f"https://{self.subdomain}.auth.marketingcloudapis.com{TOKEN_PATH}"
        return None

    @property
    def subdomain_rest_url(self) -> str | None:
        """``https://{subdomain}.rest.marketingcloudapis.com``, or ``None``."""
        if self.subdomain is None:
            return None
        return f"https://{self.subdomain}.rest.marketingcloudapis.com"

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] = os.environ,
        *,
        rest_base_url: str | None = None,
        auth_base_url: str | None = None,
        token_margin: float = 60.0,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
    ) -> ClientConfig:
        """The configuration named by the ``SFMC_*`` variables; empty values count as unset.

        Explicit ``rest_base_url`` / ``auth_base_url`` override the subdomain-derived URLs.
        Raises ``UsageError`` naming every missing variable.
        """

        def get(name: str) -> str | None:
            value = environ.get(name, "").strip()
            return value or None

        return cls(
            client_id=get(ENV_CLIENT_ID),
            client_secret=get(ENV_CLIENT_SECRET),
            account_id=get(ENV_ACCOUNT_ID),
            scope=environ.get(ENV_SCOPE),
            access_token=get(ENV_ACCESS_TOKEN),
            subdomain=get(ENV_SUBDOMAIN),
            rest_base_url=rest_base_url,
            auth_base_url=auth_base_url,
            token_margin=token_margin,
            timeouts=timeouts or Timeouts(),
            retry=retry or RetryPolicy(),
        )
