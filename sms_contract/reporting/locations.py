"""Where a command writes: checked before anything is sent, claimed, and written atomically.

Every output directory of every command (the ``--report-dir`` of ``run``, ``record`` and
``drift``; the ``--cassette-dir`` that ``record`` writes) goes through ``prepare_output_dir``
before the first request is made or the plan is drawn: a path that is a file, a directory
that cannot be written (read-only, another user's) or created is a ``UsageError`` naming the
path and what is wrong, so a run never spends live sends only to fail at its reports. The
same call removes the files the command owns there from an earlier run, so that whatever
stops this one (a signal, an unreachable target, a crash), nothing in the directory claims to
be its result; ``write_atomically`` then writes each file under a temporary name beside it
and renames it into place, so a reader never sees half a report.

Nothing is created by the check itself: a missing directory is made when the first file is
written.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterable, Mapping
from contextlib import suppress
from pathlib import Path

from sms_contract.errors import UsageError


def prepare_output_dir(directory: Path, option: str, owned: Iterable[str] = ()) -> None:
    """``UsageError`` (one line: ``option``, the path, what is wrong) unless ``directory``
    is a directory this process can write into, or one it can create; then each file named
    in ``owned`` that an earlier run left in it is removed."""
    check_output_dir(directory, option)
    for name in owned:
        path = directory / name
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise UsageError(
                f"{option} {directory}: cannot remove the earlier run's {name} "
                f"({_reason(exc)}); remove it, or choose another directory"
            ) from None


def check_output_dir(directory: Path, option: str) -> None:
    """``UsageError`` unless ``directory`` can be written into or created (module doc)."""
    existing = directory
    while not _exists(existing) and existing != existing.parent:
        existing = existing.parent
    if existing == directory:
        if directory.is_symlink() and not directory.exists():
            raise UsageError(f"{option} {directory} is a symbolic link to nothing")
        if not directory.is_dir():
            raise UsageError(
                f"{option} {directory} is a file, not a directory: give a directory to write "
                "into (it is created if missing)"
            )
        problem = _unwritable(directory)
        if problem is not None:
            raise UsageError(f"{option} {directory}: the directory is not writable {problem}")
        return
    if not existing.is_dir():
        raise UsageError(
            f"{option} {directory} cannot be created: {existing} is a file, not a directory"
        )
    problem = _unwritable(existing)
    if problem is not None:
        raise UsageError(
            f"{option} {directory} cannot be created: {existing} is not writable {problem}"
        )


def write_files(directory: Path, files: Mapping[str, str]) -> list[Path]:
    """Each text of ``files`` (file name -> text) written atomically into ``directory``
    (created if missing), in order; the paths written. ``UsageError`` naming the directory when
    it cannot be written after all (it changed since the check, or the disk is full)."""
    paths: list[Path] = []
    current = directory
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            current = directory / name
            write_atomically(current, text)
            paths.append(current)
    except OSError as exc:
        raise UsageError(f"cannot write {current}: {_reason(exc)}") from None
    return paths


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends; anything unencodable backslash-escaped) to a
    temporary name in ``path``'s directory, then rename it over ``path``: ``path`` holds the
    old bytes or the new ones, never part of them. The permissions are those a plain write
    gives (the umask's)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "x", encoding="utf-8", errors="backslashreplace", newline="\n") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            temporary.unlink()
        raise


def _exists(path: Path) -> bool:
    """Anything at ``path``, a dangling symbolic link included."""
    return path.exists() or path.is_symlink()


def _unwritable(directory: Path) -> str | None:
    """Why no file can be created in ``directory`` (``"(permission denied)"``, and whose it
    is when it is another user's), or ``None`` when one can. Tried for real (an unnamed
    temporary file where the system has them, else one removed at once), since permission
    bits, ACLs and read-only mounts all have a say."""
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        reason = f"({_reason(exc)})"
        with suppress(OSError):
            owner = directory.stat().st_uid
            if hasattr(os, "geteuid") and owner != os.geteuid():
                reason += f": it belongs to another user (uid {owner})"
        return reason
    return None


def _reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()
