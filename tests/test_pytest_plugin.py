"""The catalogue as pytest items: one item per check, verdicts as outcomes, same safety rails."""

import json
import re

import pytest

from sms_contract.simulator.app import Simulator
from sms_contract.simulator.config import Deviation, SimulatorConfig
from sms_contract.simulator.server import serve_in_thread


def _live(simulator, monkeypatch, server):
    """The plugin's live options for ``server`` (serving ``simulator``), its credentials set."""
    credentials = simulator.config.credentials
    monkeypatch.setenv("SFMC_CLIENT_ID", credentials.client_id)
    monkeypatch.setenv("SFMC_CLIENT_SECRET", credentials.client_secret)
    return (
        "--sms-target=live",
        f"--sms-base-url={server.base_url}",
        f"--sms-auth-url={server.base_url}",
        "--sms-to=15555551234",
        "--sms-definition-key=account-reset",
    )


def test_without_sms_target_the_plugin_adds_nothing(pytester):
    """A suite that does not ask for checks collects none."""
    pytester.makepyfile("def test_nothing():\n    assert True\n")
    result = pytester.runpytest_inprocess("-q")
    result.assert_outcomes(passed=1)


def test_one_item_per_selected_check_named_by_id(pytester):
    """--sms-target=mock with two checks collects exactly those two, named by id and title."""
    result = pytester.runpytest_inprocess(
        "--sms-target=mock",
        "--sms-check=SEND-EXAMPLE",
        "--sms-check=SEND-ECHO-KEY",
        "--sms-seed=3",
        "--collect-only",
        "-q",
    )
    lines = [line for line in result.outlines if line.startswith("sms-contract::")]
    ids = [line.removeprefix("sms-contract::").split(" ", 1)[0] for line in lines]
    assert ids == ["SEND-EXAMPLE", "SEND-ECHO-KEY"]
    assert lines[1].endswith("echoes the messageKey exactly, whatever its characters")


def test_checks_pass_against_the_mock(pytester):
    """Conformant target: the items pass; a check needing what the target lacks is skipped."""
    result = pytester.runpytest_inprocess(
        "--sms-target=mock",
        "--sms-check=SEND-EXAMPLE",
        "--sms-check=AUTH-NO-TOKEN",
        "--sms-seed=3",
        "-q",
    )
    result.assert_outcomes(passed=2)


@pytest.mark.loopback
def test_a_violated_claim_fails_its_item_with_the_evidence(pytester, monkeypatch):
    """Against a simulator that ignores auth, AUTH-NO-TOKEN fails with claim, curl and replay."""
    simulator = Simulator(SimulatorConfig(deviations=frozenset({Deviation.IGNORE_AUTH})))
    with serve_in_thread(simulator) as server:
        result = pytester.runpytest_inprocess(
            *_live(simulator, monkeypatch, server),
            "--sms-check=AUTH-NO-TOKEN",
            "--sms-check=TOKEN-CONTRACT",
            "--sms-seed=3",
            "-q",
        )
    result.assert_outcomes(passed=1, failed=1)
    text = result.stdout.str()
    assert "AUTH-NO-TOKEN A send without a token gets 401: fail (seed 3)" in text
    assert "claim:  A request whose token was not found" in text
    assert "curl -X POST" in text
    assert (
        "replay (mock): sms-contract run --target mock --seed 3 --examples 5 --check AUTH-NO-TOKEN"
        in text
    )
    assert "sms-contract-secret" not in text
    assert "15555551234" not in text
    assert simulator.counters.accepted_sends <= 10


def test_live_without_recipients_is_a_clear_error(pytester):
    """The live safety rules hold in the plugin: no --sms-to, no run."""
    result = pytester.runpytest_inprocess(
        "--sms-target=live", "--sms-definition-key=x", "--sms-check=SEND-EXAMPLE", "-q"
    )
    result.assert_outcomes(failed=1)
    assert "--target live needs --to NUMBER" in result.stdout.str()


def test_a_concurrency_out_of_range_is_a_clear_error(pytester):
    result = pytester.runpytest_inprocess(
        "--sms-target=mock", "--sms-check=SEND-EXAMPLE", "--sms-concurrency=0", "-q"
    )
    result.assert_outcomes(failed=1)
    assert "the concurrency must be 1 to 32, not 0" in result.stdout.str()


