"""Configuration: environment variables, base URLs, URL safety, the retry policy."""

from __future__ import annotations

import pytest

from sms_contract.client.config import (
    ClientConfig,
    RetryPolicy,
    normalise_instance_url,
    retry_after,
    safe_base_url,
)
from sms_contract.errors import UnsafeTargetError, UsageError
from sms_contract.testing import json_response

from .conftest import CLIENT_ID, SECRET

ENV = {
    "SFMC_CLIENT_ID": CLIENT_ID,
    "SFMC_CLIENT_SECRET": SECRET,
    "SFMC_ACCOUNT_ID": "12345",
    "SFMC_SUBDOMAIN": "mc563885gzs27c5t9-63k636tzgm",
}


class TestFromEnv:
    def test_client_credentials_derive_both_urls_from_the_subdomain(self):
        """SFMC_SUBDOMAIN gives the documented auth and REST hosts."""
        config = ClientConfig.from_env(ENV)
        assert config.token_url == (
            "https://mc563885gzs27c5t9-63k636tzgm.auth.marketingcloudapis.com/v2/token"
        )
        assert config.subdomain_rest_url == (
            "https://mc563885gzs27c5t9-63k636tzgm.rest.marketingcloudapis.com"
        )
        assert (config.client_id, config.account_id, config.scope) == (CLIENT_ID, "12345", None)

    def test_explicit_urls_override_the_subdomain(self):
        """rest_base_url and auth_base_url win over the subdomain-derived hosts."""
        config = ClientConfig.from_env(
            ENV,
            rest_base_url="https://rest.example.test/",
            auth_base_url="https://auth.example.test",
        )
        assert config.rest_base_url == "https://rest.example.test"
        assert config.token_url == "https://auth.example.test/v2/token"

    def test_missing_variables_are_all_named(self):
        """An empty environment names every variable client credentials need."""
        with pytest.raises(UsageError) as caught:
            ClientConfig.from_env({})
        assert str(caught.value).startswith(
            "incomplete configuration: missing SFMC_CLIENT_ID, SFMC_CLIENT_SECRET, SFMC_SUBDOMAIN"
        )

    def test_empty_values_count_as_missing(self):
        """A variable set to whitespace is treated as unset."""
        with pytest.raises(UsageError, match=r"missing SFMC_CLIENT_SECRET \("):
            ClientConfig.from_env({**ENV, "SFMC_CLIENT_SECRET": "  "})

    def test_an_auth_base_url_replaces_the_subdomain(self):
        """Without a subdomain, an explicit auth base URL is enough for client credentials."""
        env = {"SFMC_CLIENT_ID": CLIENT_ID, "SFMC_CLIENT_SECRET": SECRET}
        config = ClientConfig.from_env(env, auth_base_url="http://127.0.0.1:8080")
        assert config.token_url == "http://127.0.0.1:8080/v2/token"
        assert config.subdomain_rest_url is None

    def test_static_token_needs_a_rest_base_url(self):
        """SFMC_ACCESS_TOKEN alone does not say where to send."""
        with pytest.raises(UsageError, match="missing SFMC_SUBDOMAIN"):
            ClientConfig.from_env({"SFMC_ACCESS_TOKEN": "canary-static-token"})

    def test_static_token_with_subdomain(self):
        """SFMC_ACCESS_TOKEN with SFMC_SUBDOMAIN is a complete static-token configuration."""
        config = ClientConfig.from_env(
            {"SFMC_ACCESS_TOKEN": "canary-static-token", "SFMC_SUBDOMAIN": "mcabc"}
        )
        assert config.uses_static_token is True
        assert config.subdomain_rest_url == "https://mcabc.rest.marketingcloudapis.com"

    def test_static_token_and_client_credentials_contradict(self):
        """Both kinds of credentials at once is refused, naming both."""
        with pytest.raises(UsageError) as caught:
            ClientConfig.from_env({**ENV, "SFMC_ACCESS_TOKEN": "canary-static-token"})
        assert str(caught.value) == (
            "contradictory configuration: SFMC_ACCESS_TOKEN and SFMC_CLIENT_ID/SFMC_CLIENT_SECRET "
            "are both set; set one of them"
        )

    def test_empty_scope_is_kept(self):
        """SFMC_SCOPE="" is sent as an empty scope (documented: a token without permissions)."""
        assert ClientConfig.from_env({**ENV, "SFMC_SCOPE": ""}).scope == ""

    def test_a_subdomain_must_be_one_label(self):
        """A subdomain that would change the host or path is refused."""
        with pytest.raises(UsageError, match="SFMC_SUBDOMAIN must be one DNS label"):
            ClientConfig.from_env({**ENV, "SFMC_SUBDOMAIN": "evil.example/x"})

    def test_a_negative_token_margin_is_refused(self):
        """The margin shortens the cached lifetime; it cannot lengthen it."""
        with pytest.raises(UsageError, match="token_margin must not be negative"):
            ClientConfig.from_env(ENV, token_margin=-1)

    def test_repr_hides_secrets(self):
        """Neither the client secret nor a static token appears in the repr."""
        config = ClientConfig.from_env(ENV)
        static = ClientConfig(access_token="canary-static-token", subdomain="mcabc")
        assert SECRET not in repr(config)
        assert "canary-static-token" not in repr(static)


