"""Atomic writes: a temp file beside the destination, renamed into place.

A destination is checked before anything is written (never an input, never a folder; a
missing folder is created). Whatever stops a write — an error, a full disk, Ctrl-C, an exception
raised by a signal handler — the temp file is removed (``finally``) and a previous file at
the destination is left as it was.
"""

from __future__ import annotations

import errno
import io
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from ..errors import OutputError

#: errno values that mean "the disk (or the quota, or the file size limit) is full".
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def is_device(path: Path) -> bool:
    """A device or pipe (``/dev/null``, a FIFO): written into as it is, never renamed over."""
    try:
        return path.exists() and not path.is_file() and not path.is_dir()
    except OSError:
        return False


def refuse_destination(dest: Path, inputs: Iterable[str | os.PathLike | None] = ()) -> None:
    """Raise :class:`OutputError` when ``dest`` can never be written: one of ``inputs``, a folder, below a
    path that is a file, or in a folder that cannot be written. A missing folder is fine (it is created)."""
    for inp in inputs:
        if inp is None or os.fspath(inp) == "-":
            continue
        try:
            if dest.exists() and os.path.samefile(dest, inp):
                raise OutputError(f"refusing to overwrite the input {os.fspath(inp)}",
                                  hint="choose another {opt:output} path")
        except OSError:
            continue
    if dest.is_dir():
        raise OutputError(f"{dest} is a directory", hint="give a file name with {opt:output}")
    existing = dest.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"cannot write {dest}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {dest}: folder {existing} is not writable")


def check_destination(dest: str | os.PathLike, inputs: Iterable[str | os.PathLike] = ()) -> None:
    """At write time: :func:`refuse_destination`, then a missing folder is created (every command follows
    this rule: ``-o reports/2024/x.xlsx`` makes ``reports/2024``). ``"-"`` (stdout) is always fine."""
    if os.fspath(dest) == "-":
        return
    dest = Path(os.fspath(dest))
    if is_device(dest):
        return
    refuse_destination(dest, inputs)
    if not dest.parent.exists():
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create folder {dest.parent} for {dest} ({exc.strerror or exc})") from None


def check_destinations(dests: Iterable[str | os.PathLike | None], *,
                       inputs: Iterable[str | os.PathLike | None] = ()) -> list[str]:
    """Before anything is written: every destination of a run refused or accepted at once
    (:func:`refuse_destination`; two outputs naming one file are refused too). Nothing is created.
    Returns the file destinations (stdout and devices left out)."""
    inputs = [i for i in inputs if i is not None and os.fspath(i) != "-"]
    seen: set[str] = set()
    files: list[str] = []
    for dest in dests:
        if dest is None or os.fspath(dest) == "-" or is_device(Path(os.fspath(dest))):
            continue
        key = os.path.normcase(os.path.abspath(os.fspath(dest)))
        if key in seen:
            raise OutputError(f"{os.fspath(dest)} is named as two outputs", hint="give each output its own file")
        seen.add(key)
        refuse_destination(Path(os.fspath(dest)), inputs)
        files.append(os.fspath(dest))
    return files


def write_error(path: Path, exc: OSError) -> OutputError:
    """The :class:`OutputError` for an OS error writing ``path``; a full disk names the folder."""
    reason = exc.strerror or str(exc)
    if exc.errno in FULL_ERRNOS:
        return OutputError(f"cannot write {path}: no space left in {path.parent or '.'} ({reason})",
                           hint="free some space there, or write somewhere else")
    return OutputError(f"cannot write {path} ({reason})")


def atomic_write(dest: str | os.PathLike, write: Callable[[IO[bytes]], None], *,
                 inputs: Iterable[str | os.PathLike] = (), mode: int | None = None) -> None:
    """Call ``write(fileobj)`` on a temp file beside ``dest``, then rename it into place.

    ``dest`` of ``"-"`` writes to stdout. A failure leaves any previous ``dest`` untouched
    and no temp file behind. The temp file is private (0600) while it is written; the file then gets
    ``mode`` limited by the umask (an output holding personal data: ``[privacy] file_mode``), else an
    existing file's mode, else what ``open`` would give (0666 less the umask).
    """
    if os.fspath(dest) == "-":
        buf = io.BytesIO()
        write(buf)
        try:
            sys.stdout.buffer.write(buf.getvalue())
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(f"cannot write to stdout ({exc.strerror or exc})") from None
        return
    path = Path(os.fspath(dest))
    check_destination(path, inputs)
    if is_device(path):
        # a device or pipe (-o /dev/null, a FIFO): write into it; renaming over it would replace it
        try:
            with open(path, "wb") as fh:
                write(fh)
        except OSError as exc:
            raise write_error(path, exc) from None
        return
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        if mode is not None:
            from ..privacy import final_mode

            os.chmod(tmp_name, final_mode(mode))
        elif path.exists():
            try:
                os.chmod(tmp_name, path.stat().st_mode & 0o777)
            except OSError:
                pass
        else:
            from ..privacy import DEFAULT_MODE, final_mode

            os.chmod(tmp_name, final_mode(DEFAULT_MODE))
        os.replace(tmp_name, path)
        tmp_name = None
    except OutputError:
        raise
    except OSError as exc:
        raise write_error(path, exc) from None
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


class AtomicStream:
    """A file written in parts and renamed into place by :meth:`commit` (stdout for ``"-"``:
    written as it comes, nothing held back). :meth:`discard` (or leaving a ``with`` block on an
    exception) removes the temp file and leaves a previous ``dest`` as it was."""

    def __init__(self, dest: str | os.PathLike, *, inputs: Iterable[str | os.PathLike] = ()):
        self.dest = os.fspath(dest)
        self._tmp: str | None = None
        self._final: Path | None = None
        if self.dest == "-":
            self.fh: IO[bytes] = sys.stdout.buffer
            return
        path = Path(self.dest)
        check_destination(path, inputs)
        try:
            if path.exists() and not path.is_file() and not path.is_dir():
                self.fh = open(path, "wb")  # noqa: SIM115 - a device or pipe: written into as it is
                return
            fd, self._tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            self.fh = os.fdopen(fd, "wb")
            self._final = path
        except OSError as exc:
            raise write_error(path, exc) from None

    def write(self, data: bytes) -> None:
        try:
            self.fh.write(data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise write_error(Path(self.dest), exc) from None

    def commit(self) -> None:
        if self.dest == "-":
            try:
                self.fh.flush()
            except BrokenPipeError:
                raise
            except OSError as exc:
                raise OutputError(f"cannot write to stdout ({exc.strerror or exc})") from None
            return
        try:
            self.fh.close()
            if self._tmp is not None and self._final is not None:
                if self._final.exists():
                    try:
                        os.chmod(self._tmp, self._final.stat().st_mode & 0o777)
                    except OSError:
                        pass
                else:
                    umask = os.umask(0)
                    os.umask(umask)
                    os.chmod(self._tmp, 0o666 & ~umask)
                os.replace(self._tmp, self._final)
                self._tmp = None
        except OSError as exc:
            self.discard()
            raise write_error(Path(self.dest), exc) from None

    def discard(self) -> None:
        if self.dest != "-":
            try:
                self.fh.close()
            except OSError:
                pass
        if self._tmp is not None:
            try:
                os.unlink(self._tmp)
            except OSError:
                pass
            self._tmp = None

    def __enter__(self) -> AtomicStream:
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()