@pytest.mark.loopback
def test_a_live_run_with_workers_passes_as_in_strict_order(pytester, monkeypatch):
    """--sms-concurrency reaches the run: at 1 and at 8 the same checks pass (each against a
    fresh simulator: the keys of the first run stay taken for two days)."""
    outcomes = []
    for concurrency in ("1", "8"):
        simulator = Simulator(SimulatorConfig())
        with serve_in_thread(simulator) as server:
            result = pytester.runpytest_inprocess(
                *_live(simulator, monkeypatch, server),
                "--sms-check=SEND-ECHO-KEY",
                "--sms-check=SEND-REJECT-MALFORMED-JSON",
                f"--sms-concurrency={concurrency}",
                "-q",
            )
        outcomes.append(result.parseoutcomes())
    assert outcomes[0] == outcomes[1]
    assert outcomes[0]["passed"] == 2


def test_a_check_that_could_not_be_judged_fails_its_item_unless_allowed(pytester):
    """A budget of one send: SEND-ECHO-KEY is incomplete, so its item fails, saying why;
    with --sms-allow-incomplete it is skipped with the same reason instead."""
    args = ("--sms-target=mock", "--sms-check=SEND-ECHO-KEY", "--sms-max-sends=1", "--sms-seed=3")
    strict = pytester.runpytest_inprocess(*args, "-q")
    strict.assert_outcomes(failed=1)
    assert any(
        "INCOMPLETE SEND-ECHO-KEY: budget: the budget of 1 accepted sends is spent" in line
        for line in strict.outlines
    )
    allowed = pytester.runpytest_inprocess(*args, "--sms-allow-incomplete", "-q", "-rs")
    allowed.assert_outcomes(skipped=1)
    assert any("INCOMPLETE SEND-ECHO-KEY: budget:" in line for line in allowed.outlines)


@pytest.mark.loopback
def test_the_extra_token_check_runs_live_only_when_the_plugin_allows_it(pytester, monkeypatch):
    """Live on a loopback simulator: AUTH-INSUFFICIENT-SCOPE is skipped, saying why, without
    --sms-allow-extra-token, and judged (passes) with it."""
    simulator = Simulator(SimulatorConfig())
    with serve_in_thread(simulator) as server:
        args = (
            *_live(simulator, monkeypatch, server),
            "--sms-check=AUTH-INSUFFICIENT-SCOPE",
            "-q",
            "-rs",
        )
        without = pytester.runpytest_inprocess(*args)
        allowed = pytester.runpytest_inprocess(*args, "--sms-allow-extra-token")
    without.assert_outcomes(skipped=1)
    assert any("--allow-extra-token" in line for line in without.outlines)
    allowed.assert_outcomes(passed=1)


def test_the_seed_the_run_used_is_printed_when_none_was_given(pytester):
    """Without --sms-seed the header names the seed actually drawn (never "random"), the
    summary under the results repeats it, and it is the seed the run and its report used."""
    report_dir = pytester.path / "reports"
    result = pytester.runpytest_inprocess(
        "--sms-target=mock", "--sms-check=SEND-EXAMPLE", f"--sms-report-dir={report_dir}"
    )
    result.assert_outcomes(passed=1)
    (header,) = [line for line in result.outlines if line.startswith("sms-contract: target")]
    assert "random" not in header
    match = re.fullmatch(
        r"sms-contract: target mock, seed (\d+) \(reproduce with --sms-seed=(\d+)\)", header
    )
    assert match is not None, header
    seed = int(match.group(1))
    assert int(match.group(2)) == seed
    assert f"sms-contract: seed {seed} (reproduce with --sms-seed={seed})" in result.outlines
    assert json.loads((report_dir / "report.json").read_text("utf-8"))["seed"] == seed


def test_a_given_seed_is_the_one_printed(pytester):
    """--sms-seed=7: the header and the summary say 7, even with -q (the summary only)."""
    quiet = pytester.runpytest_inprocess(
        "--sms-target=mock", "--sms-check=SEND-EXAMPLE", "--sms-seed=7", "-q"
    )
    quiet.assert_outcomes(passed=1)
    assert "sms-contract: seed 7 (reproduce with --sms-seed=7)" in quiet.outlines
    loud = pytester.runpytest_inprocess(
        "--sms-target=mock", "--sms-check=SEND-EXAMPLE", "--sms-seed=7"
    )
    assert "sms-contract: target mock, seed 7 (reproduce with --sms-seed=7)" in loud.outlines
