"""The schema oracle: validates instances against the spec's schemas with ``jsonschema``.

Draft 2020-12, with the whole document registered under :data:`SPEC_URI` so that ``$ref``
resolves inside it. Independent of every generator: a payload is "invalid" only if the
schema says so. Each issue names the absolute pointer of the keyword that failed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

# jsonschema ships no py.typed marker and types-jsonschema is not a dependency.
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from sms_contract.spec.document import deref, escape, resolve
from sms_contract.spec.issues import SchemaIssue, closest_form_errors, schema_issue

__all__ = ["SPEC_URI", "SchemaOracle"]

SPEC_URI = "urn:sms-contract:spec"


class SchemaOracle:
    """Validates instances against the schema at a pointer of ``raw`` (validators cached)."""

    __slots__ = ("_raw", "_registry", "_validators")

    def __init__(self, raw: dict[str, Any]) -> None:
        self._raw = raw
        self._registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, Resource.from_contents(raw, default_specification=DRAFT202012)
        )
        self._validators: dict[str, Any] = {}

    def validate(self, pointer: str, instance: Any) -> list[SchemaIssue]:
        """The issues of ``instance`` against the schema at ``pointer``, sorted by location."""
        validator = self._validators.get(pointer)
        if validator is None:
            target = SPEC_URI + quote(pointer, safe="#/~$")
            validator = Draft202012Validator({"$ref": target}, registry=self._registry)
            self._validators[pointer] = validator
        issues = {
            schema_issue(leaf, self._schema_pointer(pointer, leaf))
            for error in validator.iter_errors(instance)
            for leaf in closest_form_errors(error)
        }
        return sorted(issues, key=lambda issue: (issue.json_path, issue.message))

    def _schema_pointer(self, pointer: str, error: ValidationError) -> str:
        """The absolute pointer of the failing keyword, following ``$ref`` on the way.

        jsonschema leaves ``$ref`` out of schema paths, so a segment missing from the current
        node is looked up in the node's ``$ref`` target.
        """
        node, at = resolve(self._raw, pointer), pointer
        for segment in error.absolute_schema_path:
            while isinstance(node, dict) and segment not in node and "$ref" in node:
                node, at = deref(self._raw, node, at)
            if segment == "$ref":
                continue
            at += f"/{escape(str(segment))}"
            node = node[segment] if isinstance(node, (dict, list)) else None
        return at
