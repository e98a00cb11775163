"""SIGINT and SIGTERM stop a run between requests, never in the middle of one, and never
unnoticed.

While a command runs inside ``stopping_on_signals()``, the first SIGINT (Ctrl-C) or SIGTERM only
records that it came: the request in flight completes, and the runner looks before every
request (retries, status polls and token requests included), before every wait and between
planning steps. Once a signal came it sends nothing more, reports every case it did not run
as not judged (``interrupted: ...``) and returns its outcome marked interrupted
(``RunOutcome.stopped`` starts with ``interrupted:``), so the reports are written with what was
spent; the command exits 130. A second signal abandons the request in flight: the handler then
raises ``KeyboardInterrupt``, which the runner counts as a request that may have been accepted.

A flag rather than an exception is what makes this robust: a ``KeyboardInterrupt`` raised at an
arbitrary point can be lost (raised inside Hypothesis' gc callback while the run is planned, it
is printed as "Exception ignored" and the run goes on); a flag cannot be.

Outside the block nothing is installed and ``requested()`` is ``None``: a library caller (the
pytest plugin, say) keeps its own handling of Ctrl-C. The previous handlers are restored when
the block ends.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from sms_contract.errors import SmsContractError
from sms_contract.outcomes import EXIT_INTERRUPTED

SIGNALS = (signal.SIGINT, signal.SIGTERM)
POLL_INTERVAL = 0.1  # seconds between two looks at the flag while waiting

_received: list[str] = []  # the names of the signals received in the current block
_active = False  # inside stopping_on_signals()


class Interrupted(SmsContractError):
    """A signal asked the run to stop: nothing more is sent."""

    exit_code = EXIT_INTERRUPTED


def requested() -> str | None:
    """The name of the first signal received in the current block (``"SIGINT"``), else
    ``None``."""
    return _received[0] if _received else None


def check() -> None:
    """``Interrupted`` once a signal asked the run to stop."""
    name = requested()
    if name is not None:
        raise Interrupted(f"{name} received")


def sleep(seconds: float) -> None:
    """``time.sleep``, cut short once a signal asked the run to stop (a Retry-After of a
    minute does not hold the user up)."""
    if not _active:
        time.sleep(seconds)
        return
    end = time.monotonic() + seconds
    while requested() is None:
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, POLL_INTERVAL))


@contextmanager
def stopping_on_signals(notify: Callable[[str], None] | None = None) -> Iterator[None]:
    """SIGINT and SIGTERM ask the run to stop for the duration of the block (module doc);
    ``notify(name)`` is called from the handler on the first one (it must not ``print``: a
    signal can arrive in the middle of a print, write to the file descriptor instead).

    Signal handlers can only be installed from the main thread: anywhere else the block
    changes nothing."""
    global _active
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        _received.append(name)
        if len(_received) > 1:
            raise KeyboardInterrupt  # the second one: abandon what is in flight
        if notify is not None:
            notify(name)

    _received.clear()
    previous = {number: signal.signal(number, handle) for number in SIGNALS}
    _active = True
    try:
        yield
    finally:
        for number, handler in previous.items():
            # None: the handler was not installed from Python; the default is the nearest.
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
        _active = False
        _received.clear()
