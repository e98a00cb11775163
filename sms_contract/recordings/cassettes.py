"""Cassettes: recorded exchanges as versioned, scrubbed, readable YAML.

Format version 1::

    version: 1
    provenance: {target: live | simulator | documented-examples, recorded_at: <ISO 8601 UTC>,
                 tool_version, spec_sha256, base_url,
                 run: {seed, nonce, examples, definition_key, recipients}}   # run: optional
    interactions:
    - check_id: ...
      case_id: ...
      request:  {method, path, query: {name: [values]}, headers, json | body}
      response: {status, headers, json | body}      # null when the response was lost

``path`` is the URL path as sent (percent-encoded, absolute, no scheme or host), so one
cassette may hold exchanges with several hosts (the token endpoint and the REST API).
``json`` holds a JSON body parsed; ``body`` holds any other body as text.
``provenance.run`` (optional, so older version-1 cassettes stay readable) holds what the run
was planned with, so the same requests can be planned again for replay, fidelity and drift.

Observed traffic: ``sms-contract proxy`` records an application's own exchanges, which no run
planned, under the check id ``OBSERVED_TRAFFIC`` (``PROXY``), each case the exchange's number
(``PROXY#17``, as its line and its findings name it), with no ``provenance.run``. No planned
case is ever answered from them (no catalogue check has that id, so replay hands every case
to the simulator), and drift compares their answers with the spec.

Everything is scrubbed with ``sms_contract.redaction.Scrubber`` *before* it is kept in
memory: ``Recorder.record`` turns an ``Exchange`` into scrubbed values at once, and the
headers ``Date``, ``Server``, ``Content-Length``, ``Connection`` and ``Authorization`` are
dropped. Replay scrubs each incoming request with ``scrub_request`` too, so both sides of a
match carry placeholders (see ``sms_contract.recordings.matching``).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml

from sms_contract import __version__
from sms_contract.errors import CassetteError, UsageError
from sms_contract.exchange import Exchange, HttpRequest, HttpResponse
from sms_contract.redaction import Scrubber
from sms_contract.spec.yaml_files import read_yaml_file

FORMAT_VERSION = 1
OBSERVED_TRAFFIC = "PROXY"
"""The check id of interactions no run planned: an application's own traffic, recorded by
``sms-contract proxy`` (module doc)."""
SUPPORTED_VERSIONS = (1,)
DROPPED_HEADERS = frozenset({"date", "server", "content-length", "connection", "authorization"})
_FORM = "application/x-www-form-urlencoded"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class RecordingSource(StrEnum):
    """What answered while the cassette was recorded."""

    LIVE = "live"
    SIMULATOR = "simulator"
    DOCUMENTED_EXAMPLES = "documented-examples"


@dataclass(frozen=True)
class RecordedRun:
    """What the recording run was planned with: the same values plan the same requests."""

    seed: int
    nonce: str  # mixed into every messageKey
    examples: int
    definition_key: str
    recipients: int  # how many allow-listed numbers (the numbers themselves are scrubbed)


@dataclass(frozen=True)
class RunValues:
    """What one side's requests were planned with, beyond the seed: written ``{nonce}`` and
    ``{definition}`` before requests are compared (drift, fidelity), so that a live run may
    renew them."""

    nonce: str
    definition_key: str


@dataclass(frozen=True)
class Provenance:
    """Where and when a cassette was recorded; ``base_url`` is scrubbed."""

    target: RecordingSource
    recorded_at: datetime
    tool_version: str
    spec_sha256: str
    base_url: str
    run: RecordedRun | None = None


@dataclass(frozen=True)
class RecordedRequest:
    """A scrubbed request: ``json`` is the parsed body, ``body`` any other body as text."""

    method: str
    path: str
    query: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    body: str | None = None


@dataclass(frozen=True)
class RecordedResponse:
    """A scrubbed response, ready to be replayed."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    body: str | None = None

    def content(self) -> bytes:
        """The body as bytes on the wire (a JSON body serialised back)."""
        if self.json is not None:
            return json.dumps(self.json, ensure_ascii=False).encode("utf-8")
        return (self.body or "").encode("utf-8")


@dataclass(frozen=True)
class Interaction:
    """One request of one check case and what came back (``None``: the response was lost)."""

    check_id: str
    case_id: str
    request: RecordedRequest
    response: RecordedResponse | None


