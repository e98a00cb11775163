"""The client over the real ``HttpTransport`` to a 127.0.0.1 server: the key survives requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from sms_contract.client.config import ClientConfig
from sms_contract.client.results import Accepted
from sms_contract.client.sms_client import SmsClient
from sms_contract.transports.http import HttpTransport

# "." and ".." are sent as %2E and %2E%2E: the transport keeps requests from un-escaping them
# into dot segments.
KEYS = [
    "a/b",
    "100%",
    "why?",
    "#1",
    "a+b",
    "two words",
    "café",
    "🙂",
    "%2F",
    "a;b=c",
    "x&y",
    ".",
    "..",
    "a/../b",
]


class _Recorder(BaseHTTPRequestHandler):
    paths: ClassVar[list[str]]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.paths.append(self.path)
        body = json.dumps({"requestId": "r", "errorcode": 0, "responses": []}).encode()
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A 127.0.0.1 server recording the raw request paths it receives."""
    paths: list[str] = []
    handler = type("Recorder", (_Recorder,), {"paths": paths})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", paths
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.mark.loopback
def test_every_key_arrives_percent_encoded_over_a_socket(server):
    """The raw request line carries each key as one percent-encoded segment."""
    base_url, paths = server
    config = ClientConfig(access_token="loopback-token", rest_base_url=base_url)
    with SmsClient(config, HttpTransport()) as client:
        results = [client.send_to_one({}, message_key=key) for key in KEYS]
    assert all(isinstance(result, Accepted) for result in results)
    assert paths == [
        "/messaging/v1/sms/messages/a%2Fb",
        "/messaging/v1/sms/messages/100%25",
        "/messaging/v1/sms/messages/why%3F",
        "/messaging/v1/sms/messages/%231",
        "/messaging/v1/sms/messages/a%2Bb",
        "/messaging/v1/sms/messages/two%20words",
        "/messaging/v1/sms/messages/caf%C3%A9",
        "/messaging/v1/sms/messages/%F0%9F%99%82",
        "/messaging/v1/sms/messages/%252F",
        "/messaging/v1/sms/messages/a%3Bb%3Dc",
        "/messaging/v1/sms/messages/x%26y",
        "/messaging/v1/sms/messages/%2E",
        "/messaging/v1/sms/messages/%2E%2E",
        "/messaging/v1/sms/messages/a%2F..%2Fb",
    ]
