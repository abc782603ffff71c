"""An xlsxwriter workbook whose temp files leave nothing behind.

In constant-memory mode xlsxwriter streams each sheet's rows through a temp file, and at close
writes every part of the workbook to temp files before zipping them: files that hold customer
rows. :func:`open_workbook` gives each workbook a private folder for them (mode 0700) and removes
it however the write ends (an error, a full disk, Ctrl-C, an exception a signal handler raises);
an OS error on those files is an :class:`OutputError` that names the temp folder, told apart from
an error writing the output itself.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from ..errors import OutputError
from .atomic import FULL_ERRNOS

WORKBOOK_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False, "nan_inf_to_errors": False}


class _Sink:
    """The output file, remembering whether writing to it failed (rather than to a temp file)."""

    def __init__(self, fh: IO[bytes]):
        self._fh = fh
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        try:
            return self._fh.write(data)
        except OSError as exc:
            self.error = exc
            raise

    def flush(self) -> None:
        try:
            self._fh.flush()
        except OSError as exc:
            self.error = exc
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def discard(self) -> None:
        """After a failed write: what still writes here (the half-made zip, when it is garbage
        collected after the output file is closed) goes nowhere, instead of failing on the closed
        file and printing "Exception ignored in ZipFile.__del__" on stderr."""
        self._fh = _Nowhere()


class _Nowhere:
    """A file that takes every write and seek and keeps nothing (never closed, so garbage
    collection may finalize it in any order)."""

    def write(self, data: bytes) -> int:
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def tell(self) -> int:
        return 0

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def _temp_folder() -> str:
    parent = tempfile.gettempdir()
    try:
        return tempfile.mkdtemp(prefix="crm-xlsx-", dir=parent)  # mode 0700
    except OSError as exc:
        raise _temp_error(parent, exc) from None


def _temp_error(parent: str, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc)
    if exc.errno in FULL_ERRNOS:
        return OutputError(f"the temporary folder {parent} is full: no room for the workbook's temp files "
                           f"({reason})", hint="free some space there, or point TMPDIR at a folder with room")
    return OutputError(f"cannot write the workbook's temp files in {parent} ({reason})",
                       hint="point TMPDIR at a folder you can write")


def _close_row_files(wb: Any) -> None:
    """Close the row files xlsxwriter leaves open when a write stops half-way."""
    if wb is None:
        return
    for ws in wb.worksheets():
        fh = getattr(ws, "row_data_fh", None)
        if fh is not None and not fh.closed:
            with contextlib.suppress(OSError):
                fh.close()


@contextlib.contextmanager
def open_workbook(fh: IO[bytes], **options: Any) -> Iterator[Any]:
    """An xlsxwriter workbook writing to ``fh`` (constant memory, no formulas, URLs or numbers
    made from text), closed at the end of the ``with`` block. Its temp files live in a private
    folder that is removed however the block ends; an OS error on them is an :class:`OutputError`
    naming the temp folder (an error writing ``fh`` itself is raised as it is)."""
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    parent = tempfile.gettempdir()
    sink = _Sink(fh)
    folder = wb = None
    done = False
    try:
        folder = _temp_folder()
        wb = xlsxwriter.Workbook(sink, {**WORKBOOK_OPTIONS, **options, "tmpdir": folder})
        yield wb
        wb.close()
        done = True
    except (OSError, FileCreateError) as exc:
        cause = exc.args[0] if isinstance(exc, FileCreateError) and exc.args else exc
        if sink.error is not None:
            raise sink.error from None
        raise _temp_error(parent, cause if isinstance(cause, OSError) else OSError(str(cause))) from None
    finally:
        if not done:
            sink.discard()
        _close_row_files(wb)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
