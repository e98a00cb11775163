"""One scrubbing rule set for everything that leaves the process: reports, recordings, curl
lines, terminal output. Scrubbing happens before any byte is written, and the same ``Scrubber``
is used on the record and the replay paths so both see the same values.

What is scrubbed, and how it is replaced (consistently: the same value always becomes the same
placeholder within one ``Scrubber``, so recordings stay meaningful):

- headers ``Authorization``, ``Proxy-Authorization``, ``Cookie``, ``Set-Cookie``  -> ``<redacted>``
- JSON keys ``client_secret``, ``access_token``, ``refresh_token``, ``password``  -> ``<secret-N>``
- JSON keys ``to``, ``mobileNumber``, ``phone``                                   -> ``<phone-N>``
- every value inside an ``attributes`` object                                   -> ``<attribute-N>``
- ``message`` inside a ``content`` object (the text sent to a person)            -> ``<message-N>``
- any other occurrence, anywhere in any string, of a value scrubbed above or of a known secret
  handed to the constructor (environment credentials, test canaries)             -> its placeholder
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from sms_contract.exchange import SENSITIVE_HEADERS, HttpRequest, HttpResponse

_SECRET_KEYS = frozenset({"client_secret", "access_token", "refresh_token", "password", "token"})
_PHONE_KEYS = frozenset({"to", "mobilenumber", "phone", "mobile_number"})
_MIN_SECRET_LENGTH = 4  # shorter values would turn ordinary words into placeholders


class Scrubber:
    """Replaces secrets and personal data with stable placeholders."""

    def __init__(
        self, known_secrets: Iterable[str | None] = (), known_phones: Iterable[str] = ()
    ) -> None:
        self._placeholders: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._pattern: re.Pattern[str] | None = None
        for value in known_secrets:
            if value:
                self._remember(value, "secret")
        for phone in known_phones:
            if phone:
                self._remember(phone, "phone")

    def _remember(self, value: str, kind: str) -> str:
        if value in self._placeholders:
            return self._placeholders[value]
        self._counts[kind] = self._counts.get(kind, 0) + 1
        placeholder = f"<{kind}-{self._counts[kind]}>"
        self._placeholders[value] = placeholder
        self._pattern = None
        return placeholder

    def text(self, value: str) -> str:
        """A string with every value this scrubber knows replaced by its placeholder."""
        if not self._placeholders:
            return value
        if self._pattern is None:
            candidates = [v for v in self._placeholders if len(v) >= _MIN_SECRET_LENGTH]
            if not candidates:
                return value
            ordered = sorted(candidates, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
        return self._pattern.sub(lambda m: self._placeholders[m.group(0)], value)

    def json(self, value: Any) -> Any:
        """A deep copy of a JSON value with sensitive members replaced."""
        return self._walk(value, parent=None)

    def _walk(self, value: Any, parent: str | None) -> Any:
        if isinstance(value, Mapping):
            return {str(k): self._member(str(k), v, parent) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(item, parent) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def _member(self, key: str, value: Any, parent: str | None) -> Any:
        lowered = key.lower()
        scalar = not isinstance(value, Mapping | list)
        if parent == "attributes" and scalar:
            return self._remember(_as_text(value), "attribute")
        if parent == "content" and lowered == "message" and isinstance(value, str):
            return self._remember(value, "message")
        if lowered in _SECRET_KEYS and isinstance(value, str | int) and _as_text(value):
            return self._remember(_as_text(value), "secret")
        if lowered in _PHONE_KEYS and isinstance(value, str | int) and _as_text(value):
            return self._remember(_as_text(value), "phone")
        return self._walk(value, parent=lowered)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {
            k: ("<redacted>" if k.lower() in SENSITIVE_HEADERS else self.text(v))
            for k, v in headers.items()
        }

    def body(self, body: bytes | None) -> Any:
        """A body as JSON with members scrubbed, or as scrubbed text when it is not JSON."""
        if body is None:
            return None
        decoded = body.decode("utf-8", errors="replace")
        try:
            parsed = json.loads(decoded)
        except (ValueError, RecursionError):
            return self.text(decoded)
        return self.json(parsed)

    def request(self, request: HttpRequest) -> dict[str, Any]:
        """A request as a plain dict with nothing sensitive in it."""
        # The body first: it registers phone numbers that may also appear in the URL.
        body = self.body(request.body)
        return {
            "method": request.method,
            "url": self.text(request.url),
            "headers": self.headers(request.headers),
            "body": body,
        }

    def response(self, response: HttpResponse) -> dict[str, Any]:
        body = self.body(response.body)
        return {"status": response.status, "headers": self.headers(response.headers), "body": body}

    def curl(self, request: HttpRequest) -> str:
        """A curl command reproducing the request, with every secret redacted."""
        parts = ["curl", "-X", request.method, _quote(self.text(request.url))]
        for name, value in request.headers.items():
            shown = "Bearer $SFMC_ACCESS_TOKEN" if name.lower() == "authorization" else value
            if name.lower() in SENSITIVE_HEADERS - {"authorization"}:
                shown = "<redacted>"
            parts += ["-H", _quote(f"{name}: {self.text(shown)}")]
        scrubbed = self.body(request.body)
        if scrubbed is not None:
            data = scrubbed if isinstance(scrubbed, str) else json.dumps(scrubbed)
            parts += ["--data-raw", _quote(data)]
        return " ".join(parts)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"
