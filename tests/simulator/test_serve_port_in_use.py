"""``sms-contract serve`` on a port that is taken: exit 2 with one line, no traceback."""

from __future__ import annotations

import socket

import pytest

from sms_contract.cli.main import main


@pytest.mark.loopback
def test_serving_on_a_port_in_use_exits_two_with_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Another socket listens on the port: serve says which port on which host is in use and
    how to pick another, exits 2, and prints no traceback (and no banner)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["serve", "--host", "127.0.0.1", "--port", str(port)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.splitlines() == [
        f"sms-contract: error: port {port} on 127.0.0.1 is in use (another server listens "
        "there): give another --port, or --port 0 for any free one"
    ]
    assert "Traceback" not in captured.out + captured.err
    assert "listening on" not in captured.out
