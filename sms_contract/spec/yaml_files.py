"""Reading a YAML (or JSON) file, with errors that name the file, the line and the reason."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from sms_contract.errors import SmsContractError


def read_yaml_file(
    path: str | os.PathLike[str], error: type[SmsContractError], *, kind: str = "YAML"
) -> Any:
    """The parsed document; ``error`` (a ``SmsContractError``) when the file cannot be read,
    is not UTF-8 text, or is not valid ``kind`` (said in the message)."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise error(f"{source}: cannot read ({reason})") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise error(f"{source}: not valid {kind}{where}") from exc
