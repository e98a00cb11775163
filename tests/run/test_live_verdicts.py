"""Issue 9, live verdicts a release can trust: the whole catalogue inside the default budget, a
budget no answer can break, INCOMPLETE never OK, a deadline, 5xx judged and not waited out,
lost responses never a failure, one token per lifetime, boundaries always sent, asynchrony
modelled, and one reading per answer.

Two ways in. The in-process mock (``TargetSettings(simulator=...)``): its waits move the
simulator's clock, so retries and status polls are instant; the ``mock`` fixture also hands
back the simulator's own counters. And, where the real socket path matters, the live command
(``sms-contract run --target live``) pointed at a simulator served on 127.0.0.1; ``Wire``
records what reached that server.
"""

from __future__ import annotations

import itertools
import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from sms_contract.checks import CATALOGUE
from sms_contract.checks.model import CAPABILITY_REASONS, Capability, Expect
from sms_contract.outcomes import Result, Verdict
from sms_contract.run.defaults import LIVE_CONCURRENCY, TargetKind
from sms_contract.run.planning import PlannedCheck, RunOptions, allocate, plan
from sms_contract.run.runner import POLL_FIRST_DELAY, POLL_MAX_DELAY
from sms_contract.run.session import RunInputs, prepare_run
from sms_contract.run.targets import TargetSettings
from sms_contract.simulator.config import ASYNC_RULES, Deviation, Faults, SimulatorConfig
from sms_contract.simulator.deviations import WRONG_KEY_SUFFIX
from sms_contract.spec.endpoints import SEND_STATUS, SEND_TO_ONE
from tests.conftest import SFMC_VARIABLES
from tests.run.conftest import (
    LiveRun,
    MockRunner,
    cli,
    deviating,
    live_argv,
    live_run,
    served,
)

pytestmark = pytest.mark.usefixtures("clean_cli_environment")

NUMBER = "15555551234"
OTHER_NUMBER = "15555551235"
DEFINITION = "account-reset"
REPORTS = ("junit.xml", "report.json", "report.html", "summary.md")
SEEDS = (1, 2, 3, 4, 5)
LIVE_MAX_SENDS = 15
LIVE_MAX_REQUESTS = 200
# What the live code path pointed at a simulator on loopback with client credentials can do.
LOOPBACK = frozenset({Capability.CREDENTIALS, Capability.GENERATED_SENDS})
# Skipped by the default live command, for a capability the target lacks.
LIVE_SKIPS = {
    "AUTH-EXPIRED-TOKEN": CAPABILITY_REASONS[Capability.TIME_TRAVEL],
    "AUTH-INSUFFICIENT-SCOPE": CAPABILITY_REASONS[Capability.EXTRA_TOKEN],
    "DEFINITIONS-LIFECYCLE": CAPABILITY_REASONS[Capability.TENANT_CHANGES],
    "SPEC-BREADTH": CAPABILITY_REASONS[Capability.TENANT_CHANGES],
}
# The catalogue on the mock without generated breadth (which only the mock and loopback run).
MOCK_CHECKS = tuple(check_id for check_id in CATALOGUE if check_id != "SPEC-BREADTH")
BUDGET_OF_2 = "budget: the budget of 2 accepted sends is spent"
OFF_FORM_200 = (
    "HTTP 200 answered a send: neither the documented acceptance (202 with errorcode 0) nor a "
    "documented rejection (4xx with the error body, or 202 with a non-zero errorcode); counted "
    "as a possibly accepted send"
)
NEVER_FOUND = (
    "the status route answered 404 for the whole wait (--status-wait) after an accepted send: "
    "the message's status never became available"
)
NO_EXPIRES_IN = (
    "expires_in is missing or not a positive integer (the client then keeps the token 30 "
    "seconds and asks for a new one at most that often)"
)


@pytest.fixture(scope="module")
def default_live(tmp_path_factory: pytest.TempPathFactory) -> LiveRun:
    """The README's live command, default budgets, against a conformant simulator."""
    report_dir = tmp_path_factory.mktemp("default-live") / "reports"
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in SFMC_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.chdir(report_dir.parent)
        return live_run(monkeypatch, report_dir, SimulatorConfig(), "--seed", "1")


def poll_times(wait: float) -> list[float]:
    """When a status read is sent, from the first, waiting up to ``wait`` seconds."""
    times, waited, delay = [0.0], 0.0, POLL_FIRST_DELAY
    while waited < wait:
        waited += min(delay, wait - waited)
        times.append(waited)
        delay = min(delay * 2, POLL_MAX_DELAY)
    return times


# --- 1. the whole catalogue inside the default budget ------------------------------------------


