"""Throughput, latency and memory of the simulator: loopback (keep-alive), WSGI in-process,
responses; RSS growth per 100,000 sends; the token endpoint after 25,000 tokens.

    /work/venv/bin/python benchmarks/bench_simulator.py [--requests N] [--server-process]
        [--memory-sends N] [--tokens N] [--skip-throughput] [--skip-memory] [--skip-tokens]

Throughput: each path sends N single sends with unique messageKeys (the documented example
payload) after one token request, and prints requests/s and p50/p99 latency.
``--server-process`` runs the loopback server in a child process, so client and server do not
share one GIL.

Memory: each scenario runs in a fresh child process, sends ``--memory-sends`` (default 100,000)
single sends twice through ``WsgiTransport`` and prints the RSS (``/proc/self/status`` VmRSS,
after ``gc.collect()``) before, after the first round (warm-up) and after the second, whose
growth is the growth per that many sends:

- ``evicting``: ``message_key_window`` and ``status_retention`` of 10 s on a ``ManualClock``
  moved 1 ms per send (1,000 sends/s), so a send is evicted 10 s (10,000 sends) after it was
  accepted: steady state is 10,000 sends held, and the second round should not grow;
- ``documented, clock still``: the default configuration (2-day window, 3-day statuses) on a
  clock that does not move, so nothing may be evicted: the growth is what one remembered send
  (its key and its status) costs.

Tokens: a simulator on loopback; token requests/s (``HttpTransport``, keep-alive, ``--tokens``
requests, default 1,000) at the start, then after 25,000 tokens in all were issued (the filler
issued in-process into the same simulator, all still valid on the wall clock), over loopback
and in-process.
"""

from __future__ import annotations

import argparse
import gc
import json
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sms_contract.exchange import HttpRequest
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.clock import ManualClock
from sms_contract.simulator.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SimulatorConfig
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
def server_process_url() -> Iterator[str]:
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


MEMORY_SCENARIOS = {
    "evicting": "window and retention 10 s, clock +1 ms per send",
    "documented": "documented defaults, clock still (nothing evictable)",
}
TOKENS_ISSUED = 25_000


def rss_mib() -> float | None:
    """The resident set size of this process in MiB (Linux ``VmRSS``), after a collection."""
    gc.collect()
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def memory_child(scenario: str, sends: int) -> None:
    """One memory scenario (in a fresh process): prints one JSON line of RSS figures."""
    clock = ManualClock()
    step = 0.0
    if scenario == "evicting":
        config = SimulatorConfig(message_key_window=10.0, status_retention=10.0)
        step = 0.001
    else:
        config = SimulatorConfig()
    simulator = Simulator(config, clock=clock)
    transport = WsgiTransport(simulator)
    base = DEFAULT_REST_BASE_URL
    token = transport.send(HttpRequest("POST", base + "/v2/token", JSON, TOKEN), TIMEOUTS)
    headers = {**JSON, "Authorization": f"Bearer {token.json()['access_token']}"}
    figures: dict[str, Any] = {"start": rss_mib()}
    for round_name in ("warm", "end"):
        started = time.perf_counter()
        for index in range(sends):
            url = f"{base}/messaging/v1/sms/messages/{round_name}-{index:07d}"
            response = transport.send(HttpRequest("POST", url, headers, PAYLOAD), TIMEOUTS)
            if response.status != 202:
                raise SystemExit(f"memory {scenario}: send {index} answered {response.status}")
            clock.advance(step)
        figures[f"{round_name}_seconds"] = time.perf_counter() - started
        figures[round_name] = rss_mib()
    sizes = simulator.sizes if hasattr(simulator, "sizes") else None  # absent before issue 10
    figures["messages_held"] = None if sizes is None else sizes.messages
    print(json.dumps(figures), flush=True)


