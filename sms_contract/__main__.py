"""``python -m sms_contract`` is the ``sms-contract`` command."""

from sms_contract.cli.main import console

raise SystemExit(console())
