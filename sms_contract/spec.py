"""The OpenAPI spec: where it lives, what it says, and an oracle that judges payloads by it.

The spec (``spec/sms.openapi.yaml``) is the one source of truth for operations, statuses and
schemas. This module reads it (no network), describes its operations, and validates request
bodies, responses and parameters against its schemas with ``jsonschema`` (Draft 2020-12).
That validator is independent of every generator: a payload is "invalid" only if it says so.

Issue messages never repeat the instance value (it may be a phone number or a token): they
name the location, the keyword and the schema's own constraint only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, unquote, urlsplit

import yaml

# jsonschema ships no py.typed marker and types-jsonschema is not a dependency.
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from sms_contract.errors import SpecError

SPEC_URI = "urn:sms-contract:spec"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PACKAGED = Path(__file__).parent / "_spec" / "sms.openapi.yaml"
_CHECKOUT = Path(__file__).resolve().parent.parent / "spec" / "sms.openapi.yaml"
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


@dataclass(frozen=True)
class Reading:
    """One documented reading of a disputed fact, with the source that states it."""

    reading: str
    source: str


@dataclass(frozen=True)
class Conflict:
    """An ``x-conflicts`` entry: sources disagree, and the spec says how it copes."""

    topic: str
    readings: tuple[Reading, ...]
    resolution: str
    location: str
    note: str | None = None


@dataclass(frozen=True)
class SchemaIssue:
    """One way an instance breaks the spec; ``message`` never contains the instance value."""

    json_path: str
    message: str
    keyword: str
    schema_path: str

    def __str__(self) -> str:
        return f"{self.json_path}: {self.message}"


class SpecExample(NamedTuple):
    """A documented example: which operation, request or response, status, name, value."""

    operation_id: str
    kind: str
    status: int | None
    name: str
    value: Any
    repaired: bool


@dataclass(frozen=True)
class Operation:
    """What the spec says about one operation.

    ``method`` is upper case; ``path`` is the template; ``source_url`` is ``externalDocs.url``;
    ``statuses`` are the response keys as written ("202", and "default" or "4XX" if present);
    ``server_url`` is the effective server template; ``requires_auth`` is False only where
    ``security: []``; ``rules`` are ``x-sms-contract-rules`` ids (sms_contract.rules);
    ``conflicts`` are the ``x-conflicts`` of the operation and of every component it uses.
    """

    operation_id: str
    method: str
    path: str
    summary: str
    description: str
    source_url: str
    statuses: tuple[str, ...]
    server_url: str
    requires_auth: bool
    required_scopes: tuple[str, ...]
    rules: tuple[str, ...]
    not_documented: tuple[str, ...]
    conflicts: tuple[Conflict, ...]

    @property
    def path_parameters(self) -> tuple[str, ...]:
        return tuple(s[1:-1] for s in self.path.split("/") if s.startswith("{"))

    def match(self, path: str) -> dict[str, str] | None:
        """The decoded path parameters if ``path`` (percent-encoded) fits the template."""
        template = self.path.split("/")
        concrete = urlsplit(path).path.split("/")
        if len(template) != len(concrete):
            return None
        found: dict[str, str] = {}
        for want, got in zip(template, concrete, strict=True):
            if want.startswith("{") and want.endswith("}"):
                if not got:
                    return None
                found[want[1:-1]] = unquote(got)
            elif want != got:
                return None
        return found


def spec_path() -> Path:
    """The packaged spec (wheel installs), else the checkout's ``spec/`` (editable installs)."""
    for candidate in (_PACKAGED, _CHECKOUT):
        if candidate.is_file():
            return candidate
    raise SpecError(
        f"the OpenAPI spec was not found (looked for {_PACKAGED} and {_CHECKOUT}); "
        "reinstall sms-contract or run from a source checkout"
    )


def load_spec(path: Path | None = None) -> Spec:
    """Read and check the spec; the default location is read once per process."""
    return _default_spec() if path is None else _read_spec(path)


@cache
def _default_spec() -> Spec:
    return _read_spec(spec_path())