def run_memory(sends: int) -> None:
    for scenario, label in MEMORY_SCENARIOS.items():
        child = subprocess.run(
            [sys.executable, __file__, "--memory-child", scenario, "--memory-sends", str(sends)],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if child.returncode != 0:
            raise SystemExit(f"memory {scenario}: {child.stderr.strip()}")
        got = json.loads(child.stdout.strip().splitlines()[-1])
        if None in (got["start"], got["warm"], got["end"]):
            print(f"memory, {label}: RSS unavailable (no /proc/self/status)")
            continue
        per_100k = (got["end"] - got["warm"]) * 100_000 / sends
        print(
            f"memory, {label:<52} RSS {got['start']:6.1f} -> {got['warm']:6.1f} -> "
            f"{got['end']:6.1f} MiB   growth {per_100k:+7.1f} MiB per 100,000 sends   "
            f"(held {got['messages_held']}; rounds of {sends} in {got['warm_seconds']:.1f} s "
            f"and {got['end_seconds']:.1f} s)"
        )


def token_rate(transport: Transport, base_url: str, requests: int) -> float:
    started = time.perf_counter()
    for index in range(requests):
        request = HttpRequest("POST", base_url + "/v2/token", JSON, TOKEN)
        response = transport.send(request, TIMEOUTS)
        if response.status != 200:
            raise SystemExit(f"token request {index} answered {response.status}")
    return requests / (time.perf_counter() - started)


def run_tokens(requests: int) -> None:
    simulator = Simulator()
    in_process = WsgiTransport(simulator)
    with serve_in_thread(simulator) as server:
        transport = HttpTransport()
        token_rate(transport, server.base_url, 50)  # connection and first-use costs
        loopback_start = token_rate(transport, server.base_url, requests)
        wsgi_start = token_rate(in_process, DEFAULT_REST_BASE_URL, requests)
        filler = TOKENS_ISSUED - 50 - 2 * requests
        token_rate(in_process, DEFAULT_REST_BASE_URL, max(0, filler))
        issued = simulator.counters.token_requests
        held = simulator.sizes.tokens if hasattr(simulator, "sizes") else "?"  # since issue 10
        loopback_after = token_rate(transport, server.base_url, requests)
        wsgi_after = token_rate(in_process, DEFAULT_REST_BASE_URL, requests)
        transport.close()
    for name, start, after in (
        ("loopback requests+HttpTransport", loopback_start, loopback_after),
        ("WsgiTransport in-process", wsgi_start, wsgi_after),
    ):
        print(
            f"tokens, {name:<36} {start:>8.0f} req/s at the start   {after:>8.0f} req/s after "
            f"{issued} tokens issued ({held} held, all valid)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--server-process", action="store_true")
    parser.add_argument("--memory-sends", type=int, default=100_000)
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-tokens", action="store_true")
    parser.add_argument("--memory-child", choices=list(MEMORY_SCENARIOS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.memory_sends)
        return
    if not args.skip_throughput:
        run_throughput(args.requests, args.server_process)
    if not args.skip_memory:
        run_memory(args.memory_sends)
    if not args.skip_tokens:
        run_tokens(args.tokens)


def run_throughput(requests: int, server_process: bool) -> None:
    with serve_in_thread(Simulator()) as server:
        transport = HttpTransport()
        run("loopback requests+HttpTransport, keep-alive", transport, server.base_url, requests)
        transport.close()
        run_raw("loopback raw socket client, keep-alive", server.host, server.port, requests)
    if server_process:
        with server_process_url() as base_url:
            transport = HttpTransport()
            run("loopback, server in a child process", transport, base_url, requests)
            transport.close()
    run("WsgiTransport in-process", WsgiTransport(Simulator()), DEFAULT_REST_BASE_URL, requests)
    simulator = Simulator()
    with simulate(simulator):
        transport = HttpTransport()
        run("responses in-process", transport, DEFAULT_REST_BASE_URL, requests)
        transport.close()


if __name__ == "__main__":
    main()
