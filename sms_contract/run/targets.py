"""Where a run sends its requests: the hermetic mock, or a live tenant (or any server that the
live code path is pointed at with --base-url / --auth-url).

A ``Target`` hands the runner a client configuration, a transport, what it may do beyond sending
(``capabilities``), which values must never be shown (``known_secrets``), and how to replay one
case. The mock is the simulator in-process behind ``responses`` (and, with --cassette-dir,
recordings first, case by case: ``sms_contract.recordings.replay``): it never opens a socket. Live
goes through ``HttpTransport`` with credentials from the environment.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from sms_contract.checks.model import Capability, Case
from sms_contract.client.config import ClientConfig, RetryPolicy
from sms_contract.errors import UsageError
from sms_contract.exchange import Exchange, is_loopback_host
from sms_contract.redaction import Scrubber
from sms_contract.run import interruption
from sms_contract.run.defaults import (
    DEFAULT_DEFINITION_KEY,
    DOCUMENTED_NUMBER,
    LIVE_MAX_REQUESTS,
    LIVE_MAX_SENDS,
    TargetKind,
)
from sms_contract.spec.rules import looks_deliverable
from sms_contract.transports.base import Transport
from sms_contract.transports.http import HttpTransport, find_ca_bundle

if TYPE_CHECKING:
    from sms_contract.run.planning import RunOptions
    from sms_contract.simulator.config import SimulatorConfig

DEFAULT_RETRIES = 3
MOCK_REST_URL = "https://mock.rest.sms-contract.invalid"
MOCK_AUTH_URL = "https://mock.auth.sms-contract.invalid"
ENV_DEFINITION_KEY = "SFMC_DEFINITION_KEY"
REPLAY_MARGIN = 1  # a live replay's budget: what its case could spend, and one send more


@dataclass(frozen=True)
class TargetSettings:
    """The target flags as given; ``resolved()`` fills defaults and refuses what is unsafe."""

    kind: TargetKind = TargetKind.MOCK
    base_url: str | None = None
    auth_url: str | None = None
    definition_key: str | None = None
    allow_list: tuple[str, ...] = ()
    max_sends: int | None = None
    max_requests: int | None = None
    allow_tenant_changes: bool = False
    allow_extra_token: bool = False  # live: a second token, of a narrower scope, may be asked
    cassette_dir: Path | None = None
    environ: Mapping[str, str] | None = None
    retries: int | None = None  # retries after the first attempt (default: the client's)
    ca_bundle: Path | None = None  # live: the CA to verify with (over the CA variables)
    # The mock's simulator, for tests that need a misbehaving one; None: the conformant default.
    simulator: SimulatorConfig | None = None

    def resolved(self) -> TargetSettings:
        for position, number in enumerate(self.allow_list, start=1):
            if not looks_deliverable(number):
                raise UsageError(
                    f"--to number {position} is not a mobile number (8 to 15 digits, an optional "
                    "leading +, no spaces or dashes)"
                )
        if self.kind is TargetKind.MOCK:
            if self.base_url or self.auth_url:
                raise UsageError(
                    "--base-url and --auth-url go with --target live (the mock is in-process)"
                )
            if self.ca_bundle is not None:
                raise UsageError("--ca-bundle goes with --target live (the mock is in-process)")
            return replace(
                self,
                definition_key=self.definition_key or DEFAULT_DEFINITION_KEY,
                allow_list=self.allow_list or (DOCUMENTED_NUMBER,),
            )
        if self.cassette_dir is not None:
            raise UsageError("--cassette-dir goes with --target mock")
        environ = os.environ if self.environ is None else self.environ
        definition_key = self.definition_key or environ.get(ENV_DEFINITION_KEY, "").strip()
        missing = []
        if not self.allow_list:
            missing.append("--to NUMBER (the allow-listed recipients)")
        if not definition_key:
            missing.append(f"--definition-key KEY (or {ENV_DEFINITION_KEY})")
        if missing:
            raise UsageError("--target live needs " + " and ".join(missing))
        find_ca_bundle(self.ca_bundle, environ)  # a bundle that cannot be used: exit 2 now
        return replace(
            self,
            definition_key=definition_key,
            max_sends=LIVE_MAX_SENDS if self.max_sends is None else self.max_sends,
            max_requests=LIVE_MAX_REQUESTS if self.max_requests is None else self.max_requests,
        )


class CaseReplayer(Protocol):
    """Answers from recordings, scoped to the case the runner is running."""

    def for_case(self, check_id: str, case_id: str) -> AbstractContextManager[None]: ...


def recording_scrubber(config: ClientConfig, allow_list: Sequence[str]) -> Scrubber:
    """The scrubber recordings are written and replayed with: the same rules on both paths,
    with the client id, the client secret, a static token, the account id (MID), the scope
    list and the allow-list known up front (so a recording made with one tenant's credentials
    matches a replay with another's)."""
    secrets = (config.client_secret, config.access_token, config.client_id, config.account_id)
    return Scrubber(secrets, known_phones=allow_list, known_scopes=(config.scope,))


@dataclass(frozen=True)
class Target:
    kind: str
    base_url: str
    config: ClientConfig
    transport: Transport
    capabilities: frozenset[Capability]
    known_secrets: tuple[str, ...]
    settings: TargetSettings
    known_scopes: tuple[str, ...] = ()  # scope lists: scrubbed as one value, never word by word
    enforce_allow_list: bool = True
    sleep: Callable[[float], None] = interruption.sleep  # time.sleep, cut short by a signal
    advance_clock: Callable[[float], None] | None = None
    recorder: Callable[[tuple[str, str] | None, Exchange], None] | None = None  # (check, case)
    replayer: CaseReplayer | None = None  # the mock with --cassette-dir

    @property
    def simulated(self) -> bool:
        """The mock, or the live code path pointed at loopback only (a simulator served by
        'sms-contract serve'): what answers is not a billed tenant."""
        if self.kind == TargetKind.MOCK.value:
            return True
        urls = (self.config.rest_base_url, self.config.token_url)
        return all(url and is_loopback_host(urlsplit(url).hostname or "") for url in urls)

    @property
    def concurrent(self) -> bool:
        """Whether cases may run on several workers: a live target over the network. The mock
        answers in-process on its own clock (and replays in recorded order), so it runs in
        order whatever ``--concurrency`` says."""
        return self.kind == TargetKind.LIVE.value and self.replayer is None

    def replay_commands(
        self, case: Case, options: RunOptions, check_id: str | None = None
    ) -> dict[str, str]:
        """One command per target kind that runs exactly this case again and judges it with
        ``check_id`` (default: the case's own check): a cross-cutting check that failed on an
        exchange of another check's case is named beside that check (``--check SEND-REQUEST-ID
        --check SEND-EXAMPLE --case SEND-EXAMPLE#1``), so the replay makes that exchange and
        the failing check judges it. The flags that make a finding a failure (``--strict``,
        ``--strict-check``) are carried over. In the live command the recipients are ``NUMBER``
        (fill in as many allow-listed numbers) and the budget is what the case could spend."""
        failing = (check_id or case.check_id).upper()
        checks = dict.fromkeys((failing, case.check_id.upper()))
        common = [*("--seed", str(options.seed), "--examples", str(options.examples))]
        for check in checks:
            common += ["--check", check]
        common += ["--case", case.id]
        if options.strict:
            common.append("--strict")
        elif failing in {strict.upper() for strict in options.strict_checks}:
            common += ["--strict-check", failing]
        mock = ["sms-contract", "run", "--target", "mock", *common]
        # The cases draw from the allow-list: as many numbers, never the numbers themselves
        # (the mock takes any, so fictional ones stand in).
        from sms_contract.recordings.replay import replay_allow_list

        numbers = replay_allow_list(len(options.allow_list))
        if numbers != (DOCUMENTED_NUMBER,):
            mock += [arg for number in numbers for arg in ("--to", number)]
        if self.settings.cassette_dir is not None:
            mock += ["--cassette-dir", str(self.settings.cassette_dir)]
        if self.settings.definition_key and self.settings.definition_key != DEFAULT_DEFINITION_KEY:
            mock += ["--definition-key", self.settings.definition_key]
        live = ["sms-contract", "run", "--target", "live", *common]
        for flag, value in (
            ("--base-url", self.settings.base_url),
            ("--auth-url", self.settings.auth_url),
        ):
            if value:
                live += [flag, value]
        if self.settings.ca_bundle is not None:  # the replay must trust the same CA
            live += ["--ca-bundle", str(self.settings.ca_bundle)]
        live += ["--definition-key", self.settings.definition_key or "KEY"]
        live += [arg for _ in options.allow_list for arg in ("--to", "NUMBER")]
        if Capability.TENANT_CHANGES in case.requires:
            live.append("--allow-tenant-changes")
        if Capability.EXTRA_TOKEN in case.requires:
            live.append("--allow-extra-token")
        worst = sum(step.most_sends for step in case.steps)
        live += ["--max-sends", str(worst + REPLAY_MARGIN)]
        return {"mock": shlex.join(mock), "live": shlex.join(live)}


def _retry_policy(settings: TargetSettings) -> RetryPolicy:
    """A conformance run's retries: 429 and lost responses up to ``--retries`` times (Retry-After
    honoured, else 0.5, 1, 2 s), a 5xx once after half a second (a deterministic 5xx is a
    finding to report, not to wait out), TLS and name-resolution errors never."""
    retries = DEFAULT_RETRIES if settings.retries is None else settings.retries
    return RetryPolicy(
        max_attempts=retries + 1,
        backoff_base=0.5,
        backoff_max=8.0,
        server_error_attempts=min(retries, 1) + 1,
        server_error_backoff=0.5,
    )


@contextmanager
def open_target(settings: TargetSettings) -> Iterator[Target]:
    """The target named by ``settings`` (already ``resolved()``), closed on exit."""
    if settings.kind is TargetKind.MOCK:
        with _mock(settings) as target:
            yield target
    else:
        with _live(settings) as target:
            yield target


@contextmanager
def _mock(settings: TargetSettings) -> Iterator[Target]:
    from sms_contract.simulator.app import Simulator
    from sms_contract.simulator.clock import ManualClock
    from sms_contract.simulator.config import SimulatorConfig
    from sms_contract.simulator.inprocess import simulate

    clock = ManualClock()
    simulator = Simulator(
        settings.simulator
        or SimulatorConfig.with_definition(settings.definition_key or DEFAULT_DEFINITION_KEY),
        clock=clock,
    )
    credentials = simulator.config.credentials
    config = ClientConfig(
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        rest_base_url=MOCK_REST_URL,
        auth_base_url=MOCK_AUTH_URL,
        retry=_retry_policy(settings),
    )
    transport = HttpTransport(environ={})  # responses answers: no CA bundle, no proxy
    with ExitStack() as stack:
        replayer = None
        if settings.cassette_dir is None:
            stack.enter_context(
                simulate(simulator, rest_base_url=MOCK_REST_URL, auth_base_url=MOCK_AUTH_URL)
            )
        else:
            from sms_contract.recordings.cassettes import load_recordings
            from sms_contract.recordings.replay import replaying_with_simulator

            replayer = stack.enter_context(
                replaying_with_simulator(
                    load_recordings(settings.cassette_dir),
                    simulator,
                    recording_scrubber(config, settings.allow_list),
                    rest_base_url=MOCK_REST_URL,
                    auth_base_url=MOCK_AUTH_URL,
                )
            )
        stack.callback(transport.close)
        yield Target(
            kind=TargetKind.MOCK.value,
            base_url=MOCK_REST_URL,
            config=config,
            transport=transport,
            capabilities=frozenset(Capability),
            known_secrets=(credentials.client_secret,),
            settings=settings,
            sleep=clock.advance,  # waiting is moving the simulator's clock: no real sleep
            advance_clock=clock.advance,
            replayer=replayer,
        )


@contextmanager
def _live(settings: TargetSettings) -> Iterator[Target]:
    environ = os.environ if settings.environ is None else settings.environ
    config = ClientConfig.from_env(
        environ,
        rest_base_url=settings.base_url,
        auth_base_url=settings.auth_url,
        retry=_retry_policy(settings),
    )
    capabilities = set()
    if config.client_id and config.client_secret:
        capabilities.add(Capability.CREDENTIALS)
    if settings.allow_tenant_changes:
        capabilities.add(Capability.TENANT_CHANGES)
    rest = config.rest_base_url or config.subdomain_rest_url or ""
    loopback = bool(rest) and is_loopback_host(urlsplit(rest).hostname or "")
    if loopback:
        capabilities.add(Capability.GENERATED_SENDS)
    if settings.allow_extra_token:
        capabilities.add(Capability.EXTRA_TOKEN)
    transport = HttpTransport(ca_bundle=settings.ca_bundle, environ=environ)
    try:
        yield Target(
            kind=TargetKind.LIVE.value,
            base_url=rest or "(from the token response)",
            config=config,
            transport=transport,
            capabilities=frozenset(capabilities),
            known_secrets=tuple(
                value
                for value in (
                    config.client_secret,
                    config.access_token,
                    config.client_id,
                    config.account_id,
                )
                if value
            ),
            settings=settings,
            known_scopes=(config.scope,) if config.scope and config.scope.strip() else (),
        )
    finally:
        transport.close()
