"""Exit codes and the one exception type the library raises for bad input or output."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, as documented in the README and DESIGN.md."""

    OK = 0
    INVALID_DATA = 1
    USAGE = 2
    INPUT = 3
    OUTPUT = 4
    INTERRUPTED = 130


class CrmError(Exception):
    """A problem a user can act on: one message, an optional hint, an exit code.

    The CLI prints it as ``crm: error: <message>`` (and ``hint: <hint>``) and exits
    with ``code``. Library callers catch it like any exception.
    """

    code: ExitCode = ExitCode.INPUT

    def __init__(self, message: str, hint: str | None = None, *, code: ExitCode | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if code is not None:
            self.code = code

    def __str__(self) -> str:  # one line, always
        return " ".join(self.message.split())


class InputError(CrmError):
    """The input cannot be read: missing, unreadable, unknown format, corrupt."""

    code = ExitCode.INPUT


class OutputError(CrmError):
    """The output cannot be written."""

    code = ExitCode.OUTPUT


class UsageError(CrmError):
    """The call itself is wrong: a bad option value, an unknown field, a missing column."""

    code = ExitCode.USAGE


class DataError(CrmError):
    """The data failed validation (``--fail-on``)."""

    code = ExitCode.INVALID_DATA
