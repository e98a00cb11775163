"""The ``sms-contract`` command: parse arguments, hand over to a subcommand, map errors to exit
codes. Printing is the CLI's alone: only this package (``sms_contract.cli``) prints.

Exit codes: 0 every selected claim judged and holds; 1 at least one violation; 2 usage or
configuration error; 3 target unreachable or harness failure; 4 incomplete; 130 interrupted
(SIGINT or SIGTERM).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from sms_contract import __version__
from sms_contract.errors import SmsContractError
from sms_contract.outcomes import EXIT_INTERRUPTED
from sms_contract.run import interruption

DESCRIPTION = """\
Contract tests and conformance checks for the Salesforce Marketing Cloud Transactional
Messaging SMS API (POST /messaging/v1/sms/messages/{messageKey} and its neighbours).
"""

EPILOG = """\
exit codes:
  0  every selected claim was judged and holds
  1  at least one documented claim was violated
  2  usage or configuration error (the message says what to fix)
  3  target unreachable (or a TLS or name-resolution error), or the harness itself failed
  4  INCOMPLETE: not every selected claim could be judged (budget, throttling, --max-time,
     transport); 'run --allow-incomplete' makes it 0 unless nothing was judged
  130 interrupted (Ctrl-C / SIGINT, or SIGTERM): the request in flight completes, nothing
     more is sent, and run, record and drift still write their reports, marked interrupted,
     with what was spent (a second signal abandons the request in flight)

Run 'sms-contract COMMAND --help' for the options of one command.
"""

Handler = Callable[[argparse.Namespace], int]
STOPPABLE = frozenset({"run", "record", "drift"})
"""The commands a signal stops between requests, reports written (``_handle``); the others
(``serve`` above all, which serves until Ctrl-C) keep Python's default handling."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"sms-contract: error: {message}\n(run '{self.prog} --help' for usage)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sms-contract",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"sms-contract {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for register in _commands():
        register(commands)
    return parser


def _commands() -> list[Callable[[argparse._SubParsersAction[_Parser]], None]]:
    """Each entry adds one subcommand to the parser and sets ``handler`` on its namespace."""
    from sms_contract.cli import checks, diff_spec, drift, fidelity, proxy, record, run, serve

    return [
        run.register,
        checks.register,
        record.register,
        fidelity.register,
        drift.register,
        serve.register,
        diff_spec.register,
        proxy.register,
    ]


def _keep_hypothesis_out_of_the_working_directory() -> None:
    """Hypothesis caches into ./.hypothesis by default; a command-line tool must not litter
    the directory it is run from, so its cache goes to the user's cache directory. Hypothesis
    itself is not imported for this (``--help`` and ``checks`` never load it): it reads the
    variable when it first needs its directory."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    directory = cache / "sms-contract" / "hypothesis"
    configuration = sys.modules.get("hypothesis.configuration")
    if configuration is not None:  # already loaded (main() called in-process): tell it
        configuration.set_hypothesis_home_dir(directory)
    else:
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = str(directory)


EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader left


def main(argv: Sequence[str] | None = None) -> int:
    _keep_hypothesis_out_of_the_working_directory()
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return _handle(handler, args)
    except SmsContractError as exc:
        print(f"sms-contract: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("sms-contract: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as a pipe's writer does, and keep
        # the interpreter from complaining when it flushes stdout at exit.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def console() -> int:
    """The process entry: the ``sms-contract`` script and ``python -m sms_contract``. It runs
    ``main`` and then freezes what the command left in memory (``gc.freeze``) before the
    interpreter exits. Python's finalization collects the whole heap once more; after a run
    (Schemathesis' and Hypothesis' strategies, the plan, every exchange) that took about
    0.25 s, a tenth of a default mock run (``benchmarks/bench_run.py``). Frozen objects are
    skipped, and the process still exits as usual: atexit handlers run, buffered output is
    flushed, a profiler writes its report. ``main`` itself does not freeze: a process that goes
    on after it (the tests, a program that embeds the CLI) must keep collecting."""
    code = main()
    gc.freeze()
    return code


def _handle(handler: Handler, args: argparse.Namespace) -> int:
    """Run the command; for those in ``STOPPABLE``, SIGINT and SIGTERM ask it to stop (it
    finishes the request in flight, sends nothing more and writes its reports), and the
    command exits 130 whatever it would have exited with."""
    if args.command not in STOPPABLE:
        return handler(args)
    with interruption.stopping_on_signals(notify=_say_interrupted):
        code = handler(args)
        if interruption.requested() is not None:
            return EXIT_INTERRUPTED
    return code


def _say_interrupted(name: str) -> None:
    """Called from the signal handler, so written straight to the file descriptor: a print
    there could land in the middle of another."""
    message = (
        f"\nsms-contract: {name} received: stopping after the request in flight, then writing "
        "the reports (signal again to abandon that request)\n"
    )
    with contextlib.suppress(OSError):
        os.write(2, message.encode())
