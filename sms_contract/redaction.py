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
- any other occurrence, anywhere in any string, of a value scrubbed above or of a value handed
  to the constructor: known secrets (environment credentials, test canaries)     -> ``<secret-N>``,
  known phones (the allow-list) -> ``<phone-N>``, other known values (what a payload carried,
  when a message about it must not repeat it)                                    -> ``<value-N>``

Every module that shows anything derived from a request, a response or a credential scrubs it
here: the reports, recordings and terminal output, the client's strict-mode errors and its
token-refusal messages.

The key rules apply to form-encoded bodies (``grant_type=...&client_secret=...``) and to query
strings as they do to JSON members. A placeholder is never scrubbed again: scrubbing a value
twice (a recorded body replayed through the same rules) leaves ``<phone-1>`` as it is, and
text that contains a placeholder keeps it intact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sms_contract.exchange import SENSITIVE_HEADERS, HttpRequest, HttpResponse

_SECRET_KEYS = frozenset({"client_secret", "access_token", "refresh_token", "password", "token"})
_PHONE_KEYS = frozenset({"to", "mobilenumber", "phone", "mobile_number"})
_MIN_SECRET_LENGTH = 4  # shorter values would turn ordinary words into placeholders
PLACEHOLDER = re.compile(r"<(?:[a-z]+-\d+|redacted)>")
"""What this module replaces values with: ``<kind-N>``, or ``<redacted>`` for a header."""
_FORM_TYPE = "application/x-www-form-urlencoded"
_FORM_LIKE = re.compile(r"[\w.~%+\[\]-]+=[^&\s]*(?:&[\w.~%+\[\]-]+=[^&\s]*)*")