def _read_spec(path: Path) -> Spec:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read the OpenAPI spec {path}: {exc.strerror}") from exc
    try:
        raw = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise SpecError(f"the OpenAPI spec {path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not str(raw.get("openapi", "")).startswith("3.1"):
        raise SpecError(f"{path} is not an OpenAPI 3.1 document")
    if not isinstance(raw.get("paths"), dict):
        raise SpecError(f"{path} has no 'paths' mapping")
    for path_item in raw["paths"].values():
        for method in HTTP_METHODS:  # YAML reads an unquoted 200 as an int: keys are strings
            operation = path_item.get(method) if isinstance(path_item, dict) else None
            if isinstance(operation, dict) and isinstance(operation.get("responses"), dict):
                operation["responses"] = {str(k): v for k, v in operation["responses"].items()}
    return Spec(raw, sha256=hashlib.sha256(data).hexdigest(), path=path)


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _json_path(parts: list[Any]) -> str:
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENTIFIER.match(part):
            path += f".{part}"
        else:
            path += "[" + repr(part) + "]"
    return path


class Spec:
    """The loaded spec. Read-only by convention: do not mutate ``raw``."""

    __slots__ = (
        "_conflicts",
        "_operations",
        "_path",
        "_pointers",
        "_raw",
        "_registry",
        "_sha256",
        "_validators",
    )

    def __init__(self, raw: dict[str, Any], *, sha256: str, path: Path | None = None) -> None:
        self._raw = raw
        self._sha256 = sha256
        self._path = path
        self._registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, Resource.from_contents(raw, default_specification=DRAFT202012)
        )
        self._validators: dict[str, Any] = {}
        self._check_refs(raw, "#")
        self._conflicts = tuple(self._collect_conflicts(raw, "#"))
        self._pointers: dict[str, str] = {}
        self._operations: dict[str, Operation] = {}
        for pointer, node, method, template in self._walk_operations():
            operation = self._describe(pointer, node, method, template)
            if operation.operation_id in self._operations:
                raise SpecError(f"operationId {operation.operation_id!r} is used twice")
            self._pointers[operation.operation_id] = pointer
            self._operations[operation.operation_id] = operation

    # ----------------------------------------------------------------- description

    @property
    def raw(self) -> dict[str, Any]:
        return self._raw

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the spec file's bytes (provenance of reports and recordings)."""
        return self._sha256

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def operations(self) -> tuple[Operation, ...]:
        return tuple(self._operations.values())

    def operation(self, operation_id: str) -> Operation:
        """The operation with that id; ``KeyError`` names the known ids."""
        try:
            return self._operations[operation_id]
        except KeyError:
            known = ", ".join(sorted(self._operations))
            raise KeyError(f"unknown operation {operation_id!r}; known: {known}") from None

    def find_operation(self, method: str, path: str) -> Operation | None:
        """The operation a concrete request path belongs to (a trailing slash is tolerated)."""
        path = urlsplit(path).path
        toggled = path[:-1] if path.endswith("/") else path + "/"
        for candidate in (path, toggled):
            for operation in self._operations.values():
                if operation.method == method.upper() and operation.match(candidate) is not None:
                    return operation
        return None

    def conflicts(self) -> tuple[Conflict, ...]:
        """Every ``x-conflicts`` entry in document order, each with its JSON pointer."""
        return self._conflicts

    def examples(self) -> Iterator[SpecExample]:
        """Every named example of every request body and response, in document order."""
        for operation_id, pointer in self._pointers.items():
            node = self._node(pointer)
            if "requestBody" in node:
                body, _ = self._deref(node["requestBody"], f"{pointer}/requestBody")
                for name, example in self._media_examples(body):
                    yield SpecExample(operation_id, "request", None, name, *example)
            for key, response in node.get("responses", {}).items():
                response, _ = self._deref(response, "")
                status = int(key) if str(key).isdigit() else None
                for name, example in self._media_examples(response):
                    yield SpecExample(operation_id, "response", status, name, *example)

    # ----------------------------------------------------------------- the oracle

    def validate_request_body(self, operation_id: str, body: Any) -> list[SchemaIssue]:
        """Issues of a JSON request body (already parsed) against the operation's schema."""
        pointer = f"{self._pointer(operation_id)}/requestBody"
        node = self._node(self._pointer(operation_id))
        if "requestBody" not in node:
            if body is None:
                return []
            return [SchemaIssue("$", "the operation documents no request body", "body", pointer)]
        request_body, pointer = self._deref(node["requestBody"], pointer)
        media_pointer = self._media_pointer(request_body, pointer, None)
        if media_pointer is None:
            return []
        return self._validate(f"{media_pointer}/schema", body)

    def validate_response(
        self, operation_id: str, status: int, body: Any, media_type: str | None = None
    ) -> list[SchemaIssue]:
        """Issues of a response: undocumented status or media type, or schema violations."""
        pointer = f"{self._pointer(operation_id)}/responses"
        responses = {str(k): v for k, v in self._node(pointer).items()}
        key = next(
            (k for k in (str(status), f"{status // 100}XX", "default") if k in responses), None
        )
        if key is None:
            documented = ", ".join(responses)
            message = f"status {status} is not documented; documented: {documented}"
            return [SchemaIssue("$", message, "status", pointer)]
        response, pointer = self._deref(responses[key], f"{pointer}/{key}")
        content = response.get("content") or {}
        if not content:
            return []
        media_pointer = self._media_pointer(response, pointer, media_type)
        if media_pointer is None:
            documented = ", ".join(content)
            message = f"media type {media_type!r} is not documented; documented: {documented}"
            return [SchemaIssue("$", message, "content-type", f"{pointer}/content")]
        if "schema" not in self._node(media_pointer):
            return []
        return self._validate(f"{media_pointer}/schema", body)

    def validate_parameter(
        self, operation_id: str, name: str, value: Any, location: str = "path"
    ) -> list[SchemaIssue]:
        """Issues of one parameter value (``location`` is path, query or header)."""
        pointer = self._pointer(operation_id)
        path_item = pointer.rsplit("/", 1)[0]
        for owner in (pointer, path_item):
            for index, parameter in enumerate(self._node(owner).get("parameters", [])):
                parameter, at = self._deref(parameter, f"{owner}/parameters/{index}")
                if parameter.get("name") == name and parameter.get("in") == location:
                    return self._validate(f"{at}/schema", value)
        raise KeyError(f"{operation_id} has no {location} parameter {name!r}")

    def validate_path_parameter(
        self, operation_id: str, name: str, value: Any
    ) -> list[SchemaIssue]:
        """Issues of a (decoded) path parameter value, e.g. a messageKey of 101 characters."""
        return self.validate_parameter(operation_id, name, value, "path")

    def validate_component(self, name: str, instance: Any) -> list[SchemaIssue]:
        """Issues of an instance against ``#/components/schemas/<name>``."""
        if name not in self._raw.get("components", {}).get("schemas", {}):
            raise KeyError(f"the spec has no component schema {name!r}")
        return self._validate(f"#/components/schemas/{_escape(name)}", instance)

    # ----------------------------------------------------------------- internals

    def _pointer(self, operation_id: str) -> str:
        self.operation(operation_id)
        return self._pointers[operation_id]

    def _node(self, pointer: str) -> Any:
        node: Any = self._raw
        for segment in pointer.lstrip("#").split("/")[1:]:
            segment = segment.replace("~1", "/").replace("~0", "~")
            node = node[int(segment)] if isinstance(node, list) else node[segment]
        return node

    def _deref(self, node: Any, pointer: str) -> tuple[Any, str]:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            pointer = node["$ref"]
            node = self._node(pointer)
        return node, pointer

    def _check_refs(self, node: Any, pointer: str) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                try:
                    self._node(ref)
                except (KeyError, IndexError, ValueError, TypeError):
                    raise SpecError(f"{pointer}: $ref {ref!r} points nowhere") from None
            for key, value in node.items():
                self._check_refs(value, f"{pointer}/{_escape(str(key))}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                self._check_refs(value, f"{pointer}/{index}")

    def _collect_conflicts(self, node: Any, pointer: str) -> Iterator[Conflict]:
        if isinstance(node, dict):
            for entry in node.get("x-conflicts", []):
                try:
                    readings = tuple(Reading(r["reading"], r["source"]) for r in entry["readings"])
                    topic, resolution = entry["topic"], entry["resolution"]
                except (KeyError, TypeError):
                    raise SpecError(
                        f"{pointer}: an x-conflicts entry needs topic, readings[{{reading, "
                        "source}] and resolution"
                    ) from None
                yield Conflict(topic, readings, resolution, pointer, entry.get("note"))
            for key, value in node.items():
                if key != "x-conflicts":
                    yield from self._collect_conflicts(value, f"{pointer}/{_escape(str(key))}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from self._collect_conflicts(value, f"{pointer}/{index}")

    def _walk_operations(self) -> Iterator[tuple[str, dict[str, Any], str, str]]:
        for template, path_item in self._raw["paths"].items():
            for method in HTTP_METHODS:
                if isinstance(path_item.get(method), dict):
                    pointer = f"#/paths/{_escape(template)}/{method}"
                    yield pointer, path_item[method], method, template

    def _describe(self, pointer: str, node: dict[str, Any], method: str, path: str) -> Operation:
        if not node.get("operationId"):
            raise SpecError(f"{method.upper()} {path} has no operationId")
        responses = [str(key) for key in node.get("responses", {})]
        servers = node.get("servers") or self._raw.get("servers") or [{"url": "/"}]
        security = node.get("security", self._raw.get("security", []))
        reachable = self._reachable(node)
        return Operation(
            operation_id=node["operationId"],
            method=method.upper(),
            path=path,
            summary=node.get("summary", ""),
            description=node.get("description", ""),
            source_url=node.get("externalDocs", {}).get("url", ""),
            statuses=tuple(responses),
            server_url=servers[0]["url"],
            requires_auth=any(requirement for requirement in security),
            required_scopes=tuple(node.get("x-required-scopes", ())),
            rules=tuple(node.get("x-sms-contract-rules", ())),
            not_documented=tuple(node.get("x-not-documented", ())),
            conflicts=tuple(
                c
                for c in self._conflicts
                if any(c.location == p or c.location.startswith(p + "/") for p in reachable)
                or c.location == pointer
                or c.location.startswith(pointer + "/")
            ),
        )

    def _reachable(self, node: Any) -> set[str]:
        """Pointers of every component the node refers to, directly or transitively."""
        seen: set[str] = set()
        pending = [node]
        while pending:
            current = pending.pop()
            if isinstance(current, dict):
                ref = current.get("$ref")
                if isinstance(ref, str) and ref not in seen:
                    seen.add(ref)
                    pending.append(self._node(ref))
                pending.extend(current.values())
            elif isinstance(current, list):
                pending.extend(current)
        return seen

    def _media_examples(self, owner: Mapping[str, Any]) -> Iterator[tuple[str, tuple[Any, bool]]]:
        for media in (owner.get("content") or {}).values():
            if "example" in media:
                yield "example", (media["example"], False)
            for name, example in (media.get("examples") or {}).items():
                example, _ = self._deref(example, "")
                yield name, (example.get("value"), "x-repaired" in example)

    def _media_pointer(
        self, owner: Mapping[str, Any], pointer: str, media_type: str | None
    ) -> str | None:
        content = owner.get("content") or {}
        if media_type is None:
            wanted = ["application/json", *content]
        else:
            essence = media_type.split(";")[0].strip().lower()
            wanted = [essence, essence.split("/")[0] + "/*", "*/*"]
        for candidate in wanted:
            if candidate in content:
                return f"{pointer}/content/{_escape(candidate)}"
        return None

    def _validate(self, pointer: str, instance: Any) -> list[SchemaIssue]:
        validator = self._validators.get(pointer)
        if validator is None:
            target = SPEC_URI + quote(pointer, safe="#/~$")
            validator = Draft202012Validator({"$ref": target}, registry=self._registry)
            self._validators[pointer] = validator
        issues = {
            self._issue(leaf, pointer)
            for error in validator.iter_errors(instance)
            for leaf in _closest_form_errors(error)
        }
        return sorted(issues, key=lambda issue: (issue.json_path, issue.message))

    def _issue(self, error: ValidationError, pointer: str) -> SchemaIssue:
        parts = list(error.absolute_path)
        keyword = str(error.validator)
        message = _describe_error(error)
        if keyword == "required":
            parts.append(_missing_property(error))
        return SchemaIssue(
            _json_path(parts), message, keyword, self._schema_pointer(pointer, error)
        )

    def _schema_pointer(self, pointer: str, error: ValidationError) -> str:
        """The absolute pointer of the failing keyword, following ``$ref`` on the way.

        jsonschema leaves ``$ref`` out of schema paths, so a segment missing from the current
        node is looked up in the node's ``$ref`` target.
        """
        node, at = self._node(pointer), pointer
        for segment in error.absolute_schema_path:
            while isinstance(node, dict) and segment not in node and "$ref" in node:
                node, at = self._deref(node, at)
            if segment == "$ref":
                continue
            at += f"/{_escape(str(segment))}"
            node = node[segment] if isinstance(node, (dict, list)) else None
        return at


def _closest_form_errors(error: ValidationError) -> list[ValidationError]:
    """For a failed anyOf/oneOf, the errors of the branch that failed least (first on a tie).

    "Matches none of the forms" hides the useful part; the closest form's errors show it.
    """
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    closest = min(branches.values(), key=len)
    return [leaf for sub in closest for leaf in _closest_form_errors(sub)]


def _missing_property(error: ValidationError) -> str:
    missing = [p for p in error.validator_value if p not in error.instance]
    for name in missing:
        if error.message == f"{name!r} is a required property":
            return str(name)
    return str(missing[0])


def _names(names: Any) -> str:
    return ", ".join(repr(name) for name in names)


def _describe_error(error: ValidationError) -> str:
    """A message built from the schema alone: it never repeats the instance value."""
    keyword, value = str(error.validator), error.validator_value
    simple = {
        "maxLength": f"is longer than {value} characters",
        "minLength": f"is shorter than {value} characters",
        "pattern": f"does not match the pattern {value!r}",
        "enum": f"is not one of {value!r}",
        "const": f"is not {value!r}",
        "minimum": f"is less than the minimum {value!r}",
        "maximum": f"is greater than the maximum {value!r}",
        "exclusiveMinimum": f"is not greater than {value!r}",
        "exclusiveMaximum": f"is not less than {value!r}",
        "minItems": f"has fewer than {value} items",
        "maxItems": f"has more than {value} items",
        "minProperties": f"has fewer than {value} properties",
        "maxProperties": f"has more than {value} properties",
        "uniqueItems": "has non-unique items",
    }
    if keyword in simple:
        return simple[keyword]
    if keyword == "required":
        return f"{_missing_property(error)!r} is a required property"
    if keyword == "type":
        types = value if isinstance(value, list) else [value]
        return "is not of type " + " or ".join(repr(t) for t in types)
    if keyword == "additionalProperties":
        known = error.schema.get("properties", {})
        patterns = error.schema.get("patternProperties", {})
        extras = [
            key
            for key in error.instance
            if key not in known and not any(re.search(p, key) for p in patterns)
        ]
        return f"has undocumented properties: {_names(extras)}"
    if keyword == "not":
        if isinstance(value, dict) and "required" in value:
            why = f" ({value['description'].rstrip('.')})" if "description" in value else ""
            return f"must not contain {_names(value['required'])}{why}"
        if isinstance(value, dict) and "enum" in value:
            return f"must not be one of {value['enum']!r}"
        return "matches a form it must not match"
    if keyword == "oneOf":
        return "is valid under more than one of the documented forms"
    return f"fails the {keyword!r} constraint"
