"""The OpenAPI spec: where it lives, what it says, and an oracle that judges payloads by it.

The spec (``spec/sms.openapi.yaml``) is the one source of truth for operations, statuses and
schemas. This module finds and reads it (no network) and gives :class:`Spec`, which describes
its operations and validates request bodies, responses and parameters against its schemas.

The parts live in their own modules: the values (``spec.model``), reading the raw document
(``spec.document``), the ``jsonschema`` oracle (``spec.oracle``) and the wording of issues
(``spec.issues``). Issue messages never repeat the instance value (it may
be a phone number or a token): they name the location, the keyword and the schema's own
constraint only.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

from sms_contract.errors import SpecError
from sms_contract.spec.document import (
    HTTP_METHODS,
    check_refs,
    collect_conflicts,
    deref,
    describe_operation,
    escape,
    media_examples,
    media_pointer,
    resolve,
    walk_operations,
)
from sms_contract.spec.issues import SchemaIssue
from sms_contract.spec.model import Conflict, Operation, SpecExample
from sms_contract.spec.oracle import SchemaOracle

_PACKAGE = Path(__file__).resolve().parents[1]  # sms_contract/
_PACKAGED = _PACKAGE / "_spec" / "sms.openapi.yaml"
_CHECKOUT = _PACKAGE.parent / "spec" / "sms.openapi.yaml"


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
        # The C loader when PyYAML has it (several times faster); the same safe subset.
        raw = yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
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


class Spec:
    """The loaded spec. Read-only by convention: do not mutate ``raw``."""

    __slots__ = ("_conflicts", "_operations", "_oracle", "_path", "_pointers", "_raw", "_sha256")

    def __init__(self, raw: dict[str, Any], *, sha256: str, path: Path | None = None) -> None:
        self._raw = raw
        self._sha256 = sha256
        self._path = path
        self._oracle = SchemaOracle(raw)
        check_refs(raw, raw, "#")
        self._conflicts = tuple(collect_conflicts(raw, "#"))
        self._pointers: dict[str, str] = {}
        self._operations: dict[str, Operation] = {}
        for pointer, node, method, template in walk_operations(raw):
            operation = describe_operation(raw, self._conflicts, pointer, node, method, template)
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

    def example(self, operation_id: str, kind: str, status: int | None = None) -> Any:
        """A copy of the first documented example of that request (``kind="request"``) or
        response (``kind="response"``, with ``status``); ``KeyError`` when there is none."""
        for found in self.examples():
            if (found.operation_id, found.kind, found.status) == (operation_id, kind, status):
                return copy.deepcopy(found.value)
        raise KeyError(f"no documented {kind} example for {operation_id} {status or ''}".strip())

    def examples(self) -> Iterator[SpecExample]:
        """Every named example of every request body and response, in document order."""
        for operation_id, pointer in self._pointers.items():
            node = resolve(self._raw, pointer)
            if "requestBody" in node:
                body, _ = deref(self._raw, node["requestBody"], f"{pointer}/requestBody")
                for name, example in media_examples(self._raw, body):
                    yield SpecExample(operation_id, "request", None, name, *example)
            for key, response in node.get("responses", {}).items():
                response, _ = deref(self._raw, response, "")
                status = int(key) if str(key).isdigit() else None
                for name, example in media_examples(self._raw, response):
                    yield SpecExample(operation_id, "response", status, name, *example)

    # ----------------------------------------------------------------- the oracle

    def validate_request_body(self, operation_id: str, body: Any) -> list[SchemaIssue]:
        """Issues of a JSON request body (already parsed) against the operation's schema."""
        pointer = f"{self._pointer(operation_id)}/requestBody"
        node = resolve(self._raw, self._pointer(operation_id))
        if "requestBody" not in node:
            if body is None:
                return []
            return [SchemaIssue("$", "the operation documents no request body", "body", pointer)]
        request_body, pointer = deref(self._raw, node["requestBody"], pointer)
        found = media_pointer(request_body, pointer, None)
        if found is None:
            return []
        return self._oracle.validate(f"{found}/schema", body)

    def validate_response(
        self, operation_id: str, status: int, body: Any, media_type: str | None = None
    ) -> list[SchemaIssue]:
        """Issues of a response: undocumented status or media type, or schema violations."""
        pointer = f"{self._pointer(operation_id)}/responses"
        responses = {str(k): v for k, v in resolve(self._raw, pointer).items()}
        key = next(
            (k for k in (str(status), f"{status // 100}XX", "default") if k in responses), None
        )
        if key is None:
            documented = ", ".join(responses)
            message = f"status {status} is not documented; documented: {documented}"
            return [SchemaIssue("$", message, "status", pointer)]
        response, pointer = deref(self._raw, responses[key], f"{pointer}/{key}")
        content = response.get("content") or {}
        if not content:
            return []
        found = media_pointer(response, pointer, media_type)
        if found is None:
            documented = ", ".join(content)
            message = f"media type {media_type!r} is not documented; documented: {documented}"
            return [SchemaIssue("$", message, "content-type", f"{pointer}/content")]
        if "schema" not in resolve(self._raw, found):
            return []
        return self._oracle.validate(f"{found}/schema", body)

    def validate_parameter(
        self, operation_id: str, name: str, value: Any, location: str = "path"
    ) -> list[SchemaIssue]:
        """Issues of one parameter value (``location`` is path, query or header)."""
        for parameter, at in self._parameters(operation_id):
            if parameter.get("name") == name and parameter.get("in") == location:
                return self._oracle.validate(f"{at}/schema", value)
        raise KeyError(f"{operation_id} has no {location} parameter {name!r}")

    def validate_query(self, operation_id: str, query: str) -> list[SchemaIssue]:
        """Issues of a query string (percent-encoded, without ``?``) against the operation's
        query parameters: a required one missing, one given more than once, a value that is
        not of its type (``integer``, ``number``, ``boolean``: read from the text as a server
        would) or that its schema refuses. Parameters the spec does not declare are not issues
        (it does not forbid them). Messages name the parameter, never its value."""
        given: dict[str, list[str]] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            given.setdefault(name, []).append(value)
        found: list[SchemaIssue] = []
        for parameter, at in self._parameters(operation_id):
            if parameter.get("in") != "query":
                continue
            name, required = str(parameter["name"]), bool(parameter.get("required"))
            path = f"query parameter {name}"
            values = given.get(name)
            if not values:
                if required:
                    found.append(SchemaIssue(path, "is required", "required", at))
                continue
            schema, _ = deref(self._raw, resolve(self._raw, f"{at}/schema"), f"{at}/schema")
            kind = schema.get("type") if isinstance(schema, dict) else None
            if len(values) > 1 and kind != "array":
                message = f"is given {len(values)} times; the spec declares one value"
                found.append(SchemaIssue(path, message, "type", at))
                continue
            value = _typed(values[0], kind)
            if value is _UNTYPED:
                found.append(SchemaIssue(path, f"is not {_A_TYPE[str(kind)]}", "type", at))
                continue
            if value is _TOO_LONG:
                continue  # an integer by its digits, past what int() reads: nothing to judge
            found += [
                SchemaIssue(path, issue.message, issue.keyword, issue.schema_path)
                for issue in self._oracle.validate(f"{at}/schema", value)
            ]
        return found

    def _parameters(self, operation_id: str) -> Iterator[tuple[dict[str, Any], str]]:
        """Each parameter of the operation, then of its path item (``$ref`` followed), with
        its pointer."""
        pointer = self._pointer(operation_id)
        path_item = pointer.rsplit("/", 1)[0]
        for owner in (pointer, path_item):
            for index, parameter in enumerate(resolve(self._raw, owner).get("parameters", [])):
                yield deref(self._raw, parameter, f"{owner}/parameters/{index}")

    def validate_path_parameter(
        self, operation_id: str, name: str, value: Any
    ) -> list[SchemaIssue]:
        """Issues of a (decoded) path parameter value, e.g. a messageKey of 101 characters."""
        return self.validate_parameter(operation_id, name, value, "path")

    def validate_component(self, name: str, instance: Any) -> list[SchemaIssue]:
        """Issues of an instance against ``#/components/schemas/<name>``."""
        if name not in self._raw.get("components", {}).get("schemas", {}):
            raise KeyError(f"the spec has no component schema {name!r}")
        return self._oracle.validate(f"#/components/schemas/{escape(name)}", instance)

    def _pointer(self, operation_id: str) -> str:
        self.operation(operation_id)
        return self._pointers[operation_id]


_UNTYPED: Any = object()  # a query value that is not of its parameter's type
_TOO_LONG: Any = object()  # an integer of more digits than int() converts
_A_TYPE = {"integer": "an integer", "number": "a number", "boolean": "a boolean"}
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def _typed(text: str, kind: object) -> Any:
    """A query value as its parameter's type reads it (``_UNTYPED`` if it cannot); strings and
    untyped parameters as they are."""
    if kind == "integer":
        if not _INTEGER.fullmatch(text):
            return _UNTYPED
        try:
            return int(text)
        except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
            return _TOO_LONG
    if kind == "number":
        return float(text) if _NUMBER.fullmatch(text) else _UNTYPED
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, _UNTYPED)
    return text
