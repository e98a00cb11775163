"""Shared test configuration: pytester for the plugin's tests, and a clean CLI environment."""

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

SFMC_VARIABLES = (
    "SFMC_CLIENT_ID",
    "SFMC_CLIENT_SECRET",
    "SFMC_ACCOUNT_ID",
    "SFMC_ACCESS_TOKEN",
    "SFMC_SUBDOMAIN",
    "SFMC_SCOPE",
    "SFMC_DEFINITION_KEY",
)


@pytest.fixture
def clean_cli_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No SFMC_* variable of the machine leaks into a CLI run, and whatever the run writes in
    its working directory (reports/, say) lands in tmp_path."""
    for name in SFMC_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch
