"""What crm prints on stderr and how a run ends: the console (colour only at a terminal), the one-line
error, and :func:`handle_errors`, the one place where library errors, signals and bugs become one stderr
line and the documented exit code."""

from __future__ import annotations

import os
import signal
import sys
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console

from ..errors import CrmError, ExitCode

#: typer vendors click; its exception base class, reached through a public typer class.
ClickException: type[Exception] = next(k for k in typer.BadParameter.__mro__ if k.__name__ == "ClickException")

# ----------------------------------------------------------------- stderr


def stderr_console(quiet: bool = False) -> Console:
    """Rich output on stderr: colour only on a terminal (and never with NO_COLOR); no wrapping when
    stderr is not a terminal (cron mail and logs get whole lines)."""
    tty = sys.stderr is not None and sys.stderr.isatty()
    return Console(stderr=True, quiet=quiet, highlight=False, soft_wrap=not tty,
                   width=None if tty else 100_000, no_color=bool(os.environ.get("NO_COLOR")) or None)


def at_terminal() -> bool:
    """Is stderr a terminal (a person reading), not cron mail or a CI log?"""
    return sys.stderr is not None and sys.stderr.isatty()


def error_line(message: str, hint: str | None = None) -> str:
    line = f"crm: error: {' '.join(message.split())}"
    if hint:
        line += f" (hint: {' '.join(hint.split())})"
    return line


def shown(path: str) -> str:
    """A path as the user would type it: relative to the working directory when below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


# ----------------------------------------------------------------- errors and signals


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so every ``finally`` (temp files, half-written outputs) runs."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


def install_signal_handlers() -> None:
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (an embedding program): leave its handlers alone
        pass


@contextmanager
def handle_errors(c: Any) -> Iterator[None]:
    """Turn library errors into one stderr line and the documented exit code (``c``: the run's
    :class:`.common.Common`: its ``debug``, ``quiet`` and option spelling)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except (typer.Exit, typer.Abort, ClickException):
            raise
        except CrmError as exc:
            if c.debug:
                traceback.print_exc()
            message, hint = exc.render(c.spell, quote_values=at_terminal())
            c._error = error_line(*exc.render(c.spell, quote_values=False))
            print(error_line(message, hint), file=sys.stderr)
            raise typer.Exit(int(exc.code)) from None
        except Terminated:
            print("crm: terminated", file=sys.stderr)
            raise typer.Exit(int(ExitCode.TERMINATED)) from None
        except KeyboardInterrupt:
            print("crm: interrupted", file=sys.stderr)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except BrokenPipeError:
            # The reader of our stdout went away (`crm … | head`): end quietly.
            try:
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115
            except OSError:
                pass
            raise typer.Exit(0) from None
        except MemoryError:
            print(error_line("out of memory", "try a smaller file, or split it"), file=sys.stderr)
            raise typer.Exit(int(ExitCode.INPUT)) from None
        except Exception as exc:  # a bug: one line unless --debug
            if c.debug:
                traceback.print_exc()
            # its text may quote anything, a customer's phone included: only at a terminal (or with --debug)
            detail = f": {exc}" if at_terminal() or c.debug else " (details hidden: stderr is not a terminal)"
            c._error = error_line(f"unexpected {type(exc).__name__}")
            print(error_line(f"unexpected {type(exc).__name__}{detail}",
                             "run again with --debug for the traceback and report it"), file=sys.stderr)
            raise typer.Exit(int(ExitCode.INPUT)) from None
        finally:
            if not c.quiet:
                for text in dict.fromkeys(str(w.message) for w in caught[:20]):
                    print(f"crm: warning: {' '.join(text.split())}", file=sys.stderr)
