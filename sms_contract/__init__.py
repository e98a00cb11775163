"""sms-contract: contract tests and conformance checks for the SFMC Transactional SMS API."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
