"""Schema issues: what a validation failure is reported as, and its wording.

Turns a ``jsonschema`` error into a :class:`SchemaIssue`. Messages never repeat the instance
value (it may be a phone number or a token): they name the location, the keyword and the
schema's own constraint only. A failed ``anyOf`` / ``oneOf`` is reported by the errors of its
closest form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# jsonschema ships no py.typed marker and types-jsonschema is not a dependency.
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]

__all__ = ["SchemaIssue", "closest_form_errors", "describe_error", "schema_issue"]

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


@dataclass(frozen=True)
class SchemaIssue:
    """One way an instance breaks the spec; ``message`` never contains the instance value."""

    json_path: str
    message: str
    keyword: str
    schema_path: str

    def __str__(self) -> str:
        return f"{self.json_path}: {self.message}"


def schema_issue(error: ValidationError, schema_path: str) -> SchemaIssue:
    """The issue for one (leaf) error whose failing keyword is at ``schema_path``.

    For ``required`` the JSON path names the missing property itself.
    """
    parts = list(error.absolute_path)
    keyword = str(error.validator)
    message = describe_error(error)
    if keyword == "required":
        parts.append(_missing_property(error))
    return SchemaIssue(_json_path(parts), message, keyword, schema_path)


def closest_form_errors(error: ValidationError) -> list[ValidationError]:
    """For a failed anyOf/oneOf, the errors of the branch that failed least (first on a tie).

    "Matches none of the forms" hides the useful part; the closest form's errors show it.
    """
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    closest = min(branches.values(), key=len)
    return [leaf for sub in closest for leaf in closest_form_errors(sub)]


def describe_error(error: ValidationError) -> str:
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
        return f"has undocumented properties: {_names(_undocumented(error))}"
    if keyword == "not":
        return _describe_not(value)
    if keyword == "oneOf":
        return "is valid under more than one of the documented forms"
    return f"fails the {keyword!r} constraint"


def _undocumented(error: ValidationError) -> list[str]:
    """The property names an ``additionalProperties`` error is about (names, not values)."""
    known = error.schema.get("properties", {})
    patterns = error.schema.get("patternProperties", {})
    return [
        key
        for key in error.instance
        if key not in known and not any(re.search(p, key) for p in patterns)
    ]


def _describe_not(value: Any) -> str:
    if isinstance(value, dict) and "required" in value:
        why = f" ({value['description'].rstrip('.')})" if "description" in value else ""
        return f"must not contain {_names(value['required'])}{why}"
    if isinstance(value, dict) and "enum" in value:
        return f"must not be one of {value['enum']!r}"
    return "matches a form it must not match"


def _missing_property(error: ValidationError) -> str:
    missing = [p for p in error.validator_value if p not in error.instance]
    for name in missing:
        if error.message == f"{name!r} is a required property":
            return str(name)
    return str(missing[0])


def _names(names: Any) -> str:
    return ", ".join(repr(name) for name in names)


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
