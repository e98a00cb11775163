"""TLS against a live target: the CA bundle from --ca-bundle or the environment, and a
certificate that cannot be verified ending the run at once with its cause and its fix.

The target is the simulator behind TLS on 127.0.0.1, with a certificate made for the test that
no CA bundle of the machine trusts (``tests/transports/conftest.py``)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import certifi
import pytest

from sms_contract.cli.main import main
from sms_contract.client.config import ClientConfig
from sms_contract.client.results import Accepted
from sms_contract.client.sms_client import SmsClient
from sms_contract.errors import ResponseLost, TransportError, UsageError
from sms_contract.exchange import HttpRequest
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.config import Deviation, SimulatorConfig
from sms_contract.transports.base import Timeouts
from sms_contract.transports.http import HttpTransport, find_ca_bundle
from tests.transports.conftest import Certificate, TlsSimulator

pytestmark = [pytest.mark.loopback, pytest.mark.usefixtures("network_environment")]

NUMBER = "15555551234"
PAYLOAD = {"definitionKey": "account-reset", "recipient": {"to": NUMBER, "contactKey": "Astro25"}}
UNTRUSTED = (
    r"TLS certificate of 127\.0\.0\.1 could not be verified \(self[- ]signed certificate\): "
    r"pass --ca-bundle FILE or set REQUESTS_CA_BUNDLE to the CA that signed it"
)


def _config(server: TlsSimulator) -> ClientConfig:
    credentials = server.simulator.config.credentials
    return ClientConfig(
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        auth_base_url=server.base_url,
        rest_base_url=server.base_url,
    )


def _send(server: TlsSimulator, transport: HttpTransport) -> object:
    with SmsClient(_config(server), transport) as client:
        return client.send_to_one(PAYLOAD)


# --- the transport and the client ---------------------------------------------------------


def test_an_untrusted_certificate_fails_once_at_once_with_the_cause_and_the_fix(
    tls_simulator: TlsSimulator,
) -> None:
    """Without the CA (certifi's bundle only), the client's default policy (backoff 2, 4, 8 s)
    does not retry: one connection, well under the first backoff, a permanent TransportError
    (not a lost response) whose message is one line naming the host, the cause and the fix."""
    started = time.perf_counter()
    with pytest.raises(TransportError) as caught:
        _send(tls_simulator, HttpTransport())
    elapsed = time.perf_counter() - started
    assert caught.value.permanent
    assert not isinstance(caught.value, ResponseLost)
    assert re.fullmatch(UNTRUSTED, str(caught.value))
    assert tls_simulator.connections == 1
    assert elapsed < 1.0


def test_the_ca_bundle_given_to_the_transport_verifies_the_certificate(
    tls_simulator: TlsSimulator, certificate: Certificate
) -> None:
    """``ca_bundle`` pointing at the certificate: the token request and the send succeed."""
    assert isinstance(_send(tls_simulator, HttpTransport(ca_bundle=certificate.cert)), Accepted)


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"])
def test_each_ca_variable_of_the_environment_is_honoured(
    tls_simulator: TlsSimulator,
    certificate: Certificate,
    network_environment: pytest.MonkeyPatch,
    variable: str,
) -> None:
    """REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE and SSL_CERT_FILE each name the bundle that
    certificates are verified with (SSL_CERT_FILE too, which requests alone would not read)."""
    network_environment.setenv(variable, str(certificate.cert))
    assert isinstance(_send(tls_simulator, HttpTransport()), Accepted)


def test_the_ca_variables_are_read_in_order_and_the_explicit_bundle_wins() -> None:
    """REQUESTS_CA_BUNDLE before CURL_CA_BUNDLE before SSL_CERT_FILE; --ca-bundle over all."""
    bundle = certifi.where()
    environ = {"SSL_CERT_FILE": bundle, "CURL_CA_BUNDLE": bundle, "REQUESTS_CA_BUNDLE": bundle}
    found = find_ca_bundle(None, environ)
    assert found is not None
    assert found.source == "REQUESTS_CA_BUNDLE"
    found = find_ca_bundle(None, {"SSL_CERT_FILE": bundle, "CURL_CA_BUNDLE": bundle})
    assert found is not None
    assert found.source == "CURL_CA_BUNDLE"
    found = find_ca_bundle(Path(bundle), environ)
    assert found is not None
    assert (found.source, found.path) == ("--ca-bundle", bundle)
    assert find_ca_bundle(None, {"REQUESTS_CA_BUNDLE": " "}) is None


def test_a_bundle_without_the_signing_ca_says_which_bundle_was_used(
    tls_simulator: TlsSimulator, network_environment: pytest.MonkeyPatch
) -> None:
    """A CA bundle from the environment that does not hold the CA: the message names the
    variable and the file, so the fix is plain."""
    network_environment.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    with pytest.raises(TransportError) as caught:
        _send(tls_simulator, HttpTransport())
    assert caught.value.permanent
    assert str(caught.value).endswith(
        f": the CA bundle REQUESTS_CA_BUNDLE={certifi.where()} does not hold the CA that "
        "signed it; pass --ca-bundle FILE naming that CA"
    )


def test_a_certificate_for_another_host_says_so_rather_than_blaming_the_ca(
    tls_simulator: TlsSimulator, certificate: Certificate
) -> None:
    """A trusted certificate for 127.0.0.1 reached as localhost: a host mismatch, whose fix
    is the URL, not a CA bundle."""
    url = tls_simulator.base_url.replace("127.0.0.1", "localhost") + "/v2/token"
    transport = HttpTransport(ca_bundle=certificate.cert, environ={})
    try:
        with pytest.raises(TransportError) as caught:
            transport.send(HttpRequest("POST", url, {}, b"{}"), Timeouts(connect=2, read=2))
    finally:
        transport.close()
    assert caught.value.permanent
    assert str(caught.value).startswith("TLS certificate of localhost could not be verified (")
    assert str(caught.value).endswith(
        "): the certificate is for another host: check the host of --base-url, --auth-url or "
        "SFMC_SUBDOMAIN"
    )


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (None, "no such file"),
        (b"not a certificate\n", "holds no PEM certificate"),
    ],
)
def test_a_ca_bundle_that_cannot_be_used_is_a_usage_error_before_any_request(
    tmp_path: Path,
    network_environment: pytest.MonkeyPatch,
    content: bytes | None,
    why: str,
) -> None:
    """A missing file or one without a certificate: UsageError naming where it came from,
    raised when the transport is made (so before anything can be sent)."""
    bundle = tmp_path / "ca.pem"
    if content is not None:
        bundle.write_bytes(content)
    with pytest.raises(UsageError, match=f"^--ca-bundle {re.escape(str(bundle))}: {why}"):
        HttpTransport(ca_bundle=bundle, environ={})
    network_environment.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    with pytest.raises(UsageError, match=f"^REQUESTS_CA_BUNDLE={re.escape(str(bundle))}: {why}"):
        HttpTransport()


# --- the command line ---------------------------------------------------------------------


def _live(server: TlsSimulator, tmp_path: Path, *extra: str) -> list[str]:
    return [
        *("run", "--target", "live", "--base-url", server.base_url, "--auth-url", server.base_url),
        *("--definition-key", "account-reset", "--to", NUMBER, "--check", "SEND-EXAMPLE"),
        *("--seed", "3", "--report-dir", str(tmp_path / "reports"), *extra),
    ]


@pytest.fixture
def credentials(
    tls_simulator: TlsSimulator,
    network_environment: pytest.MonkeyPatch,
    clean_cli_environment: pytest.MonkeyPatch,
) -> pytest.MonkeyPatch:
    """The simulator's client credentials in the environment, nothing else of the machine's."""
    simulated = tls_simulator.simulator.config.credentials
    network_environment.setenv("SFMC_CLIENT_ID", simulated.client_id)
    network_environment.setenv("SFMC_CLIENT_SECRET", simulated.client_secret)
    return network_environment


def _errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("sms-contract: error:")]


def test_a_live_run_against_an_untrusted_certificate_exits_3_at_once_in_one_line(
    tls_simulator: TlsSimulator,
    credentials: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``run --target live`` without the CA: exit 3 after one connection attempt (no retry),
    with one error line giving the host, the cause and the fix."""
    assert main(_live(tls_simulator, tmp_path)) == 3
    errors = _errors(capsys.readouterr().err)
    assert len(errors) == 1
    assert re.fullmatch(f"sms-contract: error: {UNTRUSTED}", errors[0])
    assert tls_simulator.connections == 1


def test_a_live_run_with_ca_bundle_verifies_the_certificate(
    tls_simulator: TlsSimulator,
    certificate: Certificate,
    credentials: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--ca-bundle`` naming the certificate: the run reaches the target and the check
    holds (exit 0)."""
    code = main(_live(tls_simulator, tmp_path, "--ca-bundle", str(certificate.cert)))
    assert code == 0, capsys.readouterr()
    assert tls_simulator.connections > 1


def test_the_live_replay_line_of_a_failure_carries_the_ca_bundle(
    tls_simulator: TlsSimulator,
    certificate: Certificate,
    credentials: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A failure of a run made with --ca-bundle: its live replay command names the same
    bundle, so that pasted it reaches the target again."""
    tls_simulator.use(Simulator(SimulatorConfig(deviations=frozenset({Deviation.IGNORE_AUTH}))))
    argv = _live(tls_simulator, tmp_path, "--ca-bundle", str(certificate.cert))
    argv[argv.index("SEND-EXAMPLE")] = "AUTH-NO-TOKEN"
    assert main(argv) == 1
    replays = [
        line
        for line in capsys.readouterr().out.splitlines()
        if "sms-contract run --target live" in line
    ]
    assert replays
    assert all(f"--ca-bundle {certificate.cert}" in line for line in replays)


def test_a_live_run_honours_requests_ca_bundle(
    tls_simulator: TlsSimulator,
    certificate: Certificate,
    credentials: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """REQUESTS_CA_BUNDLE naming the certificate, no flag: the run holds (exit 0)."""
    credentials.setenv("REQUESTS_CA_BUNDLE", str(certificate.cert))
    assert main(_live(tls_simulator, tmp_path)) == 0, capsys.readouterr()


def test_ca_bundle_wins_over_requests_ca_bundle(
    tls_simulator: TlsSimulator,
    certificate: Certificate,
    credentials: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """REQUESTS_CA_BUNDLE naming the certificate, --ca-bundle naming certifi's bundle: the
    flag is what is used, so the certificate is refused and the message names the flag."""
    credentials.setenv("REQUESTS_CA_BUNDLE", str(certificate.cert))
    assert main(_live(tls_simulator, tmp_path, "--ca-bundle", certifi.where())) == 3
    errors = _errors(capsys.readouterr().err)
    assert len(errors) == 1
    assert f"the CA bundle --ca-bundle {certifi.where()} does not hold" in errors[0]


def test_a_missing_ca_bundle_exits_2_in_one_line_before_anything_is_sent(
    tls_simulator: TlsSimulator,
    credentials: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--ca-bundle`` naming no file: exit 2, one line, not one connection made."""
    missing = tmp_path / "missing.pem"
    assert main(_live(tls_simulator, tmp_path, "--ca-bundle", str(missing))) == 2
    assert _errors(capsys.readouterr().err) == [
        f"sms-contract: error: --ca-bundle {missing}: no such file (give the CA's PEM file)"
    ]
    assert tls_simulator.connections == 0


def test_ca_bundle_goes_with_the_live_target_only(
    certificate: Certificate,
    clean_cli_environment: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The mock is in-process: --ca-bundle with it is a usage error (exit 2, one line)."""
    assert main(["run", "--ca-bundle", str(certificate.cert)]) == 2
    assert _errors(capsys.readouterr().err) == [
        "sms-contract: error: --ca-bundle goes with --target live (the mock is in-process)"
    ]


def test_run_help_documents_the_ca_bundle_and_the_environment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``run --help`` names --ca-bundle, the CA variables and the proxy variables."""
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name in (
        "--ca-bundle FILE",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "SSL_CERT_FILE",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "NO_PROXY",
    ):
        assert name in text


def test_the_pytest_plugin_verifies_with_its_ca_bundle_and_fails_without_it(
    tls_simulator: TlsSimulator,
    certificate: Certificate,
    credentials: pytest.MonkeyPatch,
    pytester: pytest.Pytester,
) -> None:
    """``--sms-ca-bundle`` is the plugin's ``--ca-bundle``: with the certificate the check's
    item passes; without it the item fails with the one-line cause and fix."""
    args = (
        "--sms-target=live",
        f"--sms-base-url={tls_simulator.base_url}",
        f"--sms-auth-url={tls_simulator.base_url}",
        f"--sms-to={NUMBER}",
        "--sms-definition-key=account-reset",
        "--sms-check=SEND-EXAMPLE",
        "--sms-seed=3",
        "-q",
    )
    trusted = pytester.runpytest_inprocess(*args, f"--sms-ca-bundle={certificate.cert}")
    trusted.assert_outcomes(passed=1)
    untrusted = pytester.runpytest_inprocess(*args)
    untrusted.assert_outcomes(failed=1)
    assert re.search(UNTRUSTED, untrusted.stdout.str())
