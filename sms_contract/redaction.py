"""One scrubbing rule set for everything that leaves the process: reports, recordings, curl
lines, terminal output. Scrubbing happens before any byte is written, and the same ``Scrubber``
is used on the record and the replay paths so both see the same values.

What is scrubbed, and how it is replaced (consistently: the same value always becomes the same
placeholder within one ``Scrubber``, so recordings stay meaningful):

- headers ``Authorization``, ``Proxy-Authorization``, ``Cookie``, ``Set-Cookie``  -> ``<redacted>``
- JSON keys ``client_secret``, ``access_token``, ``refresh_token``, ``password``  -> ``<secret-N>``
- JSON keys ``to``, ``mobileNumber``, ``phone``                                   -> ``<phone-N>``
- JSON keys ``contactKey``, ``subscriberKey`` (a person: often an email address)  -> ``<contact-N>``
- every value inside an ``attributes`` object                                   -> ``<attribute-N>``
- ``message`` inside a ``content`` object (the text sent to a person)            -> ``<message-N>``
- any other occurrence, anywhere in any string, of a value scrubbed above or of a value handed
  to the constructor: known secrets (environment credentials, test canaries)     -> ``<secret-N>``,
  known phones (the allow-list) -> ``<phone-N>``, other known values (what a payload carried,
  when a message about it must not repeat it)                                    -> ``<value-N>``
- a known scope list (``SFMC_SCOPE``, space-separated scope names) as one value, never word
  by word (the words are the API's own scope names, which claims and messages name): a
  ``scope`` member whose words are the list's in any order, a whole string that is the list,
  and the list of two words or more inside longer text (one scope name alone is only
  scrubbed as a whole string)                                                    -> ``<secret-N>``
- a JSON integer that is a known value (an account id sent as a number)          -> its placeholder

Every module that shows anything derived from a request, a response or a credential scrubs it
here: the reports, recordings and terminal output, the client's strict-mode errors and its
token-refusal messages.

``curl`` turns a request into a command line that a POSIX shell (bash, zsh, dash) runs as
pasted: the bearer token is read from ``$SFMC_ACCESS_TOKEN`` (double-quoted, so it expands),
everything else is single-quoted and passed literally, and a body with nothing to scrub is
sent byte for byte. What was scrubbed cannot be sent again: the placeholders stay in the line,
and a trailing comment names each one to fill in first.

The key rules apply to form-encoded bodies (``grant_type=...&client_secret=...``) and to query
strings as they do to JSON members. A placeholder is never scrubbed again: scrubbing a value
twice (a recorded body replayed through the same rules) leaves ``<phone-1>`` as it is, and
text that contains a placeholder keeps it intact.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sms_contract.exchange import SENSITIVE_HEADERS, Exchange, HttpRequest, HttpResponse
from sms_contract.outcomes import Evidence

_SECRET_KEYS = frozenset({"client_secret", "access_token", "refresh_token", "password", "token"})
_PHONE_KEYS = frozenset({"to", "mobilenumber", "phone", "mobile_number"})
# Who a message is for, in the account's own terms: often an email address or a CRM id.
_CONTACT_KEYS = frozenset({"contactkey", "subscriberkey"})
_MIN_SECRET_LENGTH = 4  # shorter values would turn ordinary words into placeholders
PLACEHOLDER = re.compile(r"<(?:[a-z]+-\d+|redacted)>")
"""What this module replaces values with: ``<kind-N>``, or ``<redacted>`` for a header."""
_FORM_TYPE = "application/x-www-form-urlencoded"
TOKEN_VARIABLE = "SFMC_ACCESS_TOKEN"
"""The shell variable a curl line reads the bearer token from."""
_PLAIN_HEADER_NAME = re.compile(r"[A-Za-z0-9-]+")  # safe inside double quotes
_PLAIN_METHOD = re.compile(r"[A-Z]+")
_FILL_IN = {  # what a placeholder of each kind stood for: (one, several)
    "phone": ("a --to number", "--to numbers"),
    "secret": ("a credential", "credentials"),
    "attribute": ("an attribute value", "attribute values"),
    "contact": ("a contact key", "contact keys"),
    "message": ("a message text", "message texts"),
    "value": ("a value the request carried", "values the request carried"),
    "redacted": ("a header value", "header values"),
}
_FORM_LIKE = re.compile(r"[\w.~%+\[\]-]+=[^&\s]*(?:&[\w.~%+\[\]-]+=[^&\s]*)*")


class Scrubber:
    """Replaces secrets and personal data with stable placeholders."""

    def __init__(
        self,
        known_secrets: Iterable[str | None] = (),
        known_phones: Iterable[str] = (),
        known_values: Iterable[str | None] = (),
        known_scopes: Iterable[str | None] = (),
    ) -> None:
        self._placeholders: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._pattern: re.Pattern[str] | None = None
        self._given: set[str] = set()  # the constructor's values, as opposed to learned ones
        self._whole_only: set[str] = set()  # scrubbed as a whole string only, never inside text
        self._scopes: dict[frozenset[str], str] = {}  # a scope list's words -> its placeholder
        given = [(v, "secret") for v in known_secrets] + [(p, "phone") for p in known_phones]
        given += [(v, "value") for v in known_values]
        for value, kind in given:
            if value and self._remember(value, kind) != value:
                self._given.add(value)
        for scope in known_scopes:
            words = frozenset(scope.split()) if scope else frozenset()
            if scope and words and self._remember(scope, "secret") != scope:
                self._given.add(scope)
                if len(words) < 2:  # one scope name is an ordinary word of the API
                    self._whole_only.add(scope)
                self._scopes.setdefault(words, self._placeholders[scope])

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

    def learn(self, secrets: Iterable[str | None]) -> None:
        """Scrub ``secrets`` from now on as if they had been handed to the constructor as known
        secrets: credentials met only in traffic (the client id and account id of a token
        request that ``sms-contract proxy`` forwards), which no key rule names."""
        for value in secrets:
            if value and self._remember(value, "secret") != value:
                self._given.add(value)

    def text(self, value: str) -> str:
        """A string with every value this scrubber knows replaced by its placeholder (inside
        longer text only values of 4 characters or more; a string that *is* a value handed
        to the constructor, whatever its length)."""
        if not self._placeholders:
            return value
        if value in self._given:
            return self._placeholders[value]
        if self._pattern is None:
            candidates = [
                v
                for v in self._placeholders
                if len(v) >= _MIN_SECRET_LENGTH and v not in self._whole_only
            ]
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
        if isinstance(value, int) and not isinstance(value, bool) and str(value) in self._given:
            return self._placeholders[str(value)]  # an account id sent as a number, say
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
        if lowered in _CONTACT_KEYS and keyed:
            return self._remember(_as_text(value), "contact")
        words = frozenset(value.split()) if lowered == "scope" and isinstance(value, str) else None
        if words in self._scopes:
            return self._scopes[words]  # the known scope list, its words in any order
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

    def evidence(self, exchange: Exchange) -> Evidence:
        """The exchange as every report holds it: request and response scrubbed, and the curl
        line that sends the request again."""
        response = exchange.response
        return Evidence(
            request=self.request(exchange.request),
            response=None if response is None else self.response(response),
            curl=self.curl(exchange.request),
        )

    def curl(self, request: HttpRequest) -> str:
        """A curl command that sends ``request`` again, with no secret in it (module doc).

        The ``Authorization`` header becomes ``-H "Authorization: Bearer ${SFMC_ACCESS_TOKEN}"``
        whatever token the request carried. A body with nothing to scrub is sent as it was
        sent: ``--data-raw '...'``, or, when it is not UTF-8 text or holds control characters,
        ``printf '%b' '...' | curl ... --data-binary @-`` (octal escapes, so that the bytes,
        not a terminal, carry them). A scrubbed body is sent with its placeholders, re-encoded
        as the client encodes JSON; the trailing ``# fill in ...`` comment names them."""
        url = self.url(request.url)
        method = request.method
        parts = ["curl", "-X", method if _PLAIN_METHOD.fullmatch(method) else _quote(method)]
        parts.append(_quote(url))
        for name, value in request.headers.items():
            lowered = name.lower()
            if lowered == "authorization":
                parts += ["-H", _bearer_header(self.text(name))]
                continue
            shown = "<redacted>" if lowered in SENSITIVE_HEADERS else self.text(value)
            parts += ["-H", _quote(f"{self.text(name)}: {shown}")]
        pipe = ""
        if request.body is not None:
            if request.header("Content-Type") is None:
                parts += ["-H", _quote("Content-Type:")]  # curl would add a form type
            data = self._curl_body(request.body, request.header("Content-Type"))
            text = _plain_text(data)
            if text is None:
                pipe = f"printf '%b' {_quote(_octal_escaped(data))} | "
                parts += ["--data-binary", "@-"]
            else:
                parts += ["--data-raw", _quote(text)]
        line = pipe + " ".join(parts)
        kinds: dict[str, list[str]] = {}
        for placeholder in dict.fromkeys(PLACEHOLDER.findall(line)):
            kind = placeholder.strip("<>").rsplit("-", 1)[0]
            kinds.setdefault(kind if kind in _FILL_IN else "value", []).append(placeholder)
        if kinds:
            named = "; ".join(
                f"{', '.join(found)} ({_FILL_IN[kind][len(found) > 1]})"
                for kind, found in kinds.items()
            )
            line += f"  # scrubbed: fill in {named} before running"
        return line

    def _curl_body(self, raw: bytes, content_type: str | None) -> bytes:
        """The body a curl line sends: ``raw`` itself when scrubbing changes nothing in it,
        else its scrubbed form (JSON encoded as the client encodes it)."""
        shown = self.body(raw, content_type)  # learns every sensitive member first
        exact = raw.decode("utf-8", errors="surrogateescape")
        untouched = self.text(exact) == exact
        decoded = raw.decode("utf-8", errors="replace")
        if isinstance(shown, str):
            same = shown in (decoded, decoded.strip())
            return raw if untouched and same else shown.encode("utf-8")
        try:
            # Duplicate members are not compared (the parsed value keeps the last of them),
            # so a body with one is never shown as it was sent.
            parsed = json.loads(decoded, object_pairs_hook=_unique_members)
        except (ValueError, RecursionError):
            parsed = None
        if untouched and parsed is not None and shown == parsed:
            return raw
        return json.dumps(shown, ensure_ascii=False).encode("utf-8")


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        raise ValueError("a member appears twice")
    return members


def _bearer_header(name: str) -> str:
    """``-H`` argument of an Authorization header: the token from the shell's variable."""
    variable = "${" + TOKEN_VARIABLE + "}"
    if _PLAIN_HEADER_NAME.fullmatch(name):
        return f'"{name}: Bearer {variable}"'
    return _quote(f"{name}: Bearer ") + f'"{variable}"'


def _plain_text(data: bytes) -> str | None:
    """``data`` as text when it is UTF-8 without control characters; else ``None``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(unicodedata.category(char) == "Cc" for char in text):
        return None
    return text


def _octal_escaped(data: bytes) -> str:
    """``data`` for ``printf '%b'``: printable ASCII as itself, ``\\`` doubled, every other
    byte as ``\\0ooo``."""
    return "".join(
        "\\\\" if byte == 0x5C else chr(byte) if 0x20 <= byte < 0x7F else f"\\0{byte:03o}"
        for byte in data
    )


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"
