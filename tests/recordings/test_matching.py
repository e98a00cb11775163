"""Matchers return a reason naming the field and both values; find_match explains a miss."""

import pytest

from sms_contract.errors import CassetteMiss
from sms_contract.recordings.cassettes import Interaction, RecordedRequest, RecordedResponse
from sms_contract.recordings.matching import body, find_match, json_differences, method, path, query

SEND = "/messaging/v1/sms/messages/k1"


def _send(**recipient) -> RecordedRequest:
    fields = {"contactKey": "Astro25", "to": "<phone-1>", **recipient}
    return RecordedRequest("POST", SEND, json={"definitionKey": "d", "recipient": fields})


def _interaction(request: RecordedRequest, check: str = "send", case: str = "1") -> Interaction:
    return Interaction(check, case, request, RecordedResponse(202, {}, json={"case": case}))


def test_method_reason_names_both_methods():
    """A different method is reported with the recorded and the sent one."""
    assert method(RecordedRequest("POST", "/"), RecordedRequest("GET", "/")) == (
        "method: recorded 'POST', sent 'GET'"
    )


def test_path_matches_after_percent_encoding_normalisation():
    """%7e and ~ are the same path; %2f and %2F too; a different key is not."""
    recorded = RecordedRequest("GET", "/a%7eb/c%2fd")
    assert path(recorded, RecordedRequest("GET", "/a~b/c%2Fd")) is None
    assert path(recorded, RecordedRequest("GET", "/a~b/other")) == (
        "path: recorded '/a%7eb/c%2fd', sent '/a~b/other'"
    )


def test_query_is_compared_by_name_in_any_order():
    """Parameter order and repeated-value order do not matter; a changed value does."""
    recorded = RecordedRequest("GET", "/", query={"a": ("1", "2"), "b": ("x",)})
    same = RecordedRequest("GET", "/", query={"b": ("x",), "a": ("2", "1")})
    changed = RecordedRequest("GET", "/", query={"a": ("1", "2"), "b": ("y",), "c": ("z",)})
    assert query(recorded, same) is None
    assert query(recorded, changed) == (
        "query b: recorded ['x'], sent ['y']\nquery c: recorded (absent), sent ['z']"
    )


def test_json_body_key_order_is_ignored():
    """Two bodies with the same members in another order match."""
    recorded = RecordedRequest("POST", "/", json={"a": 1, "b": {"c": [1, 2], "d": None}})
    sent = RecordedRequest("POST", "/", json={"b": {"d": None, "c": [1, 2]}, "a": 1})
    assert body(recorded, sent) is None


def test_body_reason_names_the_json_path_and_both_values():
    """A changed contactKey is reported at $.recipient.contactKey with both values."""
    assert body(_send(), _send(contactKey="Codey36")) == (
        "body $.recipient.contactKey: recorded 'Astro25', sent 'Codey36'"
    )


def test_json_differences_report_missing_and_extra_members():
    """A member on one side only shows as (absent) on the other; list items by index."""
    differences = json_differences({"a": [1, 2], "b": "x"}, {"a": [1], "c": "y"})
    assert [str(d) for d in differences] == [
        "$.a[1]: recorded 2, sent (absent)",
        "$.b: recorded 'x', sent (absent)",
        "$.c: recorded (absent), sent 'y'",
    ]


def test_json_booleans_are_not_numbers_but_1_is_1_point_0():
    """true differs from 1; the JSON number 1 equals 1.0."""
    assert [str(d) for d in json_differences({"a": True}, {"a": 1})] == [
        "$.a: recorded True, sent 1"
    ]
    assert json_differences({"a": 1}, {"a": 1.0}) == []


def test_placeholders_match_when_renamed_one_to_one():
    """<phone-1> twice matches <phone-4> twice, but not two different phones or a secret."""
    recorded = {"to": ["<phone-1>", "<phone-1>"]}
    assert json_differences(recorded, {"to": ["<phone-4>", "<phone-4>"]}) == []
    assert [str(d) for d in json_differences(recorded, {"to": ["<phone-4>", "<phone-5>"]})] == [
        "$.to[1]: recorded '<phone-1>', sent '<phone-5>'"
    ]
    assert [str(d) for d in json_differences({"to": "<phone-1>"}, {"to": "<secret-1>"})] == [
        "$.to: recorded '<phone-1>', sent '<secret-1>'"
    ]


def test_text_bodies_are_compared_as_text():
    """Form bodies compare as text, placeholders renamed; a JSON body never equals text."""
    recorded = RecordedRequest("POST", "/", body="client_secret=<secret-1>")
    assert body(recorded, RecordedRequest("POST", "/", body="client_secret=<secret-3>")) is None
    assert body(recorded, RecordedRequest("POST", "/", json={"a": 1})) == (
        "body: recorded 'client_secret=<secret-1>', sent {'a': 1}"
    )
    assert body(RecordedRequest("GET", "/"), RecordedRequest("GET", "/")) is None


def test_the_same_interaction_answers_repeated_requests():
    """Nothing is consumed: one recording answers the same request any number of times."""
    only = _interaction(_send())
    assert [find_match([only], _send()) for _ in range(3)] == [only, only, only]


def test_preferred_case_wins_among_identical_requests():
    """When scrubbing made two cases' requests equal, the case being replayed is chosen."""
    plus, digits = _interaction(_send(), case="plus"), _interaction(_send(), case="digits")
    assert find_match([plus, digits], _send()) is plus
    assert find_match([plus, digits], _send(), prefer=("send", "digits")) is digits
    assert find_match([plus, digits], _send(), prefer=("other", "x")) is plus


def test_miss_names_the_request_nearest_interaction_and_differing_field():
    """The nearest recording has the fewest failing matchers, then the smallest body diff."""
    far = _interaction(RecordedRequest("GET", "/other"), check="status")
    two_fields = _interaction(_send(contactKey="Codey36", extra="x"), case="2")
    one_field = _interaction(_send(contactKey="Codey36"), case="3")
    with pytest.raises(CassetteMiss) as caught:
        find_match([far, two_fields, one_field], _send())
    assert str(caught.value) == (
        f"no recorded interaction matches POST {SEND} (searched 3 interactions)\n"
        f"nearest: check 'send' case '3' (POST {SEND}), which differs in:\n"
        "  body $.recipient.contactKey: recorded 'Codey36', sent 'Astro25'"
    )


def test_miss_with_no_recordings_says_so():
    """An empty cassette set gives a miss that says there was nothing to match."""
    with pytest.raises(CassetteMiss) as caught:
        find_match([], RecordedRequest("GET", "/x"))
    assert str(caught.value) == (
        "no recorded interaction matches GET /x: the cassettes hold no interactions"
    )