@pytest.mark.loopback
def test_the_default_live_command_judges_every_check_but_the_four_a_capability_skips(
    default_live: LiveRun,
) -> None:
    """--to, --definition-key, default budgets, a conformant server: every check is judged in
    full (pass or observed) except the four that need the clock, tenant changes or an extra
    token; exit 0."""
    checks = default_live.checks()
    skipped = {cid: c["skip_reason"] for cid, c in checks.items() if c["verdict"] == "skipped"}
    assert skipped == LIVE_SKIPS
    judged = {cid: c for cid, c in checks.items() if cid not in LIVE_SKIPS}
    assert sorted(judged) == sorted(set(CATALOGUE) - set(LIVE_SKIPS))
    assert {c["verdict"] for c in judged.values()} <= {"pass", "observed"}
    assert [cid for cid, c in judged.items() if c["not_judged"]] == []
    assert [cid for cid, c in judged.items() if not 0 < c["cases"] == c["planned"]] == []
    report = default_live.report
    assert (report["result"], report["exit_code"], default_live.exit_code) == ("ok", 0, 0)
    assert default_live.stdout.splitlines()[-1] == "result: OK (seed 1, exit 0)"


@pytest.mark.loopback
def test_the_default_live_command_accepts_at_most_fifteen_sends_and_asks_for_one_token(
    default_live: LiveRun,
) -> None:
    """The server accepted at most 15 sends, and was asked for exactly one token: its two
    token requests are the run's own token and TOKEN-BAD-SECRET's wrong-secret request, which
    issued none; TOKEN-CONTRACT judged the run's own token response."""
    counters, spending = default_live.counters, default_live.report["spending"]
    assert 0 < counters.accepted_sends <= LIVE_MAX_SENDS
    assert spending["accepted_sends"] == counters.accepted_sends
    assert (spending["max_sends"], spending["max_requests"]) == (LIVE_MAX_SENDS, 200)
    assert spending["requests"] == counters.requests <= LIVE_MAX_REQUESTS
    assert counters.token_requests == 2
    assert len(default_live.wire.tokens) == 1
    assert spending["token_requests"] == 2
    checks = default_live.checks()
    assert (checks["TOKEN-CONTRACT"]["verdict"], checks["TOKEN-CONTRACT"]["cases"]) == ("pass", 1)
    assert (checks["TOKEN-BAD-SECRET"]["verdict"], checks["TOKEN-BAD-SECRET"]["cases"]) == (
        "pass",
        1,
    )


@pytest.mark.loopback
def test_dry_run_prints_the_send_allocation_and_the_worst_case_and_sends_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """--dry-run: which case sends each shared send and which claims read it, the probes, the
    worst case if every probe were accepted; not one request reaches the server."""
    with served(monkeypatch, SimulatorConfig()) as wire:
        base_url = wire.base_url
        argv = live_argv(base_url, "--dry-run", "--seed", "3")
        code, out = cli([*argv, "--report-dir", str(tmp_path / "reports")])
        settings = TargetSettings(
            kind=TargetKind.LIVE,
            base_url=base_url,
            auth_url=base_url,
            allow_list=(NUMBER,),
            definition_key=DEFINITION,
        )
        prepared = prepare_run(RunInputs(settings, seed=3))
        with prepared.open() as opened:  # opening a live target sends nothing
            allocation = allocate(opened.planned, prepared.options)
        assert wire.simulator.counters.requests == 0
        assert wire.requests == []
    assert code == 0
    assert not (tmp_path / "reports").exists()
    lines = [line.strip() for line in out.splitlines()]
    assert "send allocation (a shared send is sent once and read by every claim listed):" in lines
    example = next(s for s in allocation.shared if s.owner == ("SEND-EXAMPLE", "SEND-EXAMPLE#1"))
    assert example.readers == (
        "SEND-EXAMPLE",
        "SEND-DUPLICATE-KEY",
        "SEND-STATUS-CODES",
        "SEND-CONTENT-TYPE",
        "SEND-RESPONSE-SCHEMA",
        "SEND-REQUEST-ID",
        "SEND-ERRORCODE",
        "STATUS-AFTER-SEND",
    )
    readers = {reader for shared in allocation.shared for reader in shared.readers}
    assert {"SEND-ECHO-KEY", "SEND-ACCEPTED", "SEND-REJECT-MESSAGE-KEY-REUSED"} <= readers
    for shared in allocation.shared:
        wanted = f"shared by {', '.join(shared.readers)}"
        assert [ln for ln in lines if ln.startswith(shared.owner[1]) and ln.endswith(wanted)], (
            shared.owner
        )
    assert allocation.probes > 0
    assert allocation.conformant_sends <= LIVE_MAX_SENDS < allocation.worst_sends
    assert (
        f"{allocation.probes} probes a conformant target refuses: they run first and spend only "
        "if the target accepts them"
    ) in lines
    assert [ln for ln in lines if ln.startswith(f"{len(allocation.may_accept)} probes a conform")]
    total = next(ln for ln in lines if ln.startswith("total: "))
    assert f"a conformant target: {allocation.conformant_sends} accepted sends" in total
    assert f"worst case (every probe accepted): {allocation.worst_sends}" in total
    assert total.endswith(f"capped by the send budget {LIVE_MAX_SENDS}")


