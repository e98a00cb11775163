"""No report carries a secret: evidence built through the Scrubber leaves no canary behind."""

from __future__ import annotations

import pytest

from sms_contract.reporting import WRITERS, write_reports
from tests.reporting.conftest import CANARIES, make_run


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("name", list(WRITERS))
def test_no_canary_appears_in_a_rendered_report(name, strict):
    """Token, client secret, phone number and attribute value are all absent from the output."""
    text = WRITERS[name].render(make_run(strict=strict))
    leaked = sum(1 for canary in CANARIES if canary in text)  # a count: never echo a secret
    assert leaked == 0


def test_no_canary_appears_in_any_written_file(tmp_path):
    """The files on disk are as clean as the rendered strings."""
    write_reports(make_run(), tmp_path)
    leaks = {
        path.name: sum(1 for canary in CANARIES if canary in path.read_text(encoding="utf-8"))
        for path in tmp_path.iterdir()
    }
    assert leaks == {"junit.xml": 0, "report.json": 0, "report.html": 0, "summary.md": 0}


def test_the_sample_really_carries_every_canary_before_scrubbing():
    """The canaries were in the exchanges: the scrubbed placeholders stand in their place."""
    text = WRITERS["json"].render(make_run())
    for placeholder in ("<redacted>", "<secret-1>", "<secret-2>", "<phone-1>", "<attribute-1>"):
        assert placeholder in text
