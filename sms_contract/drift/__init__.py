"""Drift: ``compare`` (a fresh run against the recordings and against the spec),
``response_diff`` (what changed between two answers) and ``fidelity`` (the simulator against
the recordings). One spec version against another is :mod:`sms_contract.spec.diff`."""