# --- 2. a budget no answer can break ----------------------------------------------------------

EVERY_SEND_ANSWERED = [
    pytest.param(Faults(send_answer=200), 1, id="200"),
    pytest.param(Faults(send_answer=201), 1, id="201"),
    pytest.param(Faults(send_answer=204), 1, id="204"),
    pytest.param(Faults(send_answer=500), 1, id="500"),
    pytest.param(Faults(drop_response_every=1), 4, id="nothing"),
]


@pytest.mark.loopback
@pytest.mark.parametrize(("faults", "exit_code"), EVERY_SEND_ANSWERED)
def test_a_server_answering_every_send_alike_never_accepts_more_than_the_default_budget(
    faults: Faults, exit_code: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A server that answers 200, 201, 204, 500 or nothing to every send: by the server's own
    count at most 15 sends were accepted (--max-sends default), the run counted at least as
    many, and it does not exit 0."""
    run = live_run(monkeypatch, tmp_path / "reports", SimulatorConfig(faults=faults), "--seed", "1")
    spending = run.report["spending"]
    assert run.counters.accepted_sends <= LIVE_MAX_SENDS
    assert run.counters.accepted_sends <= spending["accepted_sends"] <= LIVE_MAX_SENDS
    assert spending["max_sends"] == LIVE_MAX_SENDS
    assert (run.exit_code, run.report["exit_code"]) == (exit_code, exit_code)


@pytest.mark.parametrize("max_sends", [3, 10])
@pytest.mark.parametrize(
    "faults",
    [
        pytest.param(Faults(send_answer=200), id="200"),
        pytest.param(Faults(send_answer=201), id="201"),
        pytest.param(Faults(send_answer=204), id="204"),
        pytest.param(Faults(send_answer=500), id="500"),
        pytest.param(Faults(drop_response_every=1), id="nothing"),
        pytest.param(Faults(send_answer=202), id="202-to-everything"),
        pytest.param(Faults(send_answer=202, drop_response_every=1), id="accepts-answers-nothing"),
    ],
)
def test_a_server_answering_every_send_alike_never_accepts_more_than_max_sends(
    faults: Faults, max_sends: int, mock: MockRunner
) -> None:
    """The same servers (and one that accepts every send and answers nothing) with
    --max-sends 3 and 10: the server's own count never exceeds it; the run is not OK."""
    run = mock(SimulatorConfig(faults=faults), *MOCK_CHECKS, max_sends=max_sends)
    assert run.counters.accepted_sends <= max_sends
    assert run.counters.accepted_sends <= run.outcome.spending.accepted_sends <= max_sends
    assert run.outcome.exit_code in (1, 4)


# --- 3. incomplete is not OK -------------------------------------------------------------------

BUDGET_CHECKS = ("SEND-EXAMPLE", "SEND-ACCEPTED", "SEND-DUPLICATE-KEY", "SEND-ECHO-KEY")


def budget_cut(report_dir: Path, *extra: str) -> tuple[int, str]:
    argv = ["run", "--max-sends", "2", "--seed", "7", "--report-dir", str(report_dir)]
    return cli([*argv, *(arg for cid in BUDGET_CHECKS for arg in ("--check", cid)), *extra])


def test_a_budget_cut_is_incomplete_exit_4_with_the_reason_per_check_in_every_report(
    tmp_path: Path,
) -> None:
    """--max-sends 2: the checks whose sends did not fit are INCOMPLETE with the reason per
    case (terminal, report.json, JUnit <error type="incomplete">, HTML, Markdown); exit 4."""
    report_dir = tmp_path / "reports"
    code, out = budget_cut(report_dir)
    assert code == 4
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert (report["result"], report["exit_code"]) == ("incomplete", 4)
    not_judged = {
        c["id"]: [(n["case_id"], n["reason"]) for n in c["not_judged"]] for c in report["checks"]
    }
    assert not_judged == {
        "SEND-EXAMPLE": [],
        "SEND-ACCEPTED": [(f"SEND-ACCEPTED#{n}", BUDGET_OF_2) for n in (2, 3, 4, 5)],
        "SEND-DUPLICATE-KEY": [("SEND-DUPLICATE-KEY#1", BUDGET_OF_2)],
        "SEND-ECHO-KEY": [(f"SEND-ECHO-KEY#{n}", BUDGET_OF_2) for n in (2, 3, 4, 5)],
    }
    assert [c["verdict"] for c in report["checks"]] == ["pass", *["incomplete"] * 3]
    root = ET.parse(report_dir / "junit.xml").getroot()
    outcomes = {}
    for case in root.iter("testcase"):
        kids = [(kid.tag, kid.get("type")) for kid in case if kid.tag != "system-out"]
        outcomes[case.get("name", "").split(" ", 1)[0]] = kids
    assert outcomes == {
        "SEND-EXAMPLE": [],
        "SEND-ACCEPTED": [("error", "incomplete")],
        "SEND-DUPLICATE-KEY": [("error", "incomplete")],
        "SEND-ECHO-KEY": [("error", "incomplete")],
    }
    errors = [error.get("message", "") for error in root.iter("error")]
    assert [message for message in errors if BUDGET_OF_2 not in message] == []
    for name in ("report.html", "summary.md"):
        assert BUDGET_OF_2 in (report_dir / name).read_text(encoding="utf-8"), name
    section = out.split("not judged (3 checks):\n", 1)[1].split("\nreports: ", 1)[0]
    assert BUDGET_OF_2 in section
    listed = [line.split()[0] for line in section.splitlines() if line.startswith("  SEND-")]
    assert listed == ["SEND-ACCEPTED", "SEND-DUPLICATE-KEY", "SEND-ECHO-KEY"]
    assert out.splitlines()[-1] == "result: INCOMPLETE: 3 checks not fully judged (seed 7, exit 4)"


def test_allow_incomplete_exits_zero_and_the_result_stays_incomplete(tmp_path: Path) -> None:
    """--allow-incomplete, for a budget cut on purpose: exit 0, the reports still INCOMPLETE."""
    report_dir = tmp_path / "reports"
    code, out = budget_cut(report_dir, "--allow-incomplete")
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert code == 0
    assert (report["result"], report["exit_code"], report["allow_incomplete"]) == (
        "incomplete",
        0,
        True,
    )
    assert out.splitlines()[-1] == (
        "result: INCOMPLETE: 3 checks not fully judged (allowed by --allow-incomplete) "
        "(seed 7, exit 0)"
    )


def test_a_run_that_judged_nothing_exits_4_even_with_allow_incomplete(tmp_path: Path) -> None:
    """--max-sends 0: nothing could be judged, so the run never exits 0."""
    report_dir = tmp_path / "reports"
    argv = ["run", "--max-sends", "0", "--check", "SEND-EXAMPLE", "--seed", "7"]
    code, out = cli([*argv, "--allow-incomplete", "--report-dir", str(report_dir)])
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert code == 4
    assert (report["result"], report["exit_code"]) == ("incomplete", 4)
    assert [(c["id"], c["verdict"], c["cases"]) for c in report["checks"]] == [
        ("SEND-EXAMPLE", "incomplete", 0)
    ]
    assert out.splitlines()[-1] == "result: INCOMPLETE: nothing was judged (seed 7, exit 4)"


# --- 4. a deadline ----------------------------------------------------------------------------


@pytest.mark.loopback
def test_past_max_time_nothing_more_is_sent_and_the_run_ends_incomplete_with_its_reports(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A server that takes 0.25 s per REST request and --max-time 1.5: sending stops at the
    deadline, the unjudged checks say "deadline", the reports are written, exit 4."""
    latency, max_time = 0.25, 1.5
    config = SimulatorConfig(faults=Faults(latency=latency))
    run = live_run(monkeypatch, tmp_path / "reports", config, "--seed", "1", "--max-time", "1.5")
    report = run.report
    assert run.exit_code == 4
    assert (report["result"], report["exit_code"]) == ("incomplete", 4)
    assert report["stopped"] == (
        "deadline: the run's deadline (--max-time) has passed; nothing more was sent"
    )
    assert sorted(path.name for path in run.report_dir.iterdir()) == sorted(REPORTS)
    reasons = [n["reason"] for c in report["checks"] for n in c["not_judged"]]
    deadline = [reason for reason in reasons if reason.startswith("deadline: ")]
    assert len(deadline) > 10
    # The only other reason: a cross-cutting claim left with nothing it applies to.
    assert {r for r in reasons if r not in deadline} <= {
        "not judged: no answer of this run is one the claim applies to (nothing was sent, or "
        "nothing it covers was answered)"
    }
    assert report["duration"] < max_time + 4 * latency  # the request in flight, then judging
    # One token (not delayed) and at most the REST requests that started before the deadline,
    # each of the default number of workers sending one after another.
    started = LIVE_CONCURRENCY * (max_time / latency + 1)
    assert report["spending"]["requests"] == run.counters.requests <= 2 + started


# --- 5. 5xx judged, not waited out -------------------------------------------------------------


def _non_ascii_key(raw_target: str) -> bool:
    return not unquote(urlsplit(raw_target).path.rsplit("/", 1)[-1]).isascii()


@pytest.mark.loopback
@pytest.mark.parametrize("concurrency", ["1", str(LIVE_CONCURRENCY)])
def test_500_to_every_non_ascii_key_ends_the_default_live_run_in_under_60_s_with_exit_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, concurrency: str
) -> None:
    """Each such send is sent twice (one retry, the same messageKey), but those whose retry the
    spent budget held back (the last one in strict order; with workers, those in flight when
    it was spent); SEND-NO-5XX fails naming each 500, retried or not; the default live run is
    over in under a minute, exit 1."""
    config = deviating(Deviation.SERVER_ERROR_ON_NON_ASCII_KEY)
    run = live_run(
        monkeypatch, tmp_path / "reports", config, "--seed", "1", "--concurrency", concurrency
    )
    assert run.elapsed < 60
    assert run.exit_code == 1
    sends = Counter(
        target
        for method, target in run.wire.requests
        if method == "POST" and "/messages/" in target and _non_ascii_key(target)
    )
    assert sends
    # Each is retried once; only the last ones (one per worker) may go without their retry,
    # when the 5xx answers (each counted as possibly accepted) spent the budget before it.
    once_sent = [target for target, count in sends.items() if count == 1]
    assert set(sends.values()) <= {1, 2}
    assert once_sent == [] or (
        len(once_sent) <= LIVE_CONCURRENCY
        and run.report["spending"]["accepted_sends"] == LIVE_MAX_SENDS
    ), sends
    no_5xx = run.checks()["SEND-NO-5XX"]
    assert no_5xx["verdict"] == "fail"
    twice = (
        f"HTTP 500 to POST {SEND_TO_ONE} (and its retry got a 5xx too): the documentation says "
        "a send returns an error only for an authentication or syntax error, or when the API is "
        "unavailable"
    )
    # A 500 whose retry the spent budget held back is still judged: a 5xx stays a 5xx.
    once = twice.replace(" (and its retry got a 5xx too)", "")
    failures = [f for f in no_5xx["findings"] if f["verdict"] == "fail"]
    assert failures
    assert {f["message"] for f in failures} <= {twice, once}
    if concurrency == "1":  # in strict order the budget holds back the last retry at most
        assert twice in {f["message"] for f in failures}
    for finding in failures:
        (evidence,) = finding["evidence"]
        assert evidence["request"]["method"] == "POST"
        assert _non_ascii_key(evidence["request"]["url"])
        assert evidence["response"]["status"] == 500
        assert urlsplit(evidence["request"]["url"]).path in {urlsplit(t).path for t in sends}


def test_a_5xx_that_recovers_on_the_retry_is_observed_and_fails_under_strict_check(
    mock: MockRunner,
) -> None:
    """Every 3rd REST request answered 500 (unprocessed): the retry recovers, so SEND-NO-5XX
    observes a transient server error per request; --strict-check SEND-NO-5XX fails it."""
    config = SimulatorConfig(faults=Faults(error_every=3))
    transient = (
        f"transient server error: HTTP 500 to POST {SEND_TO_ONE}, then HTTP {{}} on the retry "
        "(the same request)"
    )
    expected = [
        ("SEND-NO-5XX#3", transient.format(400)),
        ("SEND-EXAMPLE#1", transient.format(202)),
    ]
    relaxed = mock(config, "SEND-NO-5XX", "SEND-EXAMPLE")
    assert relaxed.findings("SEND-NO-5XX") == [(c, Verdict.OBSERVED, m) for c, m in expected]
    assert relaxed.check("SEND-NO-5XX").verdict is Verdict.OBSERVED
    assert relaxed.check("SEND-EXAMPLE").verdict is Verdict.PASS
    assert relaxed.outcome.exit_code == 0
    strict = mock(config, "SEND-NO-5XX", "SEND-EXAMPLE", strict_checks=("SEND-NO-5XX",))
    assert strict.findings("SEND-NO-5XX") == [
        (c, Verdict.FAIL, f"(strict) {m}") for c, m in expected
    ]
    assert strict.check("SEND-NO-5XX").verdict is Verdict.FAIL
    assert strict.outcome.exit_code == 1


# --- 6. lost responses never make a failure ---------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_a_server_losing_every_third_response_gets_no_failure(seed: int, mock: MockRunner) -> None:
    """Every 3rd send processed and its response lost: no check fails (a 109110 to the retry
    of a lost acceptance is "accepted on an earlier attempt"), and the budget holds."""
    run = mock(SimulatorConfig(faults=Faults(drop_response_every=3)), *MOCK_CHECKS, seed=seed)
    assert [(c.check_id, c.failures) for c in run.outcome.checks if c.verdict is Verdict.FAIL] == []
    assert run.outcome.exit_code != 1
    assert run.counters.dropped_responses > 0
    assert run.counters.accepted_sends <= run.outcome.spending.accepted_sends <= LIVE_MAX_SENDS
    # The case the issue names: a valid send whose response was lost, retried, refused 109110.
    duplicates = [
        e
        for e in run.entries
        if e.step.expect is Expect.ACCEPT
        and e.step.operation_id == SEND_TO_ONE
        and e.exchange.attempt > 1
        and e.exchange.response is not None
        and (e.exchange.response.json_or_none() or {}).get("errorcode") == 109110
    ]
    assert duplicates
    assert {run.check(e.owner[0]).verdict for e in duplicates} <= {Verdict.PASS}


# --- 7. tokens -------------------------------------------------------------------------------

TOKEN_CHECKS = (
    "SEND-REJECT-BODY-NOT-OBJECT",
    "SEND-REJECT-RECIPIENT-NOT-OBJECT",
    "SEND-REJECT-WRONG-TYPE",
    "SEND-REJECT-DEFINITION-KEY-WRONG-TYPE",
    "SEND-EXAMPLE",
    "AUTH-NO-TOKEN",
    "TOKEN-CONTRACT",
)


@pytest.mark.loopback
def test_four_second_tokens_are_kept_three_seconds_not_requested_per_request(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Tokens that live 4 s (expires_in 4) and REST requests that take 0.12 s: the client
    keeps each token until a quarter of its life is left (3 s), so a run of some 30 requests
    asks for a token at most once per 3 s and never has one refused."""
    config = SimulatorConfig(token_lifetime=4, expires_in=4, faults=Faults(latency=0.12))
    checks = [arg for cid in TOKEN_CHECKS for arg in ("--check", cid)]
    run = live_run(monkeypatch, tmp_path / "reports", config, "--seed", "1", *checks)
    rest = run.counters.requests - run.counters.token_requests
    issued = [at for at, _ in run.wire.tokens]
    assert rest >= 25
    assert run.counters.token_requests == len(issued)
    assert 1 <= len(issued) <= 1 + run.elapsed / 3
    assert [round(b - a, 1) for a, b in itertools.pairwise(issued) if b - a < 2.9] == []
    assert run.exit_code == 0  # no request was refused for an expired token


def test_a_token_without_expires_in_fails_token_contract_and_is_asked_for_once(
    mock: MockRunner,
) -> None:
    """No expires_in: TOKEN-CONTRACT fails saying so; the client keeps the token 30 s and asks
    for no other within them, not even when the server (2 s tokens, clock moved by status
    polls) refuses it."""
    config = deviating(Deviation.TOKEN_WITHOUT_EXPIRES_IN, token_lifetime=2, status_visible_after=5)
    run = mock(config, "TOKEN-CONTRACT", "STATUS-AFTER-SEND", "SEND-REJECT-WRONG-TYPE")
    assert run.findings("TOKEN-CONTRACT") == [("TOKEN-CONTRACT#1", Verdict.FAIL, NO_EXPIRES_IN)]
    assert run.counters.token_requests == run.outcome.spending.token_requests == 1
    assert run.counters.requests > 10


# --- 8. boundaries always sent --------------------------------------------------------------


def _bodies(planned: list[PlannedCheck], check_id: str) -> list[Any]:
    (item,) = [p for p in planned if p.check.id == check_id]
    bodies = []
    for case in item.cases:
        try:
            bodies.append(json.loads(case.steps[0].wire_body() or b""))
        except ValueError:
            continue
    return bodies


def _message_keys(planned: list[PlannedCheck], check_id: str) -> list[str]:
    (item,) = [p for p in planned if p.check.id == check_id]
    return [case.steps[0].message_key or "" for case in item.cases]


BOUNDARY_CHECKS = (
    "SEND-REJECT-DEFINITION-KEY-MISSING",
    "SEND-REJECT-MESSAGE-KEY-TOO-LONG",
    "SEND-REJECT-TO-MISSING",
    "SEND-REJECT-RECIPIENT-NOT-OBJECT",
    "SEND-ECHO-KEY",
)


@pytest.mark.parametrize("allow_list", [(NUMBER,), (NUMBER, OTHER_NUMBER)], ids=["1-to", "2-to"])
@pytest.mark.parametrize("seed", SEEDS)
def test_the_named_boundaries_are_in_the_live_plan_on_every_seed(
    seed: int, allow_list: tuple[str, ...]
) -> None:
    """The live plan (default budgets) holds definitionKey missing and empty, a messageKey of
    exactly 101 characters, to missing and empty, recipient as array, string, number and
    null; the echo keys hold / % + space, "." and "..", leading and trailing white space,
    non-ASCII, an astral emoji and exactly 100 characters."""
    options = RunOptions(
        seed=seed,
        check_ids=BOUNDARY_CHECKS,
        allow_list=allow_list,
        max_sends=LIVE_MAX_SENDS,
        max_requests=LIVE_MAX_REQUESTS,
        definition_key=DEFINITION,
    )
    planned = plan(options, LOOPBACK)
    definition = [b for b in _bodies(planned, "SEND-REJECT-DEFINITION-KEY-MISSING") if b]
    assert [b for b in definition if "definitionKey" not in b]
    assert [b for b in definition if b.get("definitionKey") == ""]
    too_long = _message_keys(planned, "SEND-REJECT-MESSAGE-KEY-TOO-LONG")
    assert [key for key in too_long if len(key) == 101]
    recipients = [
        b["recipient"] for b in _bodies(planned, "SEND-REJECT-TO-MISSING") if "recipient" in b
    ]
    assert [r for r in recipients if isinstance(r, dict) and "to" not in r]
    assert [r for r in recipients if isinstance(r, dict) and r.get("to") == ""]
    shapes = {
        type(b["recipient"])
        for b in _bodies(planned, "SEND-REJECT-RECIPIENT-NOT-OBJECT")
        if isinstance(b, dict) and "recipient" in b
    }
    assert {list, str, int, type(None)} <= shapes
    keys = _message_keys(planned, "SEND-ECHO-KEY")
    for character in ("/", "%", "+", " "):
        assert [key for key in keys if character in key], character
    assert {".", ".."} <= set(keys)
    assert [key for key in keys if key[0].isspace() and key[-1].isspace()]
    assert [key for key in keys if not key.isascii()]
    assert [key for key in keys if any(ord(ch) > 0xFFFF for ch in key)]
    assert [key for key in keys if len(key) == 100]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_server_accepting_a_body_without_definition_key_fails_on_every_seed(
    seed: int, mock: MockRunner
) -> None:
    """With two --to numbers (where a drawn case once sent only empty strings), the named
    variant "definitionKey removed" is sent and its acceptance is a failure."""
    run = mock(
        deviating(Deviation.ACCEPT_MISSING_DEFINITION_KEY),
        "SEND-REJECT-DEFINITION-KEY-MISSING",
        seed=seed,
        allow_list=(NUMBER, OTHER_NUMBER),
    )
    (item,) = run.planned
    removed = item.cases[0].id  # the named variants come first, then the generated ones
    assert item.cases[0].description == "definitionKey removed"
    assert run.check("SEND-REJECT-DEFINITION-KEY-MISSING").verdict is Verdict.FAIL
    assert (
        removed,
        Verdict.FAIL,
        "accepted (HTTP 202, errorcode 0) although the request breaks the contract: "
        "$.definitionKey: 'definitionKey' is a required property",
    ) in run.findings("SEND-REJECT-DEFINITION-KEY-MISSING")


# --- 9. asynchrony modelled ------------------------------------------------------------------


def test_a_status_visible_only_after_some_seconds_passes_after_polling(mock: MockRunner) -> None:
    """The status route shows a message 5 s after it was accepted: the status read polls with
    backoff (404 until then, never judged) and STATUS-AFTER-SEND passes."""
    run = mock(SimulatorConfig(status_visible_after=5), "STATUS-AFTER-SEND")
    check = run.check("STATUS-AFTER-SEND")
    assert (check.verdict, check.cases, check.findings) == (Verdict.PASS, 2, ())
    polls = [t for t in poll_times(30) if t < 5]
    polls.append(next(t for t in poll_times(30) if t >= 5))
    expected = [404 if t < 5 else 200 for t in polls]
    assert run.statuses("STATUS-AFTER-SEND#1") == expected
    assert run.statuses("STATUS-AFTER-SEND#2") == expected


def test_a_status_route_that_never_finds_the_message_fails_after_the_whole_wait(
    mock: MockRunner,
) -> None:
    """404 to every status read, polled for the whole --status-wait: a failure."""
    run = mock(deviating(Deviation.STATUS_NEVER_FOUND), "STATUS-AFTER-SEND", status_wait=30.0)
    assert run.findings("STATUS-AFTER-SEND") == [
        ("STATUS-AFTER-SEND#1", Verdict.FAIL, NEVER_FOUND),
        ("STATUS-AFTER-SEND#2", Verdict.FAIL, NEVER_FOUND),
    ]
    reads = [404] * len(poll_times(30))
    assert run.statuses("STATUS-AFTER-SEND#1") == run.statuses("STATUS-AFTER-SEND#2") == reads


def test_a_status_naming_another_message_key_fails_naming_info_message_key(
    mock: MockRunner,
) -> None:
    """The status body's info.messageKey must be the key sent."""
    run = mock(deviating(Deviation.STATUS_WRONG_KEY), "STATUS-AFTER-SEND")
    expected = []
    for case_id in ("STATUS-AFTER-SEND#1", "STATUS-AFTER-SEND#2"):
        key = run.key_of(case_id)
        message = (
            f"the status of the message sent with key {key!r} names info.messageKey "
            f"{key + WRONG_KEY_SUFFIX!r}"
        )
        expected.append((case_id, Verdict.FAIL, message))
    assert run.findings("STATUS-AFTER-SEND") == expected


ASYNC_CHECKS = (
    "SEND-REJECT-DEFINITION-KEY-UNKNOWN",
    "SEND-REJECT-TO-INVALID",
    "SEND-REJECT-CONTACT-KEY-MISSING",
)


def test_rules_applied_after_accepting_pass_as_rejected_asynchronously(mock: MockRunner) -> None:
    """A server that accepts an unknown definitionKey, an invalid to or a missing contactKey
    and then reports SMSNotSent with a statusCode: each accepted probe is followed to its
    status, and the three rule checks pass."""
    run = mock(SimulatorConfig(async_rules=ASYNC_RULES), *ASYNC_CHECKS)
    assert [(c.check_id, c.verdict, c.findings) for c in run.outcome.checks] == [
        (check_id, Verdict.PASS, ()) for check_id in ASYNC_CHECKS
    ]
    assert run.counters.accepted_sends > 0
    followed = 0
    for item in run.planned:
        for case in item.cases:
            answers = [
                e.exchange.response
                for e in run.entries
                if e.owner[1] == case.id and e.step.operation_id in (SEND_TO_ONE, SEND_STATUS)
            ]
            if [a.status for a in answers if a is not None] != [202, 200]:
                continue
            status = answers[1].json_or_none() if answers[1] is not None else None
            assert isinstance(status, dict), case.id
            assert status["eventCategoryType"] == "TransactionalSendEvents.SMSNotSent"
            assert status["info"]["statusCode"] is not None
            followed += 1
    assert followed == run.counters.accepted_sends


def test_a_probe_accepted_and_then_sent_fails_its_rule_check(mock: MockRunner) -> None:
    """A server that accepts a send naming no definition and then sends it (SMSSent)."""
    run = mock(deviating(Deviation.ACCEPT_INVALID), "SEND-REJECT-DEFINITION-KEY-UNKNOWN")
    sent = (
        "accepted and then sent to the SMS provider (SMSSent) although definitionKey names no "
        "send definition: the platform did not reject it, now or later"
    )
    findings = run.findings("SEND-REJECT-DEFINITION-KEY-UNKNOWN")
    assert findings
    assert ("SEND-REJECT-DEFINITION-KEY-UNKNOWN#1", Verdict.FAIL, sent) in findings
    assert {(verdict, message) for _, verdict, message in findings} == {(Verdict.FAIL, sent)}
    assert run.check("SEND-REJECT-DEFINITION-KEY-UNKNOWN").verdict is Verdict.FAIL


# --- 10. one reading per answer ----------------------------------------------------------------

CROSS_CUTTING = (
    "SEND-STATUS-CODES",
    "SEND-CONTENT-TYPE",
    "SEND-RESPONSE-SCHEMA",
    "SEND-REQUEST-ID",
    "SEND-ERRORCODE",
)


def test_a_probe_answered_200_gets_one_verdict_from_every_check_that_sees_it(
    mock: MockRunner,
) -> None:
    """A must-reject probe answered 200 (neither acceptance nor a documented rejection): the
    rule check and SEND-STATUS-CODES give the same verdict and message; the other cross-cutting
    checks leave it alone."""
    config = deviating(Deviation.ACCEPT_INVALID, Deviation.STATUS_CHANGED)
    run = mock(config, "SEND-REJECT-RECIPIENT-MISSING", *CROSS_CUTTING)
    rule = run.findings("SEND-REJECT-RECIPIENT-MISSING")
    probes = {case_id for case_id, _, _ in rule}
    assert probes == {case.id for case in run.planned[0].cases}
    assert {(verdict, message) for _, verdict, message in rule} == {(Verdict.FAIL, OFF_FORM_200)}
    codes = [f for f in run.findings("SEND-STATUS-CODES") if f[0] in probes]
    assert sorted(codes) == sorted(rule)
    for check_id in CROSS_CUTTING[1:]:
        assert [f for f in run.findings(check_id) if f[0] in probes] == [], check_id


def test_the_cross_cutting_checks_judge_the_status_route_too(mock: MockRunner) -> None:
    """No requestId anywhere: SEND-REQUEST-ID reports the status reads' 200s as well as the
    sends' 202s."""
    run = mock(deviating(Deviation.MISSING_REQUEST_ID), "SEND-REQUEST-ID", "STATUS-AFTER-SEND")
    findings = run.findings("SEND-REQUEST-ID")
    on_status = [f for f in findings if f[0].startswith("STATUS-AFTER-SEND#")]
    assert on_status == [
        ("STATUS-AFTER-SEND#1", Verdict.FAIL, "a 200 status carries no requestId string"),
        ("STATUS-AFTER-SEND#2", Verdict.FAIL, "a 200 status carries no requestId string"),
    ]
    assert ("SEND-EXAMPLE#1", Verdict.FAIL, "a 202 to a send carries no requestId string") in (
        findings
    )
    assert run.check("SEND-REQUEST-ID").verdict is Verdict.FAIL
    assert run.outcome.result is Result.FAILED