@dataclass(frozen=True)
class Cassette:
    """A versioned set of interactions with where and when they were recorded."""

    provenance: Provenance
    interactions: tuple[Interaction, ...] = ()
    version: int = FORMAT_VERSION


# --- scrubbing: an HttpRequest / HttpResponse becomes a Recorded* with no secret left -------


def scrub_request(scrubber: Scrubber, request: HttpRequest) -> RecordedRequest:
    """The request with secrets and personal data replaced by the scrubber's placeholders."""
    # The body first: it registers phone numbers and secrets that may recur in the URL.
    json_body, text_body = _scrub_body(scrubber, request.body, request.header("Content-Type"))
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(request.query, keep_blank_values=True):
        query.setdefault(scrubber.text(key), []).append(_scrub_pair(scrubber, key, value))
    return RecordedRequest(
        method=request.method.upper(),
        path=scrubber.text(request.path or "/"),
        query={key: tuple(values) for key, values in query.items()},
        headers=_scrub_headers(scrubber, request.headers),
        json=json_body,
        body=text_body,
    )


def scrub_response(scrubber: Scrubber, response: HttpResponse) -> RecordedResponse:
    json_body, text_body = _scrub_body(scrubber, response.body, response.content_type)
    return RecordedResponse(
        status=response.status,
        headers=_scrub_headers(scrubber, response.headers),
        json=json_body,
        body=text_body,
    )


def _scrub_pair(scrubber: Scrubber, key: str, value: str) -> str:
    # Through Scrubber.json so key-based rules (client_secret, to, ...) apply to form and query.
    return str(scrubber.json({key: value})[key])


def _scrub_body(
    scrubber: Scrubber, raw: bytes | None, content_type: str | None
) -> tuple[Any, str | None]:
    if not raw:
        return None, None
    if content_type is not None and content_type.split(";")[0].strip().lower() == _FORM:
        pairs = parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
        scrubbed = [(scrubber.text(k), _scrub_pair(scrubber, k, v)) for k, v in pairs]
        return None, urlencode(scrubbed, safe="<>")
    value = scrubber.body(raw)
    if isinstance(value, str):
        return None, value
    return value, None


def _scrub_headers(scrubber: Scrubber, headers: Mapping[str, str]) -> dict[str, str]:
    kept = {k: v for k, v in headers.items() if k.lower() not in DROPPED_HEADERS}
    return scrubber.headers(kept)


def scrub_base_url(scrubber: Scrubber, url: str) -> str:
    """A base URL without credentials, query or fragment, and with known values scrubbed."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return scrubber.text(urlunsplit((parts.scheme, netloc, parts.path, "", "")).rstrip("/"))


class Recorder:
    """Collects scrubbed interactions for one cassette and writes it with ``save``."""

    def __init__(
        self,
        scrubber: Scrubber,
        *,
        target: RecordingSource,
        base_url: str,
        spec_sha256: str,
        tool_version: str = __version__,
        recorded_at: datetime | None = None,
        run: RecordedRun | None = None,
    ) -> None:
        self._scrubber = scrubber
        self._provenance = Provenance(
            target=RecordingSource(target),
            recorded_at=recorded_at or datetime.now(UTC).replace(microsecond=0),
            tool_version=tool_version,
            spec_sha256=spec_sha256,
            base_url=scrub_base_url(scrubber, base_url),
            run=run,
        )
        self._interactions: list[Interaction] = []

    def record(self, check_id: str, case_id: str, exchange: Exchange) -> Interaction:
        """Scrub ``exchange`` and keep it; nothing unscrubbed is retained."""
        request = scrub_request(self._scrubber, exchange.request)
        response = (
            None if exchange.response is None else scrub_response(self._scrubber, exchange.response)
        )
        interaction = Interaction(check_id, case_id, request, response)
        self._interactions.append(interaction)
        return interaction

    @property
    def cassette(self) -> Cassette:
        return Cassette(self._provenance, tuple(self._interactions))

    def save(self, path: str | os.PathLike[str]) -> Path:
        return save_cassette(self.cassette, path)


# --- serialisation ----------------------------------------------------------------------------


def cassette_to_dict(cassette: Cassette) -> dict[str, Any]:
    """The cassette as plain data in the field order of the format."""
    p = cassette.provenance
    provenance: dict[str, Any] = {
        "target": p.target.value,
        "recorded_at": p.recorded_at.astimezone(UTC).strftime(_TIME_FORMAT),
        "tool_version": p.tool_version,
        "spec_sha256": p.spec_sha256,
        "base_url": p.base_url,
    }
    if p.run is not None:
        provenance["run"] = {
            "seed": p.run.seed,
            "nonce": p.run.nonce,
            "examples": p.run.examples,
            "definition_key": p.run.definition_key,
            "recipients": p.run.recipients,
        }
    return {
        "version": cassette.version,
        "provenance": provenance,
        "interactions": [_interaction_to_dict(i) for i in cassette.interactions],
    }


def _interaction_to_dict(interaction: Interaction) -> dict[str, Any]:
    r = interaction.request
    request: dict[str, Any] = {
        "method": r.method,
        "path": r.path,
        "query": {k: list(v) for k, v in r.query.items()},
        "headers": dict(r.headers),
    }
    response: dict[str, Any] | None = None
    if interaction.response is not None:
        response = {
            "status": interaction.response.status,
            "headers": dict(interaction.response.headers),
        }
    for target, source in ((request, r), (response, interaction.response)):
        if target is not None and source is not None:
            if source.json is not None:
                target["json"] = source.json
            elif source.body is not None:
                target["body"] = source.body
    return {
        "check_id": interaction.check_id,
        "case_id": interaction.case_id,
        "request": request,
        "response": response,
    }


_YAML_LINE_BREAKS = ("\x85", "\u2028", "\u2029")  # NEL, LS, PS: line breaks to YAML


class _CassetteDumper(yaml.SafeDumper):
    """``safe_dump``'s dumper, except that a string holding a character YAML reads as a line
    break (NEL, LS, PS) is written double-quoted, where it is escaped (``\\N``, ``\\L``,
    ``\\P``): PyYAML writes NEL as it is inside a single-quoted string and reads it back as a
    space, so a generated body holding one would not match its own recording."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if any(character in value for character in _YAML_LINE_BREAKS):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_str(value)