class TestUrlSafety:
    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
            ("http://127.8.9.10", "http://127.8.9.10"),
            ("http://localhost:5000", "http://localhost:5000"),
            ("http://LOCALHOST", "http://LOCALHOST"),
            ("http://[::1]:8080/", "http://[::1]:8080"),
            ("https://mc.rest.marketingcloudapis.com/", "https://mc.rest.marketingcloudapis.com"),
        ],
    )
    def test_https_and_loopback_http_are_allowed(self, url, expected):
        """https anywhere and http to loopback are accepted, without the trailing slash."""
        assert safe_base_url(url, setting="rest_base_url") == expected

    @pytest.mark.parametrize(
        "url",
        [
            "http://mc.rest.marketingcloudapis.com",
            "http://10.0.0.1:8080",
            "http://[::2]",
            "http://localhost.example.com",
            "http://128.0.0.1",
        ],
    )
    def test_plain_http_to_other_hosts_is_refused(self, url):
        """A bearer token must not cross a network in clear."""
        with pytest.raises(UnsafeTargetError, match="rest_base_url uses plain http://"):
            safe_base_url(url, setting="rest_base_url")

    def test_unsafe_target_is_a_usage_error(self):
        """The refusal exits like any configuration mistake."""
        with pytest.raises(UsageError):
            ClientConfig(access_token="t", rest_base_url="http://example.com")

    @pytest.mark.parametrize(
        ("url", "message"),
        [
            ("mc.rest.marketingcloudapis.com", "must be an absolute http(s) URL"),
            ("ftp://example.com", "must be an absolute http(s) URL"),
            ("https://user:pw@example.com", "must not carry credentials"),
            ("https://example.com/?a=1", "must not have a query"),
        ],
    )
    def test_malformed_base_urls_are_refused(self, url, message):
        """A base URL is a scheme, a host and an optional path."""
        with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
            safe_base_url(url, setting="auth_base_url")

    @pytest.mark.parametrize(
        "value",
        [
            "mct0l7nxfq2r988t1kxfy8sc4xxx.rest.marketingcloudapis.com",
            "https://mct0l7nxfq2r988t1kxfy8sc4xxx.rest.marketingcloudapis.com/",
            " https://mct0l7nxfq2r988t1kxfy8sc4xxx.rest.marketingcloudapis.com ",
        ],
    )
    def test_instance_url_with_and_without_scheme(self, value):
        """Both documented rest_instance_url forms give the same https base URL."""
        assert normalise_instance_url(value) == (
            "https://mct0l7nxfq2r988t1kxfy8sc4xxx.rest.marketingcloudapis.com"
        )

    def test_instance_url_over_plain_http_is_refused(self):
        """A token endpoint cannot send the token elsewhere in clear."""
        with pytest.raises(UnsafeTargetError):
            normalise_instance_url("http://mc.rest.marketingcloudapis.com/")


class TestRetryPolicy:
    def test_backoff_doubles_from_two_seconds_and_is_capped(self):
        """The documented 2, 4, 8 seconds, then the cap."""
        policy = RetryPolicy(backoff_max=10)
        assert [policy.backoff(n) for n in (1, 2, 3, 4, 5)] == [2.0, 4.0, 8.0, 10.0, 10.0]

    def test_at_least_one_attempt(self):
        """max_attempts=0 would never send anything."""
        with pytest.raises(UsageError, match="max_attempts must be at least 1"):
            RetryPolicy(max_attempts=0)

    @pytest.mark.parametrize(
        ("headers", "body", "expected"),
        [
            ({"Retry-After": "5"}, {"retryAfter": 9}, 5.0),
            ({"retry-after": "0"}, {}, 0.0),
            ({}, {"retryAfter": 7}, 7.0),
            ({}, {"retryAfter": "3"}, 3.0),
            ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, {"retryAfter": 4}, 4.0),
            ({"Retry-After": "-1"}, {}, None),
            ({}, {"retryAfter": True}, None),
            ({}, {}, None),
        ],
    )
    def test_retry_after_header_then_body(self, headers, body, expected):
        """The header in seconds wins; the body's retryAfter is the fallback."""
        assert retry_after(json_response(429, body, headers=headers)) == expected
