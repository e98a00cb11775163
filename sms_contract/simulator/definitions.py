"""The send-definition routes: create, list, read, update, delete, and the queue.

Choices where the documentation is silent or conflicts:

- Required on create: definitionKey (109107), name, content.message and subscriptions.shortCode
  (10002). ``subscriptions.keyword`` is required by one source and not another; it is optional
  here, so a client following either reading is served.
- ``name`` must be unique ("Must be unique."): a second definition with the same name is 409.
- ``status`` is ``active`` or ``inactive`` in any casing; responses say ``Active``/``Inactive``.
- List: ``$pageSize`` defaults to 50 and is served as at most 100; ``count`` is the number of
  definitions on the page (as observed in the wild). Query names are case-insensitive.
- A deleted definition is archived under a new unique id (``deletedDefinitionKey``); its key
  can be reused. The unfiltered list includes deleted definitions with ``status: "Deleted"``,
  as the real list does (facts §9: sfmc-devtools filtered them out of it); ``$filter=status eq
  deleted`` lists only them, ``status neq deleted`` or ``status eq active`` none of them.
  Reading, updating or deleting a deleted definition by its key is 404.
- PATCH refuses ``definitionKey`` in its body (facts §9: "not allowed by API"), whatever its
  value: 400 with errorcode 30001 (Runtime_InvalidOperation). Of the documented
  /definitions codes it is the one for a well-formed request asking what the API does not do
  (the queue purge of an active definition is the other); 109122 UnknownFieldName is a
  /messages code and the field is not unknown, and 10005 InvalidValue would imply another
  value could pass.
- Purging a queue turns each queued send into SMSNotSent with statusCode 37
  (QueuedTransactionDeleted); activating a definition sends what it queued.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sms_contract.simulator.context import Call, World
from sms_contract.simulator.sends import integer_param
from sms_contract.simulator.state import QUEUED_TRANSACTION_DELETED, Definition
from sms_contract.simulator.validation import Rejection, parse_object
from sms_contract.simulator.wire import Reply, error, not_found, request_id

MAX_PAGE_SIZE = 100
_FILTER = re.compile(r"\s*status\s+(eq|neq)\s+'?(active|inactive|deleted)'?\s*", re.IGNORECASE)
_ORDER = re.compile(
    r"\s*(definitionKey|name|createdDate|modifiedDate|status)(?:\s+(asc|desc))?\s*", re.IGNORECASE
)
_ORDER_FIELDS = {
    "definitionkey": lambda d: d.key,
    "name": lambda d: d.name,
    "createddate": lambda d: d.created,
    "modifieddate": lambda d: d.modified,
    "status": lambda d: d.status,
}
# The documented options (spec UrlShortenerOptions; IsLinkShorteningEnabled as published, and
# its camelCase sibling) with the JSON type each must have.
_SHORTENER_OPTIONS: dict[str, tuple[type, str]] = {
    "IsLinkShorteningEnabled": (bool, "true or false"),
    "isLinkShorteningEnabled": (bool, "true or false"),
    "isSubscriberTrackingEnabled": (bool, "true or false"),
    "shortenerType": (str, "a string"),
}
NO_SUCH_DEFINITION = "MCMS_UTM_Runtime_ObjectNotFound: Definition key doesn't exist for this MID"
KEY_IN_PATCH = (
    "MCMS_UTM_Runtime_InvalidOperation: definitionKey cannot be updated; leave it out of the body"
)


def create(call: Call, world: World) -> Reply:
    """POST /messaging/v1/sms/definitions: 201 with the definition, 409 when it exists."""
    payload = parse_object(call.content_type, call.body)
    if isinstance(payload, Rejection):
        return error(payload.status, payload.errorcode, payload.message)
    key = payload.get("definitionKey")
    if key is not None and not isinstance(key, str):
        return _invalid_type("definitionKey must be a string")
    if not key:
        return error(
            400, 109107, "MCMS_UTM_Validation_MissingRequiredField_definitionKey: required"
        )
    problem = _check_fields(payload, creating=True)
    if problem:
        return problem
    if key in world.state.definitions:
        return _conflict("Send definition already exists on the server")
    if any(d.name == payload["name"] for d in world.state.definitions.values()):
        return _conflict("A send definition with this name already exists")
    definition = Definition(
        key=key,
        name=payload["name"],
        active=True,
        created=world.now,
        modified=world.now,
        content={"message": payload["content"]["message"]},
        subscriptions={"autoAddSubscriber": True},
    )
    _apply(definition, payload, world)
    world.state.definitions[key] = definition
    return Reply(201, {"requestId": request_id(), **definition.to_wire()})


def listing(call: Call, world: World) -> Reply:
    """GET /messaging/v1/sms/definitions with $filter, $orderBy, $pageSize and $page."""
    page_size = integer_param(call.query, "$pagesize", 50, minimum=1)
    page = integer_param(call.query, "$page", 1, minimum=1)
    if isinstance(page_size, Reply):
        return page_size
    if isinstance(page, Reply):
        return page
    page_size = min(page_size, MAX_PAGE_SIZE)
    found = _filtered(call.query.get("$filter"), world)
    if isinstance(found, Reply):
        return found
    ordered = _ordered(call.query.get("$orderby"), found)
    if isinstance(ordered, Reply):
        return ordered
    items = ordered[(page - 1) * page_size : page * page_size]
    return Reply(
        200,
        {
            "requestId": request_id(),
            "definitions": [d.summary() for d in items],
            "count": len(items),
            "page": page,
            "pageSize": page_size,
        },
    )


def read(call: Call, world: World) -> Reply:
    definition = world.state.definitions.get(call.route.key or "")
    if definition is None:
        return not_found(NO_SUCH_DEFINITION)
    return Reply(200, {"requestId": request_id(), **definition.to_wire()})


def update(call: Call, world: World) -> Reply:
    """PATCH: any subset of the fields; 200 with the full definition."""
    definition = world.state.definitions.get(call.route.key or "")
    if definition is None:
        return not_found(NO_SUCH_DEFINITION)
    payload = parse_object(call.content_type, call.body)
    if isinstance(payload, Rejection):
        return error(payload.status, payload.errorcode, payload.message)
    if "definitionKey" in payload:
        return error(400, 30001, KEY_IN_PATCH)
    problem = _check_fields(payload, creating=False)
    if problem:
        return problem
    was_active = definition.active
    _apply(definition, payload, world)
    definition.modified = world.now
    if definition.active and not was_active:
        for message in world.state.queued(definition.key):
            world.state.settle(message, definition, world.config, world.now)
    return Reply(200, {"requestId": request_id(), **definition.to_wire()})


def delete(call: Call, world: World) -> Reply:
    definition = world.state.definitions.pop(call.route.key or "", None)
    if definition is None:
        return not_found("MCMS_UTM_Runtime_ObjectNotFound: Send definition doesn't exist.")
    definition.deleted = True
    definition.definition_id = str(uuid.uuid4())
    definition.modified = world.now
    world.state.archived.append(definition)
    body = {
        "message": "Success",
        "requestId": request_id(),
        "deletedDefinitionKey": definition.definition_id,
    }
    return Reply(200, body)


def queue_metrics(call: Call, world: World) -> Reply:
    definition = world.state.definitions.get(call.route.key or "")
    if definition is None:
        return not_found(NO_SUCH_DEFINITION)
    queued = world.state.queued(definition.key)
    oldest = min((m.accepted_at for m in queued), default=world.now)
    body = {"requestId": request_id(), "count": len(queued), "ageSeconds": int(world.now - oldest)}
    return Reply(200, body)


def queue_purge(call: Call, world: World) -> Reply:
    definition = world.state.definitions.get(call.route.key or "")
    if definition is None:
        return not_found(NO_SUCH_DEFINITION)
    if definition.active:
        message = (
            "MCMS_UTM_Runtime_InvalidOperation: Definition status must be inactive to delete queue"
        )
        return error(400, 30001, message)
    for queued in world.state.queued(definition.key):
        world.state.mark_not_sent(queued, QUEUED_TRANSACTION_DELETED, world.now)
    return Reply(200, {"requestId": request_id(), "message": "Queued"})


def _check_fields(payload: dict[str, Any], *, creating: bool) -> Reply | None:
    """Types of every documented field; presence of the required ones when creating."""
    kinds: dict[str, tuple[type, ...]] = {
        "name": (str,),
        "description": (str,),
        "status": (str,),
        "content": (dict,),
        "subscriptions": (dict,),
        "options": (dict,),
    }
    for name, kind in kinds.items():
        if name in payload and not isinstance(payload[name], kind):
            return _invalid_type(f"{name} must be {'an object' if kind == (dict,) else 'a string'}")
    content = payload.get("content", {})
    subscriptions = payload.get("subscriptions", {})
    for where, container, name in (
        ("content.message", content, "message"),
        ("subscriptions.shortCode", subscriptions, "shortCode"),
        ("subscriptions.countryCode", subscriptions, "countryCode"),
        ("subscriptions.keyword", subscriptions, "keyword"),
    ):
        if name in container and not isinstance(container[name], str):
            return _invalid_type(f"{where} must be a string")
    for name, code in (("autoAddSubscriber", 109113), ("updateSubscriber", 109125)):
        if name in subscriptions and not isinstance(subscriptions[name], bool):
            message = f"MCMS_UTM_Validation_InvalidValue_{name}: must be true or false"
            return error(400, code, message)
    bad_options = _check_options(payload.get("options", {}))
    if bad_options:
        return bad_options
    status = payload.get("status")
    if status is not None and status.lower() not in ("active", "inactive"):
        return error(400, 10005, "MCMS_UTM_Validation_InvalidValue: status is active or inactive")
    if creating:
        for where, present in (
            ("name", bool(payload.get("name"))),
            ("content.message", bool(content.get("message"))),
            ("subscriptions.shortCode", bool(subscriptions.get("shortCode"))),
        ):
            if not present:
                return error(
                    400, 10002, f"MCMS_UTM_Validation_MissingRequiredField: {where} is required"
                )
    return None


def _check_options(options: dict[str, Any]) -> Reply | None:
    """``options.urlShortenerOptions``: an object of booleans and a ``shortenerType`` string."""
    shortener = options.get("urlShortenerOptions", {})
    if not isinstance(shortener, dict):
        return _invalid_options("options.urlShortenerOptions must be an object")
    for name, (kind, wanted) in _SHORTENER_OPTIONS.items():
        if name in shortener and not isinstance(shortener[name], kind):
            return _invalid_options(f"options.urlShortenerOptions.{name} must be {wanted}")
    return None


def _apply(definition: Definition, payload: dict[str, Any], world: World) -> None:
    if "name" in payload:
        definition.name = payload["name"]
    if "description" in payload:
        definition.description = payload["description"]
    if "status" in payload:
        definition.active = payload["status"].lower() == "active"
    if "message" in payload.get("content", {}):
        definition.content = {"message": payload["content"]["message"]}
    for name, value in payload.get("subscriptions", {}).items():
        if name in ("shortCode", "countryCode", "keyword", "autoAddSubscriber", "updateSubscriber"):
            definition.subscriptions[name] = value
    if "options" in payload:
        definition.options = payload["options"]


def _filtered(expression: str | None, world: World) -> list[Definition] | Reply:
    everything = [*world.state.definitions.values(), *world.state.archived]
    if expression is None:
        return everything
    match = _FILTER.fullmatch(expression)
    if match is None:
        return error(
            400, 10005, "MCMS_UTM_Validation_InvalidValue: $filter is 'status eq|neq <status>'"
        )
    operator, wanted = match.group(1).lower(), match.group(2).capitalize()
    return [d for d in everything if (d.status == wanted) == (operator == "eq")]


def _ordered(expression: str | None, found: list[Definition]) -> list[Definition] | Reply:
    if expression is None:
        return sorted(found, key=lambda d: d.created)
    match = _ORDER.fullmatch(expression)
    if match is None:
        fields = "definitionKey, name, createdDate, modifiedDate or status"
        return error(400, 10005, f"MCMS_UTM_Validation_InvalidValue: $orderBy is one of {fields}")
    key = _ORDER_FIELDS[match.group(1).lower()]
    descending = (match.group(2) or "asc").lower() == "desc"
    return sorted(found, key=key, reverse=descending)


def _invalid_type(detail: str) -> Reply:
    return error(400, 10001, f"MCMS_UTM_Validation_InvalidDataType: {detail}")


def _invalid_options(detail: str) -> Reply:
    return error(400, 109112, f"MCMS_UTM_Validation_InvalidValue_options: {detail}")


def _conflict(detail: str) -> Reply:
    return error(409, 30004, f"MCMS_UTM_Runtime_ObjectAlreadyExists: {detail}")
