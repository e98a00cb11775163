"""Spec-to-spec changes: one small spec pair per kind of change, and the diff-spec command."""

import copy
import json
from pathlib import Path

import pytest
import yaml

from sms_contract.cli.diff_spec import register
from sms_contract.cli.main import _Parser
from sms_contract.errors import SpecError
from sms_contract.spec.diff import Change, ChangeKind, diff_specs

SEND = "POST /messaging/v1/sms/messages/{messageKey}"
STATUS = "GET /messaging/v1/sms/messages"
SPEC_FILE = Path(__file__).resolve().parents[2] / "spec" / "sms.openapi.yaml"


def _base() -> dict:
    """A small spec: a send with a $ref'd body and response, and a status query."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/messaging/v1/sms/messages/{messageKey}": {
                "parameters": [{"$ref": "#/components/parameters/MessageKey"}],
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/SendRequest"}
                            }
                        },
                    },
                    "responses": {
                        "202": {
                            "description": "accepted",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Accepted"}
                                }
                            },
                        },
                        "400": {"description": "bad request"},
                    },
                },
            },
            "/messaging/v1/sms/messages": {
                "get": {
                    "parameters": [
                        {"name": "pageSize", "in": "query", "schema": {"type": "integer"}}
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
        "components": {
            "parameters": {
                "MessageKey": {
                    "name": "messageKey",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "maxLength": 100},
                }
            },
            "schemas": {
                "SendRequest": {
                    "type": "object",
                    "required": ["definitionKey", "recipient"],
                    "properties": {
                        "definitionKey": {"type": "string"},
                        "recipient": {"$ref": "#/components/schemas/Recipient"},
                        "content": {
                            "type": "object",
                            "properties": {"message": {"type": "string", "maxLength": 160}},
                        },
                    },
                },
                "Recipient": {
                    "type": "object",
                    "required": ["to"],
                    "properties": {
                        "to": {"type": "string", "minLength": 1, "maxLength": 15},
                        "contactKey": {"type": "string"},
                        "channel": {"type": "string", "enum": ["sms", "mms"]},
                    },
                },
                "Accepted": {
                    "allOf": [{"$ref": "#/components/schemas/Base"}],
                    "properties": {
                        "responses": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["messageKey"],
                                "properties": {"messageKey": {"type": "string"}},
                            },
                        }
                    },
                },
                "Base": {
                    "type": "object",
                    "required": ["requestId"],
                    "properties": {
                        "requestId": {"type": "string"},
                        "errorcode": {"type": "integer", "enum": [0, 109001]},
                    },
                },
            },
        },
    }


def _changed(edit) -> list[Change]:
    old = _base()
    new = copy.deepcopy(old)
    edit(new)
    return diff_specs(old, new)


def _schemas(spec: dict) -> dict:
    return spec["components"]["schemas"]


def _send_op(spec: dict) -> dict:
    return spec["paths"]["/messaging/v1/sms/messages/{messageKey}"]["post"]


def test_identical_specs_have_no_change():
    """A spec compared with itself gives an empty list."""
    assert diff_specs(_base(), _base()) == []


def test_removed_operation_is_breaking():
    """Dropping the status query is reported with its method and path."""

    def edit(spec):
        del spec["paths"]["/messaging/v1/sms/messages"]

    assert _changed(edit) == [Change(ChangeKind.OPERATION_REMOVED, STATUS, STATUS, None, True)]


def test_added_operation_is_not_breaking():
    """A new operation is reported as an addition."""

    def edit(spec):
        spec["paths"]["/messaging/v1/sms/messages"]["delete"] = {"responses": {}}

    name = "DELETE /messaging/v1/sms/messages"
    assert _changed(edit) == [Change(ChangeKind.OPERATION_ADDED, name, None, name, False)]


def test_renamed_path_parameter_is_the_same_operation_and_always_required():
    """/messages/{messageKey} and /messages/{key} are one operation; the new path parameter
    is reported as a required addition even without ``required: true``."""

    def edit(spec):
        paths = spec["paths"]
        paths["/messaging/v1/sms/messages/{key}"] = paths.pop(
            "/messaging/v1/sms/messages/{messageKey}"
        )
        parameter = spec["components"]["parameters"]["MessageKey"]
        parameter["name"] = "key"
        del parameter["required"]

    name = "POST /messaging/v1/sms/messages/{key}"
    assert _changed(edit) == [
        Change(
            ChangeKind.PARAMETER_REMOVED,
            f"{name} path parameter messageKey",
            "messageKey",
            None,
            False,
        ),
        Change(ChangeKind.PARAMETER_ADDED, f"{name} path parameter key", None, "required", True),
    ]


def test_removed_response_field_is_breaking():
    """A property removed from an allOf part of the response schema is found through $ref."""

    def edit(spec):
        del _schemas(spec)["Base"]["properties"]["errorcode"]

    assert _changed(edit) == [
        Change(ChangeKind.FIELD_REMOVED, f"{SEND} response 202 $.errorcode", "optional", None, True)
    ]


def test_removed_response_field_inside_array_items_is_breaking():
    """A field of responses[] items is located as $.responses[*].messageKey."""

    def edit(spec):
        items = _schemas(spec)["Accepted"]["properties"]["responses"]["items"]
        del items["properties"]["messageKey"]
        items["required"] = []

    where = f"{SEND} response 202 $.responses[*].messageKey"
    assert _changed(edit) == [Change(ChangeKind.FIELD_REMOVED, where, "required", None, True)]


def test_response_field_no_longer_required_is_breaking():
    """A response field that may now be missing breaks code that reads it."""

    def edit(spec):
        _schemas(spec)["Base"]["required"] = []

    where = f"{SEND} response 202 $.requestId"
    assert _changed(edit) == [
        Change(ChangeKind.FIELD_BECAME_OPTIONAL, where, "required", "optional", True)
    ]


def test_removed_request_field_is_not_breaking():
    """Clients that still send a removed optional field are not broken by the spec."""

    def edit(spec):
        del _schemas(spec)["Recipient"]["properties"]["contactKey"]

    where = f"{SEND} request $.recipient.contactKey"
    assert _changed(edit) == [Change(ChangeKind.FIELD_REMOVED, where, "optional", None, False)]


def test_new_required_request_field_is_breaking_and_new_optional_one_is_not():
    """A new required field breaks old clients; a new optional one does not."""

    def edit(spec):
        recipient = _schemas(spec)["Recipient"]
        recipient["properties"]["locale"] = {"type": "string"}
        recipient["properties"]["region"] = {"type": "string"}
        recipient["required"] = ["to", "region"]

    assert _changed(edit) == [
        Change(
            ChangeKind.FIELD_ADDED, f"{SEND} request $.recipient.locale", None, "optional", False
        ),
        Change(
            ChangeKind.FIELD_ADDED, f"{SEND} request $.recipient.region", None, "required", True
        ),
    ]


def test_existing_request_field_becoming_required_is_breaking():
    """contactKey moving into required is reported as breaking."""

    def edit(spec):
        _schemas(spec)["Recipient"]["required"] = ["to", "contactKey"]

    where = f"{SEND} request $.recipient.contactKey"
    assert _changed(edit) == [
        Change(ChangeKind.FIELD_BECAME_REQUIRED, where, "optional", "required", True)
    ]


@pytest.mark.parametrize(
    ("keyword", "old", "new"),
    [("maxLength", 15, 12), ("minLength", 1, 5)],
)
def test_tightened_length_on_a_request_field_is_breaking(keyword, old, new):
    """A lower maxLength or a higher minLength on recipient.to rejects old valid sends."""

    def edit(spec):
        _schemas(spec)["Recipient"]["properties"]["to"][keyword] = new

    where = f"{SEND} request $.recipient.to ({keyword})"
    assert _changed(edit) == [Change(ChangeKind.CONSTRAINT_TIGHTENED, where, old, new, True)]


def test_loosened_request_constraint_is_not_breaking():
    """A higher maxLength on the message is reported as loosened."""

    def edit(spec):
        _schemas(spec)["SendRequest"]["properties"]["content"]["properties"]["message"][
            "maxLength"
        ] = 1600

    where = f"{SEND} request $.content.message (maxLength)"
    assert _changed(edit) == [Change(ChangeKind.CONSTRAINT_LOOSENED, where, 160, 1600, False)]


def test_new_maximum_on_a_query_parameter_is_breaking():
    """A maximum added to pageSize is a tightened constraint on the parameter."""

    def edit(spec):
        params = spec["paths"]["/messaging/v1/sms/messages"]["get"]["parameters"]
        params[0]["schema"]["maximum"] = 50

    where = f"{STATUS} query parameter pageSize (maximum)"
    assert _changed(edit) == [Change(ChangeKind.CONSTRAINT_TIGHTENED, where, None, 50, True)]


def test_enum_value_removed_from_a_request_is_breaking_and_added_is_not():
    """Removing 'mms' breaks senders of it; adding 'rcs' does not."""

    def edit(spec):
        _schemas(spec)["Recipient"]["properties"]["channel"]["enum"] = ["sms", "rcs"]

    where = f"{SEND} request $.recipient.channel (enum)"
    assert _changed(edit) == [
        Change(ChangeKind.ENUM_VALUE_REMOVED, where, "mms", None, True),
        Change(ChangeKind.ENUM_VALUE_ADDED, where, None, "rcs", False),
    ]


def test_enum_change_in_a_response_is_not_breaking():
    """A new errorcode value in the response is reported, not flagged breaking."""

    def edit(spec):
        _schemas(spec)["Base"]["properties"]["errorcode"]["enum"] = [0, 109001, 109002]

    where = f"{SEND} response 202 $.errorcode (enum)"
    assert _changed(edit) == [Change(ChangeKind.ENUM_VALUE_ADDED, where, None, 109002, False)]


def test_pattern_added_or_changed_on_a_request_is_breaking():
    """A new pattern on recipient.to, and a changed one, both tighten the request."""

    def added(spec):
        _schemas(spec)["Recipient"]["properties"]["to"]["pattern"] = "^[0-9]+$"

    where = f"{SEND} request $.recipient.to (pattern)"
    assert _changed(added) == [
        Change(ChangeKind.CONSTRAINT_TIGHTENED, where, None, "^[0-9]+$", True)
    ]
    old, new = _base(), _base()
    _schemas(old)["Recipient"]["properties"]["to"]["pattern"] = "^[0-9]+$"
    _schemas(new)["Recipient"]["properties"]["to"]["pattern"] = r"^\+?[0-9]+$"
    assert diff_specs(old, new) == [
        Change(ChangeKind.CONSTRAINT_TIGHTENED, where, "^[0-9]+$", r"^\+?[0-9]+$", True)
    ]


def test_changed_type_is_breaking_in_request_and_response():
    """recipient.to as integer and requestId as integer are both breaking."""

    def edit(spec):
        _schemas(spec)["Recipient"]["properties"]["to"]["type"] = "integer"
        _schemas(spec)["Base"]["properties"]["requestId"]["type"] = "integer"

    assert _changed(edit) == [
        Change(
            ChangeKind.TYPE_CHANGED, f"{SEND} request $.recipient.to", "string", "integer", True
        ),
        Change(
            ChangeKind.TYPE_CHANGED, f"{SEND} response 202 $.requestId", "string", "integer", True
        ),
    ]


def test_widened_request_type_is_not_breaking():
    """A request field that now also accepts null still accepts every old value."""

    def edit(spec):
        _schemas(spec)["Recipient"]["properties"]["contactKey"]["type"] = ["string", "null"]

    where = f"{SEND} request $.recipient.contactKey"
    assert _changed(edit) == [
        Change(ChangeKind.TYPE_CHANGED, where, "string", ["null", "string"], False)
    ]


def test_removed_documented_status_is_breaking():
    """Dropping the documented 400 is reported."""

    def edit(spec):
        del _send_op(spec)["responses"]["400"]

    where = f"{SEND} response"
    assert _changed(edit) == [Change(ChangeKind.STATUS_REMOVED, where, "400", None, True)]


def test_changed_success_status_is_breaking():
    """202 becoming 200 is one success-status change, not a removal and an addition."""

    def edit(spec):
        responses = _send_op(spec)["responses"]
        responses["200"] = responses.pop("202")

    where = f"{SEND} response"
    assert _changed(edit) == [Change(ChangeKind.SUCCESS_STATUS_CHANGED, where, "202", "200", True)]


def test_added_status_is_not_breaking():
    """A newly documented 429 is an addition."""

    def edit(spec):
        _send_op(spec)["responses"]["429"] = {"description": "slow down"}

    assert _changed(edit) == [
        Change(ChangeKind.STATUS_ADDED, f"{SEND} response", None, "429", False)
    ]


def test_added_required_query_parameter_is_breaking():
    """A required query parameter breaks calls without it; an optional one does not."""

    def edit(spec):
        spec["paths"]["/messaging/v1/sms/messages"]["get"]["parameters"] += [
            {"name": "since", "in": "query", "required": True, "schema": {"type": "string"}},
            {"name": "until", "in": "query", "schema": {"type": "string"}},
        ]

    assert _changed(edit) == [
        Change(
            ChangeKind.PARAMETER_ADDED, f"{STATUS} query parameter since", None, "required", True
        ),
        Change(
            ChangeKind.PARAMETER_ADDED, f"{STATUS} query parameter until", None, "optional", False
        ),
    ]


def test_new_path_segment_is_another_operation():
    """A path that gains a segment is the old operation removed and a new one added."""

    def edit(spec):
        paths = spec["paths"]
        paths["/messaging/v1/sms/messages/{group}"] = paths.pop("/messaging/v1/sms/messages")

    changes = _changed(edit)
    assert [(c.kind, c.location, c.breaking) for c in changes] == [
        (ChangeKind.OPERATION_REMOVED, STATUS, True),
        (ChangeKind.OPERATION_ADDED, "GET /messaging/v1/sms/messages/{group}", False),
    ]


def test_unresolvable_ref_is_a_spec_error():
    """A $ref to nothing names the reference."""

    def edit(spec):
        _schemas(spec)["SendRequest"]["properties"]["recipient"]["$ref"] = "#/components/x/Gone"

    with pytest.raises(SpecError) as caught:
        _changed(edit)
    assert str(caught.value) == "$ref '#/components/x/Gone' does not resolve"


def test_recursive_schema_terminates():
    """A schema that refers to itself is compared without endless recursion."""
    old = _base()
    _schemas(old)["Recipient"]["properties"]["next"] = {"$ref": "#/components/schemas/Recipient"}
    new = copy.deepcopy(old)
    _schemas(new)["Recipient"]["properties"]["to"]["maxLength"] = 14
    changes = diff_specs(old, new)
    assert changes[0] == Change(
        ChangeKind.CONSTRAINT_TIGHTENED, f"{SEND} request $.recipient.to (maxLength)", 15, 14, True
    )
    assert changes[1].location == f"{SEND} request $.recipient.next.to (maxLength)"


def test_real_spec_diffed_with_itself_has_no_change():
    """spec/sms.openapi.yaml against itself gives no change at all."""
    spec = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    assert len(spec["paths"]) >= 6
    assert diff_specs(spec, copy.deepcopy(spec)) == []


# --- the diff-spec command -----------------------------------------------------------------


def _run(*argv: str) -> int:
    parser = _Parser(prog="sms-contract")
    register(parser.add_subparsers(parser_class=_Parser))
    args = parser.parse_args(["diff-spec", *argv])
    return args.handler(args)


def _files(tmp_path, edit) -> tuple[str, str]:
    old, new = _base(), _base()
    edit(new)
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(old))
    (tmp_path / "new.json").write_text(json.dumps(new))
    return str(tmp_path / "old.yaml"), str(tmp_path / "new.json")


def test_command_prints_one_line_per_change_and_exits_1_on_breaking(tmp_path, capsys):
    """Breaking lines come first, then the summary; the exit code is 1."""

    def edit(spec):
        _schemas(spec)["Recipient"]["properties"]["to"]["maxLength"] = 12
        _send_op(spec)["responses"]["429"] = {"description": "slow down"}

    assert _run(*_files(tmp_path, edit)) == 1
    assert capsys.readouterr().out == (
        f"BREAKING constraint-tightened: {SEND} request $.recipient.to (maxLength): 15 -> 12\n"
        f"ok       status-added: {SEND} response: None -> '429'\n"
        "2 changes, 1 breaking\n"
    )


def test_command_exits_0_without_breaking_changes(tmp_path, capsys):
    """Only additions: exit 0, and the JSON format lists them."""

    def edit(spec):
        _send_op(spec)["responses"]["429"] = {"description": "slow down"}

    assert _run(*_files(tmp_path, edit), "--format", "json") == 0
    assert json.loads(capsys.readouterr().out) == {
        "breaking": 0,
        "total": 1,
        "changes": [
            {
                "kind": "status-added",
                "location": f"{SEND} response",
                "old": None,
                "new": "429",
                "breaking": False,
            }
        ],
    }


def test_command_refuses_unreadable_and_non_openapi_files(tmp_path):
    """A missing file and a YAML file that is not a spec are SpecErrors naming the file."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(_base()))
    missing = tmp_path / "missing.yaml"
    with pytest.raises(SpecError) as caught:
        _run(str(spec), str(missing))
    assert str(caught.value) == f"{missing}: cannot read (No such file or directory)"
    other = tmp_path / "other.yaml"
    other.write_text("just: a mapping\n")
    with pytest.raises(SpecError) as caught:
        _run(str(other), str(spec))
    assert str(caught.value) == f"{other}: not an OpenAPI document (no 'openapi' or 'paths' key)"
