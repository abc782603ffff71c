"""The audit line of a run: what was read and written, never what the rows hold.

While an :class:`AuditTrail` is recording (:func:`recording`), the readers of :mod:`crmcli.io` note each
input (its name, size, SHA-256 and rows read) and the writers each output (path, format, rows, mode,
encrypted or not). :func:`audit_line` makes the JSON line the CLI appends to ``--log PATH``: time,
command, inputs, outputs, exit code, the privacy options — no cell value, no key, no password.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class AuditTrail:
    """Inputs read and outputs written during one run."""

    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)

    def read(self, name: str, data: bytes, rows: int | None = None) -> dict[str, Any]:
        entry = {"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "rows": rows}
        self.inputs.append(entry)
        return entry

    def wrote(self, path: str, *, format: str | None = None, rows: int | None = None, mode: int | None = None,
              encrypted: bool = False) -> None:
        self.outputs.append({"path": path, "format": format, "rows": rows,
                             "mode": f"{mode:04o}" if mode is not None else None, "encrypted": encrypted})


_TRAIL: contextvars.ContextVar[AuditTrail | None] = contextvars.ContextVar("crm_audit", default=None)


def trail() -> AuditTrail | None:
    """The trail being recorded, or None."""
    return _TRAIL.get()


@contextlib.contextmanager
def recording(audit: AuditTrail | None) -> Iterator[AuditTrail | None]:
    token = _TRAIL.set(audit)
    try:
        yield audit
    finally:
        _TRAIL.reset(token)


def note_input(name: str, data: bytes) -> dict[str, Any] | None:
    """Called by the reader with the bytes of an input (a no-op when nothing records)."""
    t = _TRAIL.get()
    return t.read(name, data) if t is not None else None


def written_mode(path: str) -> int | None:
    """The permission bits of the file just written at ``path`` (None for stdout or anything not a file)."""
    return os.stat(path).st_mode & 0o777 if path != "-" and os.path.isfile(path) else None


def note_output(path: str, **kw: Any) -> None:
    t = _TRAIL.get()
    if t is not None:
        t.wrote(path, **kw)


def audit_line(*, time: str, command: str, exit_code: int, audit: AuditTrail, privacy: dict[str, Any],
               version: str, user: str | None = None, error: str | None = None) -> str:
    """One JSON line (UTF-8, no newline inside)."""
    record = {"time": time, "command": command, "exit_code": exit_code, "user": user, "version": version,
              "inputs": audit.inputs, "outputs": audit.outputs, "privacy": privacy}
    if error:
        record["error"] = error
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def open_log(path: str | os.PathLike, mode: int = 0o600) -> int:
    """Open (create) the log for appending; returns the descriptor. The file is created ``mode`` (umask applies)."""
    from pathlib import Path

    p = Path(os.fspath(path))
    if p.parent and not p.parent.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
    return os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode)


def append_line(fd: int, line: str) -> None:
    """Append one line in one write (lines of concurrent runs never interleave)."""
    os.write(fd, (line + "\n").encode("utf-8"))
