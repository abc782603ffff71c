"""Exit codes and the one exception type the library raises for bad input or output."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, as documented in the README and DESIGN.md."""

    OK = 0
    INVALID_DATA = 1
    USAGE = 2
    INPUT = 3
    OUTPUT = 4
    INTERRUPTED = 130
    TERMINATED = 143


#: ``{opt:NAME}`` in a message or hint names an option by its library keyword; the CLI spells it as the flag,
#: environment variable or crm.toml key the user actually used (see :meth:`CrmError.render`).
_OPTION = re.compile(r"\{opt:([a-z_]+)\}")
#: ``{value}`` in a message stands for a cell value (``values``, in order): quoted where the reader may see
#: customer data (a terminal), "(a value)" where it may not (cron mail, CI logs) — see :meth:`CrmError.render`.
VALUE = "{value}"
HIDDEN_VALUE = "(a value)"


def spell_options(text: str, spell: Callable[[str], str] | None = None) -> str:
    """``text`` with every ``{opt:NAME}`` spelled by ``spell(NAME)`` (default: the library keyword itself)."""
    return _OPTION.sub(lambda m: (spell or _keyword)(m.group(1)), text)


class CrmError(Exception):
    """A problem a user can act on: one message, an optional hint, an exit code.

    The CLI prints it as ``crm: error: <message>`` (and ``hint: <hint>``) and exits
    with ``code``. Library callers catch it like any exception.
    """

    code: ExitCode = ExitCode.INPUT

    def __init__(self, message: str, hint: str | None = None, *, code: ExitCode | None = None,
                 option: str | None = None, values: tuple[object, ...] = ()):
        super().__init__(message)
        self.message = message
        self.hint = hint
        #: Cell values the message quotes at its ``{value}`` markers (customer data: see :meth:`render`).
        self.values = tuple(values)
        #: The library keyword / setting whose value was wrong (``as_of``, ``by``, ``map`` …), if any.
        self.option = option
        if code is not None:
            self.code = code

    def render(self, spell: Callable[[str], str] | None = None, *,
               quote_values: bool = True) -> tuple[str, str | None]:
        """(message, hint) as one line each, with every ``{opt:NAME}`` spelled by ``spell(NAME)``
        (default: the library keyword itself) and every ``{value}`` the next of ``values``, quoted, or
        ``(a value)`` when not ``quote_values``."""
        values = iter(self.values)

        def fill(text: str) -> str:
            text = spell_options(text, spell)
            while VALUE in text:
                v = next(values, None)
                text = text.replace(VALUE, repr(str(v)) if quote_values and v is not None else HIDDEN_VALUE, 1)
            return " ".join(text.split())

        return fill(self.message), (fill(self.hint) if self.hint else None)

    def __str__(self) -> str:  # one line, always
        return self.render()[0]


def _keyword(name: str) -> str:
    """How the library spells an option in its own messages: the keyword argument (``as_of=``; ``--map`` is
    ``overrides``)."""
    return {"map": "overrides"}.get(name, f"{name}=")


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
