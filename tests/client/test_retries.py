"""Retries: bounded, honouring Retry-After, and never delivering a send twice."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from sms_contract.client.config import RetryPolicy
from sms_contract.client.results import Accepted, Rejected
from sms_contract.errors import ApiError, ResponseLost, TransportError
from sms_contract.exchange import HttpRequest, HttpResponse
from sms_contract.spec.rules import RejectionForm
from sms_contract.testing import json_response

from .conftest import PAYLOAD, PHONE, accept, credentials, rest_requests

RATE_LIMITED = {"message": "Rate limit exceeded", "errorcode": 50100, "retryAfter": 5}
DUPLICATE = {
    "message": "MCMS_UTM_Validation_DuplicateMessageKey: messageKey reused within the past 2 days",
    "errorcode": 109110,
    "documentation": "https://developer.salesforce.com/docs",
}
DUPLICATE_IN_202 = {
    "requestId": "r-9",
    "errorcode": 109001,
    "responses": [{"messageKey": "k1", "errorcode": 109110, "message": DUPLICATE["message"]}],
}

Step = HttpResponse | Exception | None  # None: accept the send


def script(steps: Iterable[Step]) -> Callable[[HttpRequest], HttpResponse]:
    """Answers REST requests with ``steps`` in order, then accepts every send."""
    remaining = iter(steps)

    def handler(request: HttpRequest) -> HttpResponse:
        step = next(remaining, None)
        if isinstance(step, Exception):
            raise step
        return step if step is not None else accept(request)

    return handler


class TestRateLimits:
    def test_429_retry_after_header_is_honoured(self, make_client, clock):
        """Sleeps exactly Retry-After seconds, then the retry is accepted."""
        client, transport = make_client(
            script([json_response(429, RATE_LIMITED, headers={"Retry-After": "7"})])
        )
        result = client.send_to_one(PAYLOAD, message_key="k1")
        assert isinstance(result, Accepted)
        assert result.attempts == 2
        assert clock.sleeps == [7.0]
        assert len(rest_requests(transport)) == 2

    def test_429_without_header_uses_the_body_retry_after(self, make_client, clock):
        """The documented 429 body carries retryAfter: 5."""
        client, _ = make_client(script([json_response(429, RATE_LIMITED)]))
        assert isinstance(client.send_to_one(PAYLOAD), Accepted)
        assert clock.sleeps == [5.0]

    def test_429_without_any_delay_backs_off(self, make_client, clock):
        """The 50200 "temporarily blocked" body has no retryAfter: 2, then 4 seconds."""
        blocked = json_response(429, {"message": "blocked", "errorcode": 50200})
        client, _ = make_client(script([blocked, blocked]))
        assert isinstance(client.send_to_one(PAYLOAD), Accepted)
        assert clock.sleeps == [2.0, 4.0]

    def test_retry_after_beyond_the_cap_gives_up(self, make_client, clock):
        """Retry-After 120 s is not waited for; the send raises ApiError with status 429."""
        too_long = json_response(429, RATE_LIMITED, headers={"Retry-After": "120"})
        client, transport = make_client(script([too_long]))
        with pytest.raises(ApiError) as caught:
            client.send_to_one(PAYLOAD, message_key="k1")
        assert caught.value.status == 429
        assert str(caught.value) == (
            "POST /messaging/v1/sms/messages/k1: HTTP 429 after 1 attempt(s) "
            "(Retry-After 120 s exceeds the cap of 60 s)"
        )
        assert clock.sleeps == []
        assert len(rest_requests(transport)) == 1

    def test_the_raw_request_returns_the_final_429(self, make_client, clock):
        """request() never raises for a status: the harness sees the 429 itself."""
        too_long = json_response(429, RATE_LIMITED, headers={"Retry-After": "61"})
        client, _ = make_client(script([too_long]))
        assert client.request("GET", "/messaging/v1/sms/definitions").status == 429


class TestServerErrors:
    def test_5xx_is_retried_with_doubling_backoff(self, make_client, clock):
        """500, 502, 503 then 202: sleeps 2, 4, 8 seconds."""
        client, _ = make_client(
            script([json_response(500, {}), json_response(502, {}), json_response(503, {})])
        )
        result = client.send_to_one(PAYLOAD, message_key="k1")
        assert isinstance(result, Accepted)
        assert (result.attempts, result.on_earlier_attempt) == (4, False)
        assert clock.sleeps == [2.0, 4.0, 8.0]

    def test_retries_are_bounded_then_api_error(self, make_client, clock):
        """max_attempts=3: three sends, two sleeps, then ApiError carrying the status."""
        client, transport = make_client(
            lambda request: json_response(503, {}),
            config=credentials(retry=RetryPolicy(max_attempts=3)),
        )
        with pytest.raises(ApiError) as caught:
            client.send_to_one(PAYLOAD, message_key="k1")
        assert caught.value.status == 503
        assert str(caught.value) == (
            "POST /messaging/v1/sms/messages/k1: HTTP 503 after 3 attempt(s) (retries exhausted)"
        )
        assert clock.sleeps == [2.0, 4.0]
        assert len(rest_requests(transport)) == 3

    def test_503_retry_after_is_honoured(self, make_client, clock):
        """503/50300 also carries Retry-After (error-handling page)."""
        unavailable = json_response(503, {"errorcode": 50300}, headers={"Retry-After": "3"})
        client, _ = make_client(script([unavailable]))
        assert isinstance(client.send_to_one(PAYLOAD), Accepted)
        assert clock.sleeps == [3.0]

    def test_a_status_read_is_retried_the_same_way(self, make_client, clock):
        """GET status: 500 then 200, with one 2 s backoff."""
        status = json_response(200, {"eventCategoryType": "TransactionalSendEvents.SMSSent"})
        client, transport = make_client(script([json_response(500, {}), status]))
        assert client.message_status("k1").status == 200
        assert clock.sleeps == [2.0]
        assert [r.method for r in rest_requests(transport)] == ["GET", "GET"]

    def test_a_status_read_that_keeps_failing_raises(self, make_client):
        """The named reads raise ApiError after the last retry, like the sends."""
        client, _ = make_client(lambda request: json_response(500, {}))
        with pytest.raises(ApiError, match="GET /messaging/v1/sms/definitions: HTTP 500"):
            client.list_definitions(page_size=10)

    def test_no_retry_when_asked(self, make_client, clock):
        """request(retry=False) sends once and returns the 503."""
        client, transport = make_client(lambda request: json_response(503, {}))
        assert client.request("GET", "/x", retry=False).status == 503
        assert clock.sleeps == []
        assert len(rest_requests(transport)) == 1

    def test_a_5xx_is_retried_at_most_server_error_attempts_minus_one_times(
        self, make_client, clock
    ):
        """A conformance run's policy: a 5xx once more after 0.5 s, then the 5xx is the answer
        (a deterministic 5xx is a finding, not something to wait out); a 429 still gets its
        retries."""
        policy = RetryPolicy(server_error_attempts=2, server_error_backoff=0.5)
        client, transport = make_client(
            lambda request: json_response(500, {}), config=credentials(retry=policy)
        )
        assert client.request("POST", "/messaging/v1/sms/messages/k1", json=PAYLOAD).status == 500
        assert clock.sleeps == [0.5]
        assert len(rest_requests(transport)) == 2


class TestConnectionErrors:
    def test_a_refused_connection_is_retried(self, make_client, clock):
        """TransportError (nothing sent) then success."""
        client, _ = make_client(script([TransportError("refused")]))
        result = client.send_to_one(PAYLOAD)
        assert isinstance(result, Accepted)
        assert result.on_earlier_attempt is False
        assert clock.sleeps == [2.0]

    @pytest.mark.parametrize("what", ["TLS handshake failed", "the host name does not resolve"])
    def test_a_permanent_connection_error_is_never_retried(self, make_client, clock, what):
        """TLS and name-resolution errors cannot pass by themselves: raised at once."""
        client, transport = make_client(script([TransportError(what, permanent=True)]))
        with pytest.raises(TransportError, match=what):
            client.send_to_one(PAYLOAD)
        assert clock.sleeps == []
        assert len(rest_requests(transport)) == 1

    def test_connection_errors_are_bounded(self, make_client):
        """The last TransportError propagates after max_attempts."""
        client, transport = make_client(script([TransportError("refused")] * 4))
        with pytest.raises(TransportError, match="refused"):
            client.send_to_one(PAYLOAD)
        assert len(rest_requests(transport)) == 4


class TestIdempotency:
    def test_lost_response_then_duplicate_key_is_accepted_on_the_earlier_attempt(self, make_client):
        """The earlier attempt was processed; the retry reused its key and got 109110."""
        client, transport = make_client(
            script([ResponseLost("read timeout"), json_response(400, DUPLICATE)])
        )
        result = client.send_to_one(PAYLOAD, message_key="k1")
        assert isinstance(result, Accepted)
        assert (result.message_key, result.attempts, result.on_earlier_attempt) == ("k1", 2, True)
        assert result.request_id is None
        assert [r.path for r in rest_requests(transport)] == [
            "/messaging/v1/sms/messages/k1",
            "/messaging/v1/sms/messages/k1",
        ]
        assert len({r.body for r in rest_requests(transport)}) == 1

    def test_a_generated_key_is_reused_by_the_retry(self, make_client):
        """Without a caller key, both attempts carry the same generated key."""
        client, transport = make_client(script([ResponseLost("dropped")]))
        result = client.send_to_one(PAYLOAD)
        paths = [r.path for r in rest_requests(transport)]
        assert paths == [f"/messaging/v1/sms/messages/{result.message_key}"] * 2

    def test_5xx_then_duplicate_key_in_the_202_form_is_accepted(self, make_client):
        """A 5xx may have been processed too; 202 + 109001 with item 109110 is the same case."""
        client, _ = make_client(
            script([json_response(500, {}), json_response(202, DUPLICATE_IN_202)])
        )
        result = client.send_to_one(PAYLOAD, message_key="k1")
        assert isinstance(result, Accepted)
        assert result.on_earlier_attempt is True

    def test_refused_connection_then_duplicate_key_is_a_rejection(self, make_client):
        """Nothing was sent by the first attempt, so 109110 is a genuine duplicate."""
        client, _ = make_client(script([TransportError("refused"), json_response(400, DUPLICATE)]))
        result = client.send_to_one(PAYLOAD, message_key="k1")
        assert isinstance(result, Rejected)
        assert (result.errorcode, result.attempts) == (109110, 2)

    def test_429_then_duplicate_key_is_a_rejection(self, make_client):
        """A 429 was not processed, so it does not make a later 109110 ours."""
        client, _ = make_client(
            script([json_response(429, RATE_LIMITED), json_response(202, DUPLICATE_IN_202)])
        )
        result = client.send_to_one(PAYLOAD, message_key="k1")
        assert isinstance(result, Rejected)
        assert result.form is RejectionForm.ACCEPTED_WITH_ERRORS

    def test_batch_duplicate_items_after_a_lost_response_are_accepted(self, make_client):
        """Items answered 109110 after a lost attempt count as accepted earlier."""
        answer = {
            "requestId": "r",
            "errorcode": 109001,
            "responses": [
                {"messageKey": "a", "errorcode": 109110, "message": "dup"},
                {"messageKey": "b", "errorcode": 109121, "message": "bad to"},
            ],
        }
        client, _ = make_client(script([ResponseLost("dropped"), json_response(202, answer)]))
        payload = {
            "definitionKey": "d",
            "recipients": [{"to": PHONE, "messageKey": "a"}, {"to": "x", "messageKey": "b"}],
        }
        result = client.send_batch(payload)
        assert result.accepted_keys == ("a",)
        assert [(e.message_key, e.errorcode) for e in result.errors] == [("b", 109121)]
        assert (result.on_earlier_attempt, result.form) == (
            True,
            RejectionForm.ACCEPTED_WITH_ERRORS,
        )

    def test_batch_http_duplicate_after_a_5xx_accepts_every_key(self, make_client):
        """A 400/109110 answer to a retried batch means the earlier attempt went through."""
        client, _ = make_client(script([json_response(502, {}), json_response(400, DUPLICATE)]))
        payload = {"definitionKey": "d", "recipients": [{"messageKey": "a"}, {"messageKey": "b"}]}
        result = client.send_batch(payload)
        assert (result.accepted_keys, result.on_earlier_attempt, result.all_accepted) == (
            ("a", "b"),
            True,
            True,
        )

    def test_batch_without_keys_is_not_retried_after_a_lost_response(self, make_client):
        """A retry without keys could deliver twice, so the lost response propagates."""
        client, transport = make_client(script([ResponseLost("dropped")]))
        payload = {"definitionKey": "d", "recipients": [{"to": PHONE}]}
        with pytest.raises(ResponseLost):
            client.send_batch(payload, fill_message_keys=False)
        assert len(rest_requests(transport)) == 1

    def test_batch_without_keys_is_still_retried_after_a_429(self, make_client, clock):
        """A 429 was not processed, so retrying it cannot deliver twice."""
        ok = json_response(202, {"requestId": "r", "errorcode": 0, "responses": []})
        client, _ = make_client(script([json_response(429, RATE_LIMITED), ok]))
        result = client.send_batch(
            {"definitionKey": "d", "recipients": [{}]}, fill_message_keys=False
        )
        assert (result.status, result.attempts, clock.sleeps) == (202, 2, [5.0])

    def test_batch_without_keys_is_not_retried_after_a_5xx(self, make_client):
        """A 5xx may have been processed: ApiError after the first attempt."""
        client, transport = make_client(script([json_response(500, {})]))
        with pytest.raises(ApiError, match="HTTP 500 after 1 attempt"):
            client.send_batch({"definitionKey": "d", "recipients": [{}]}, fill_message_keys=False)
        assert len(rest_requests(transport)) == 1