class Scrubber:
    """Replaces secrets and personal data with stable placeholders."""

    def __init__(
        self,
        known_secrets: Iterable[str | None] = (),
        known_phones: Iterable[str] = (),
        known_values: Iterable[str | None] = (),
    ) -> None:
        self._placeholders: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._pattern: re.Pattern[str] | None = None
        self._given: set[str] = set()  # the constructor's values, as opposed to learned ones
        given = [(v, "secret") for v in known_secrets] + [(p, "phone") for p in known_phones]
        given += [(v, "value") for v in known_values]
        for value, kind in given:
            if value and self._remember(value, kind) != value:
                self._given.add(value)

    def _remember(self, value: str, kind: str) -> str:
        if PLACEHOLDER.fullmatch(value):
            return value  # already scrubbed: a placeholder stands for itself
        if value in self._placeholders:
            return self._placeholders[value]
        self._counts[kind] = self._counts.get(kind, 0) + 1
        placeholder = f"<{kind}-{self._counts[kind]}>"
        self._placeholders[value] = placeholder
        self._pattern = None
        return placeholder

    def text(self, value: str) -> str:
        """A string with every value this scrubber knows replaced by its placeholder (inside
        longer text only values of 4 characters or more; a string that *is* a value handed
        to the constructor, whatever its length)."""
        if not self._placeholders:
            return value
        if value in self._given:
            return self._placeholders[value]
        if self._pattern is None:
            candidates = [v for v in self._placeholders if len(v) >= _MIN_SECRET_LENGTH]
            if not candidates:
                return value
            ordered = sorted(candidates, key=len, reverse=True)
            # Placeholders first, so a known value inside one (a secret "ret-1" in
            # "<secret-1>") is never replaced: a placeholder is kept as it is.
            known = "|".join(re.escape(v) for v in ordered)
            self._pattern = re.compile(f"({PLACEHOLDER.pattern})|{known}")
        return self._pattern.sub(self._replacement, value)

    def _replacement(self, match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(0)
        return self._placeholders[match.group(0)]

    def json(self, value: Any) -> Any:
        """A deep copy of a JSON value with sensitive members replaced.

        Two passes: the first learns every sensitive member of the document, the second
        replaces, so that a value is scrubbed wherever it appears in the document (a
        contactKey holding an attribute value, say) whatever the order of its members, and the
        same document scrubs alike whatever was scrubbed before it."""
        self._walk(value, parent=None)
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
        # A boolean carries no secret and no number; only strings and integers are replaced.
        keyed = isinstance(value, str | int) and not isinstance(value, bool) and _as_text(value)
        if lowered in _SECRET_KEYS and keyed:
            return self._remember(_as_text(value), "secret")
        if lowered in _PHONE_KEYS and keyed:
            return self._remember(_as_text(value), "phone")
        return self._walk(value, parent=lowered)

    def form(self, text: str) -> str:
        """A form-encoded string (a body or a query) with each value scrubbed by its key, as
        the JSON member of that name would be; returned unchanged when nothing is sensitive."""
        pairs = parse_qsl(text, keep_blank_values=True)
        scrubbed = [(self.text(k), str(self._member(k, v, parent=None))) for k, v in pairs]
        if scrubbed == pairs:
            return self.text(text)
        return urlencode(scrubbed, safe="<>")

    def url(self, url: str) -> str:
        """A URL with its query scrubbed by key (``?access_token=...``) and known values
        replaced everywhere else."""
        parts = urlsplit(url)
        if not parts.query:
            return self.text(url)
        query = self.form(parts.query)
        return urlunsplit((parts.scheme, self.text(parts.netloc), self.text(parts.path), query, ""))

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {
            k: ("<redacted>" if k.lower() in SENSITIVE_HEADERS else self.text(v))
            for k, v in headers.items()
        }

    def body(self, body: bytes | None, content_type: str | None = None) -> Any:
        """A body as JSON with members scrubbed, or as scrubbed text when it is not JSON.

        A form-encoded body (by ``content_type``, or by its look: ``a=b&client_secret=c``,
        whatever the declared type) has its values scrubbed by key, like JSON members.
        """
        if body is None:
            return None
        decoded = body.decode("utf-8", errors="replace")
        withheld = f"<a JSON body of {len(body)} bytes, nested too deeply to scrub: not shown>"
        try:
            parsed = json.loads(decoded)
        except RecursionError:
            return withheld  # JSON too deep to parse: nothing of it is shown, nothing leaks
        except ValueError:
            media = (content_type or "").split(";")[0].strip().lower()
            stripped = decoded.strip()
            if media == _FORM_TYPE or _FORM_LIKE.fullmatch(stripped):
                return self.form(stripped)
            return self.text(decoded)
        try:
            return self.json(parsed)
        except RecursionError:
            return withheld  # too deep to walk member by member

    def request(self, request: HttpRequest) -> dict[str, Any]:
        """A request as a plain dict with nothing sensitive in it."""
        # The body first: it registers phone numbers that may also appear in the URL.
        body = self.body(request.body, request.header("Content-Type"))
        return {
            "method": request.method,
            "url": self.url(request.url),
            "headers": self.headers(request.headers),
            "body": body,
        }

    def response(self, response: HttpResponse) -> dict[str, Any]:
        body = self.body(response.body, response.content_type)
        return {"status": response.status, "headers": self.headers(response.headers), "body": body}

    def curl(self, request: HttpRequest) -> str:
        """A curl command reproducing the request, with every secret redacted."""
        scrubbed = self.body(request.body, request.header("Content-Type"))
        parts = ["curl", "-X", request.method, _quote(self.url(request.url))]
        for name, value in request.headers.items():
            shown = "Bearer $SFMC_ACCESS_TOKEN" if name.lower() == "authorization" else value
            if name.lower() in SENSITIVE_HEADERS - {"authorization"}:
                shown = "<redacted>"
            parts += ["-H", _quote(f"{name}: {self.text(shown)}")]
        if scrubbed is not None:
            data = scrubbed if isinstance(scrubbed, str) else json.dumps(scrubbed)
            parts += ["--data-raw", _quote(data)]
        return " ".join(parts)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"
