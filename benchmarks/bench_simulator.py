"""Throughput and latency of the simulator: loopback (keep-alive), WSGI in-process, responses.

    /work/venv/bin/python benchmarks/bench_simulator.py [--requests N] [--server-process]

Each path sends N single sends with unique messageKeys (the documented example payload)
after one token request, and prints requests/s and p50/p99 latency. ``--server-process``
runs the loopback server in a child process, so client and server do not share one GIL.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sms_contract.exchange import HttpRequest
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from sms_contract.simulator.inprocess import DEFAULT_REST_BASE_URL, simulate
from sms_contract.simulator.server import serve_in_thread
from sms_contract.spec.loading import load_spec
from sms_contract.transports.base import Timeouts, Transport
from sms_contract.transports.http import HttpTransport
from sms_contract.transports.wsgi import WsgiTransport

# The reference page's example request, as the spec records it.
PAYLOAD = json.dumps(load_spec().example("sendSmsToSingleRecipient", "request")).encode()
TOKEN = json.dumps(
    {
        "grant_type": "client_credentials",
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
    }
).encode()
JSON = {"Content-Type": "application/json"}
TIMEOUTS = Timeouts(connect=2, read=10)
CHILD = """
import sys, threading
from sms_contract import Simulator, serve_in_thread
server = serve_in_thread(Simulator())
print(server.base_url, flush=True)
sys.stdin.read()
server.stop()
"""


def run(name: str, transport: Transport, base_url: str, requests: int) -> None:
    token = transport.send(HttpRequest("POST", base_url + "/v2/token", JSON, TOKEN), TIMEOUTS)
    headers = {**JSON, "Authorization": f"Bearer {token.json()['access_token']}"}
    latencies: list[float] = []
    started = time.perf_counter()
    for index in range(requests):
        url = f"{base_url}/messaging/v1/sms/messages/bench-{index:06d}"
        before = time.perf_counter()
        response = transport.send(HttpRequest("POST", url, headers, PAYLOAD), TIMEOUTS)
        latencies.append(time.perf_counter() - before)
        if response.status != 202:
            raise SystemExit(f"{name}: send {index} answered {response.status}")
    _report(name, latencies, time.perf_counter() - started)


def run_raw(name: str, host: str, port: int, requests: int) -> None:
    """The same sends from a minimal keep-alive socket client: the server's own capacity."""
    with socket.create_connection((host, port)) as connection:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = connection.makefile("rb")
        token = _raw_exchange(connection, reader, "/v2/token", TOKEN, "")
        auth = f"Authorization: Bearer {json.loads(token)['access_token']}\r\n"
        latencies: list[float] = []
        started = time.perf_counter()
        for index in range(requests):
            before = time.perf_counter()
            _raw_exchange(
                connection, reader, f"/messaging/v1/sms/messages/raw-{index:06d}", PAYLOAD, auth
            )
            latencies.append(time.perf_counter() - before)
        _report(name, latencies, time.perf_counter() - started)


def _raw_exchange(
    connection: socket.socket, reader: Any, path: str, body: bytes, auth: str
) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n{auth}"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    connection.sendall(head.encode() + body)
    status = reader.readline()
    length = 0
    while (line := reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    payload: bytes = reader.read(length)
    if not status.startswith((b"HTTP/1.1 200", b"HTTP/1.1 202")):
        raise SystemExit(f"raw client: {status!r}")
    return payload


def _report(name: str, latencies: list[float], elapsed: float) -> None:
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"{name:<44} {len(latencies) / elapsed:>8.0f} req/s   "
        f"p50 {cuts[49] * 1000:6.3f} ms   p99 {cuts[98] * 1000:6.3f} ms   "
        f"({len(latencies)} sends in {elapsed:.2f} s)"
    )


@contextmanager
def server_process() -> Iterator[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        yield child.stdout.readline().strip()
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--server-process", action="store_true")
    args = parser.parse_args()

    with serve_in_thread(Simulator()) as server:
        transport = HttpTransport()
        run(
            "loopback requests+HttpTransport, keep-alive", transport, server.base_url, args.requests
        )
        transport.close()
        run_raw("loopback raw socket client, keep-alive", server.host, server.port, args.requests)
    if args.server_process:
        with server_process() as base_url:
            transport = HttpTransport()
            run("loopback, server in a child process", transport, base_url, args.requests)
            transport.close()
    run(
        "WsgiTransport in-process", WsgiTransport(Simulator()), DEFAULT_REST_BASE_URL, args.requests
    )
    simulator = Simulator()
    with simulate(simulator):
        transport = HttpTransport()
        run("responses in-process", transport, DEFAULT_REST_BASE_URL, args.requests)
        transport.close()


if __name__ == "__main__":
    main()