_CassetteDumper.add_representer(str, _represent_str)


def save_cassette(cassette: Cassette, path: str | os.PathLike[str]) -> Path:
    """Write ``cassette`` as YAML (atomically: a reader never sees half a file)."""
    target = Path(path)
    text = yaml.dump(
        cassette_to_dict(cassette),
        Dumper=_CassetteDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    except OSError as exc:
        raise CassetteError(f"{target}: cannot write ({exc.strerror or exc})") from exc
    return target


def load_cassette(path: str | os.PathLike[str]) -> Cassette:
    """Read one cassette; ``CassetteError`` names the file and what is wrong with it."""
    data = read_yaml_file(path, CassetteError)
    return cassette_from_dict(data, source=str(Path(path)))


def load_cassette_dir(directory: str | os.PathLike[str]) -> list[Cassette]:
    """Every ``*.yaml`` cassette under ``directory`` (recursively), in path order."""
    root = Path(directory)
    if not root.is_dir():
        raise CassetteError(f"{root}: not a directory of cassettes")
    return [load_cassette(p) for p in sorted(root.rglob("*.yaml"))]


class _Malformed(Exception):
    """A field of the cassette data is missing or has the wrong type."""


def cassette_from_dict(data: Any, *, source: str = "cassette") -> Cassette:
    """A cassette from plain data; ``CassetteError`` (prefixed with ``source``) when it is
    not a well-formed cassette of a supported format version."""
    try:
        return _cassette(data)
    except _Malformed as exc:
        raise CassetteError(f"{source}: {exc}") from None


def _cassette(data: Any) -> Cassette:
    if not isinstance(data, dict):
        raise _Malformed("the top level must be a mapping with 'version' and 'interactions'")
    version = data.get("version")
    if version not in SUPPORTED_VERSIONS:
        supported = ", ".join(str(v) for v in SUPPORTED_VERSIONS)
        raise _Malformed(f"format version {version!r} is not supported (supported: {supported})")
    p = _get(data, "provenance", dict, "")
    recorded_at = _get(p, "recorded_at", (str, datetime), "provenance")
    try:
        when = recorded_at if isinstance(recorded_at, datetime) else _parse_time(recorded_at)
        target = RecordingSource(_get(p, "target", str, "provenance"))
    except ValueError as exc:
        raise _Malformed(f"provenance: {exc}") from None
    provenance = Provenance(
        target=target,
        recorded_at=when if when.tzinfo else when.replace(tzinfo=UTC),
        tool_version=str(_get(p, "tool_version", str, "provenance")),
        spec_sha256=str(_get(p, "spec_sha256", str, "provenance")),
        base_url=str(_get(p, "base_url", str, "provenance")),
        run=_recorded_run(p["run"]) if p.get("run") is not None else None,
    )
    raw = _get(data, "interactions", list, "")
    interactions = tuple(_interaction(item, f"interactions[{i}]") for i, item in enumerate(raw))
    return Cassette(provenance, interactions, version)


def _recorded_run(run: Any) -> RecordedRun:
    where = "provenance.run"
    if not isinstance(run, dict):
        raise _Malformed(f"{where}: expected a mapping")
    return RecordedRun(
        seed=_get(run, "seed", int, where),
        nonce=str(_get(run, "nonce", (str, int), where)),
        examples=_get(run, "examples", int, where),
        definition_key=str(_get(run, "definition_key", (str, int), where)),
        recipients=_get(run, "recipients", int, where),
    )


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _get(data: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    name = f"{where}.{key}" if where else key
    if not isinstance(data, dict) or key not in data:
        raise _Malformed(f"{name}: missing")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise _Malformed(f"{name}: expected {_kind_name(kind)}, found {type(value).__name__}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {dict: "a mapping", list: "a list", str: "a string", int: "an integer"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _interaction(item: Any, where: str) -> Interaction:
    if not isinstance(item, dict):
        raise _Malformed(f"{where}: expected a mapping")
    r = _get(item, "request", dict, where)
    request = RecordedRequest(
        method=_get(r, "method", str, f"{where}.request").upper(),
        path=_get(r, "path", str, f"{where}.request"),
        query=_query(r.get("query") or {}, f"{where}.request.query"),
        headers=_headers(r.get("headers") or {}, f"{where}.request.headers"),
        json=r.get("json"),
        body=_optional_text(r, f"{where}.request"),
    )
    response: RecordedResponse | None = None
    if item.get("response") is not None:
        s = _get(item, "response", dict, where)
        response = RecordedResponse(
            status=_get(s, "status", int, f"{where}.response"),
            headers=_headers(s.get("headers") or {}, f"{where}.response.headers"),
            json=s.get("json"),
            body=_optional_text(s, f"{where}.response"),
        )
    return Interaction(
        check_id=str(_get(item, "check_id", str, where)),
        case_id=str(_get(item, "case_id", (str, int), where)),
        request=request,
        response=response,
    )


def _optional_text(data: dict[str, Any], where: str) -> str | None:
    return None if data.get("body") is None else str(_get(data, "body", str, where))


def _headers(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _Malformed(f"{where}: expected a mapping")
    return {str(k): str(v) for k, v in value.items()}


def _query(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise _Malformed(f"{where}: expected a mapping")
    query: dict[str, tuple[str, ...]] = {}
    for key, values in value.items():
        items = values if isinstance(values, list) else [values]
        query[str(key)] = tuple(str(v) for v in items)
    return query


def recorded_run(cassettes: Iterable[Cassette]) -> RecordedRun | None:
    """The run parameters the cassettes were recorded with (``None`` when none says);
    ``UsageError`` when two cassettes disagree, since one run cannot match both."""
    found: dict[RecordedRun, int] = {}
    for cassette in cassettes:
        if cassette.provenance.run is not None:
            found[cassette.provenance.run] = found.get(cassette.provenance.run, 0) + 1
    if len(found) > 1:
        seeds = ", ".join(sorted({f"seed {run.seed} nonce {run.nonce}" for run in found}))
        raise UsageError(
            f"the cassettes were recorded by different runs ({seeds}); keep one recording "
            "per --cassette-dir (record again into an empty directory)"
        )
    return next(iter(found), None)


def recorded_cases(cassettes: Iterable[Cassette]) -> frozenset[tuple[str, str]]:
    """Every (check, case) the cassettes hold an interaction of: what a replay can answer
    (``sms_contract.run.planning.recorded_only`` plans only these of a recorded check)."""
    return frozenset(
        (interaction.check_id, interaction.case_id)
        for cassette in cassettes
        for interaction in cassette.interactions
    )


def load_recordings(directory: Path) -> list[Cassette]:
    """Every cassette under ``directory``; ``UsageError`` when there is none."""
    cassettes = load_cassette_dir(directory)
    if not cassettes:
        raise UsageError(f"--cassette-dir {directory}: no cassettes (*.yaml) in it")
    return cassettes
