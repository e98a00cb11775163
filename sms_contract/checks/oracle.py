"""The independent oracle: does a step, as the bytes actually sent, break the spec?

Generators label invalid payloads; this module does not trust the label. It re-reads the exact
bytes of the step against the OpenAPI spec (sms_contract.spec.loading, jsonschema underneath), so a
payload is asserted "must be rejected" only when a validator that is not the generator confirms
it (field-anchors-and-lessons.md, lesson 1). Messages name paths and keywords, never values.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from sms_contract.checks.model import Step
from sms_contract.exchange import JSON_MEDIA_TYPE, media_type
from sms_contract.spec.loading import Spec


def spec_violations(spec: Spec, step: Step) -> list[str]:
    """Every way the step's request breaks the spec; empty when the request is valid."""
    return path_and_body_violations(spec, step) + query_violations(spec, step)


def path_and_body_violations(spec: Spec, step: Step) -> list[str]:
    """The ways the step's messageKey, Content-Type and body break the spec."""
    found: list[str] = []
    if step.message_key is not None:
        found += [
            f"path parameter messageKey: {issue.message}"
            for issue in spec.validate_path_parameter(
                step.operation_id, "messageKey", step.message_key
            )
        ]
    body = step.wire_body()
    if body is None:
        return found
    if media_type(step.content_type) != JSON_MEDIA_TYPE:
        found.append(f"Content-Type is not {JSON_MEDIA_TYPE}, the only documented request type")
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        found.append("the body is not valid JSON")
        return found
    found += [
        f"{issue.json_path}: {issue.message}"
        for issue in spec.validate_request_body(step.operation_id, parsed)
    ]
    return found


def query_violations(spec: Spec, step: Step) -> list[str]:
    """The ways the step's query string breaks the operation's query parameters."""
    query = urlsplit(step.path).query
    return [str(issue) for issue in spec.validate_query(step.operation_id, query)]
