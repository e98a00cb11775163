"""The one scrubbing rule set: what is replaced, and that placeholders are consistent."""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from sms_contract.exchange import HttpRequest, HttpResponse
from sms_contract.redaction import Scrubber

PHONE = "15555550142"
SECRET = "canary-client-secret-7f3a"
TOKEN = "canary-access-token-9b1c"


def _send(phone: str = PHONE) -> HttpRequest:
    body = {
        "definitionKey": "account-reset",
        "recipient": {
            "to": phone,
            "contactKey": "Astro25",
            "attributes": {"FirstName": "Astro", "password": "1234567890ab"},
        },
        "content": {"message": "your code is 9911"},
    }
    return HttpRequest(
        "POST",
        "https://x.invalid/messaging/v1/sms/messages/k1",
        {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        json.dumps(body).encode(),
    )


def test_request_scrubs_authorization_phone_attributes_and_message():
    """Authorization, recipient.to, the contactKey, attribute values and message text are all
    replaced."""
    scrubbed = Scrubber().request(_send())
    assert scrubbed["headers"] == {
        "Authorization": "<redacted>",
        "Content-Type": "application/json",
    }
    assert scrubbed["body"]["recipient"] == {
        "to": "<phone-1>",
        "contactKey": "<contact-1>",
        "attributes": {"FirstName": "<attribute-1>", "password": "<attribute-2>"},
    }
    assert scrubbed["body"]["content"] == {"message": "<message-1>"}


def test_same_phone_number_gets_the_same_placeholder_everywhere():
    """A value scrubbed once is replaced in later bodies, URLs and free text too."""
    scrubber = Scrubber()
    first = scrubber.request(_send())
    second = scrubber.request(_send())
    assert first["body"]["recipient"]["to"] == second["body"]["recipient"]["to"] == "<phone-1>"
    assert scrubber.text(f"rejected {PHONE} twice") == "rejected <phone-1> twice"
    other = scrubber.request(_send("15555550199"))
    assert other["body"]["recipient"]["to"] == "<phone-2>"


def test_token_response_and_known_secrets_are_scrubbed():
    """access_token in a token response and constructor secrets never survive."""
    scrubber = Scrubber([SECRET])
    response = HttpResponse(
        200,
        {"Content-Type": "application/json"},
        json.dumps({"access_token": TOKEN, "expires_in": 1080, "note": f"x{SECRET}x"}).encode(),
    )
    scrubbed = json.dumps(scrubber.response(response))
    assert TOKEN not in scrubbed
    assert SECRET not in scrubbed
    assert '"expires_in": 1080' in scrubbed


def test_curl_line_carries_no_secret_and_names_the_token_variable():
    """The reproduction line reads the token from ${SFMC_ACCESS_TOKEN}, in double quotes so
    that the shell expands it, and names each scrubbed value to fill in."""
    curl = Scrubber().curl(_send())
    assert TOKEN not in curl
    assert PHONE not in curl
    assert '-H "Authorization: Bearer ${SFMC_ACCESS_TOKEN}"' in curl
    assert curl.startswith("curl -X POST 'https://x.invalid/messaging/v1/sms/messages/k1'")
    assert curl.endswith(
        "  # scrubbed: fill in <phone-1> (a --to number); <contact-1> (a contact key); "
        "<attribute-1>, <attribute-2> (attribute values); <message-1> (a message text) "
        "before running"
    )


def _as_bash_passes_it(curl: str, token: str) -> tuple[list[str], bytes]:
    """The arguments and the standard input that bash hands to ``curl`` for ``curl`` (a
    shell function stands in for the program: nothing is sent)."""
    stand_in = 'curl() { printf "%s\\0" "$@" > args; cat > stdin; }; '
    with tempfile.TemporaryDirectory() as directory:
        environment = {"PATH": os.environ.get("PATH", ""), "SFMC_ACCESS_TOKEN": token}
        subprocess.run(
            ["bash", "-c", stand_in + curl],
            cwd=directory,
            env=environment,
            stdin=subprocess.DEVNULL,
            check=True,
            timeout=30,
        )
        args = Path(directory, "args").read_bytes().decode("utf-8").split("\0")[:-1]
        return args, Path(directory, "stdin").read_bytes()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
@pytest.mark.parametrize(
    "body",
    [
        '{"definitionKey": "it\'s $HOME `id` \\"q\\" \\\\ é 名 🙂", "n": 1.50}',
        "not json at all: 'quoted' $(id) ${HOME}",
        '{"a":1,  "b":"spacing kept"}',
    ],
    ids=["json-with-quotes-dollars-unicode", "text", "spacing"],
)
def test_curl_line_passes_a_body_with_nothing_to_scrub_byte_for_byte(body: str) -> None:
    """Run by bash, the line hands curl the body exactly as it was sent ($, quotes, backticks
    and non-ASCII literal), and the token from the variable."""
    request = HttpRequest(
        "POST",
        "https://x.invalid/messaging/v1/sms/messages/k$1'",
        {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        body.encode("utf-8"),
    )
    curl = Scrubber().curl(request)
    args, _ = _as_bash_passes_it(curl, "from-the-variable")
    assert "#" not in curl.rsplit("'", 1)[-1]  # nothing scrubbed: no note to fill anything in
    assert args[args.index("--data-raw") + 1] == body
    assert "Authorization: Bearer from-the-variable" in args
    assert "https://x.invalid/messaging/v1/sms/messages/k$1'" in args


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_curl_line_pipes_a_body_that_is_not_text_through_printf_unchanged() -> None:
    """A body that is not UTF-8, or holds control characters, is written with octal escapes
    and piped in (--data-binary @-): the bytes arrive as sent, the terminal sees none."""
    body = b'{"definitionKey": "\xff\xfe"}\n\x1b[31m\\0\x00'
    request = HttpRequest("POST", "https://x.invalid/m/k", {"Content-Type": "text/plain"}, body)
    curl = Scrubber().curl(request)
    args, stdin = _as_bash_passes_it(curl, "t")
    assert curl.startswith("printf '%b' '")
    assert "\x1b" not in curl
    assert "\x00" not in curl
    assert args[-2:] == ["--data-binary", "@-"]
    assert stdin == body


def test_curl_line_keeps_curl_from_adding_a_content_type_the_request_did_not_have() -> None:
    """A body sent without Content-Type gets ``-H 'Content-Type:'`` (curl would otherwise add
    application/x-www-form-urlencoded and send another request)."""
    request = HttpRequest("POST", "https://x.invalid/m/k", {}, b"{}")
    assert Scrubber().curl(request) == (
        "curl -X POST 'https://x.invalid/m/k' -H 'Content-Type:' --data-raw '{}'"
    )


def test_curl_line_never_sends_a_duplicated_member_as_it_was_sent() -> None:
    """A JSON body with a member twice is shown scrubbed, never verbatim: the value hidden
    under the first copy of a secret key cannot reach the line."""
    body = b'{"client_secret": "' + SECRET.encode() + b'", "client_secret": ""}'
    curl = Scrubber().curl(HttpRequest("POST", "https://x.invalid/t", {}, body))
    assert SECRET not in curl


def test_known_phones_are_scrubbed_from_urls_before_any_body_is_seen():
    """Allow-listed numbers handed to the scrubber are replaced wherever they appear."""
    scrubber = Scrubber(known_phones=[PHONE])
    request = HttpRequest("GET", f"https://x.invalid/messaging/v1/sms/messages/{PHONE}")
    assert (
        scrubber.request(request)["url"] == "https://x.invalid/messaging/v1/sms/messages/<phone-1>"
    )


def test_non_json_body_is_scrubbed_as_text():
    """A body that is not JSON is kept as text with known values replaced."""
    scrubber = Scrubber([SECRET])
    assert scrubber.body(f"secret={SECRET}".encode()) == "secret=<secret-1>"


def test_form_encoded_body_is_scrubbed_by_key_like_json():
    """client_secret, to and token in a form body become placeholders; other pairs stay."""
    scrubber = Scrubber()
    form = f"grant_type=client_credentials&client_secret={SECRET}&to={PHONE}"
    typed = scrubber.body(form.encode(), "application/x-www-form-urlencoded; charset=utf-8")
    untyped = Scrubber().body(form.encode())
    expected = "grant_type=client_credentials&client_secret=<secret-1>&to=<phone-1>"
    assert (typed, untyped) == (expected, expected)


def test_query_string_is_scrubbed_by_key_in_urls_and_curl_lines():
    """?access_token=... in a URL is replaced in the request dict and in the curl line."""
    scrubber = Scrubber()
    request = HttpRequest("GET", f"https://x.invalid/v1/messages?access_token={TOKEN}&page=2")
    scrubbed = scrubber.request(request)
    assert scrubbed["url"] == "https://x.invalid/v1/messages?access_token=<secret-1>&page=2"
    assert TOKEN not in scrubber.curl(request)


def test_a_scrubbed_value_is_never_scrubbed_again():
    """Scrubbing a scrubbed body again (a recording replayed) leaves every placeholder as it
    is, even when a known secret is a substring of a placeholder ("ret-1" in "<secret-1>")."""
    scrubber = Scrubber(["ret-1", SECRET])
    once = scrubber.request(_send())["body"]
    twice = Scrubber(["ret-1", SECRET]).json(once)
    assert twice == once
    renumbering = Scrubber(known_phones=["15555550100"])  # its own <phone-1> is taken
    assert renumbering.json({"to": "<phone-1>"}) == {"to": "<phone-1>"}
    assert scrubber.text("<secret-1> and <phone-2> and <redacted>") == (
        "<secret-1> and <phone-2> and <redacted>"
    )
    assert scrubber.text("x ret-1 y") == "x <secret-1> y"


def test_a_short_known_value_is_replaced_when_it_is_the_whole_string():
    """A 3-character client id given to the constructor: a string equal to it is replaced,
    the same letters inside a word are not."""
    scrubber = Scrubber(["cid"])
    assert scrubber.json({"client_id": "cid", "note": "acidic"}) == {
        "client_id": "<secret-1>",
        "note": "acidic",
    }


def test_a_boolean_under_a_sensitive_key_is_kept():
    """A boolean carries no secret and no number: recipient.to = true stays true."""
    assert Scrubber().json({"to": True, "token": False}) == {"to": True, "token": False}


def test_json_nested_too_deeply_to_walk_is_withheld_not_leaked():
    """A body deeper than the scrubber can walk is replaced whole, never passed through."""
    for depth in (600, 5000):  # parsed but too deep to walk; too deep even to parse
        deep = b'{"to": "15555550142", "x": ' + b"[" * depth + b"]" * depth + b"}"
        shown = Scrubber().body(deep)
        assert shown == f"<a JSON body of {len(deep)} bytes, nested too deeply to scrub: not shown>"


def test_a_document_scrubs_alike_whatever_was_scrubbed_before_it() -> None:
    """A recording made in a long run and a replay made alone see the same placeholders:
    a value is replaced wherever the document holds it, whatever the order of its members."""
    body = {"definitionKey": "Astro25", "recipient": {"attributes": {"FirstName": "Astro"}}}
    alone = Scrubber().json(body)
    after = Scrubber()
    after.json({"recipient": {"attributes": {"FirstName": "Astro"}}})
    assert after.json(body) == alone
    assert alone == {
        "definitionKey": "<attribute-1>25",
        "recipient": {"attributes": {"FirstName": "<attribute-1>"}},
    }


@pytest.mark.parametrize("key", ["contactKey", "subscriberKey", "ContactKey"])
def test_a_contact_key_is_personal_data_and_is_scrubbed_wherever_it_appears(key: str) -> None:
    """A contactKey (subscriberKey in events) names a person, often by email address: it is
    replaced in a request, a status answer and any text that repeats it."""
    scrubber = Scrubber()
    shown = scrubber.json({"recipient": {key: "jane.doe@example.com", "to": PHONE}})
    assert shown == {"recipient": {key: "<contact-1>", "to": "<phone-1>"}}
    status = scrubber.json({"info": {"messageKey": "k1", key: "jane.doe@example.com"}})
    assert status == {"info": {"messageKey": "k1", key: "<contact-1>"}}
    assert scrubber.text("no subscriber jane.doe@example.com") == "no subscriber <contact-1>"
