"""The ``crm`` command: parse arguments, make one library call, render, map errors to exit codes.

Only this package imports typer and rich. Data goes to stdout; everything else to stderr.
Layout: :mod:`.common` (every shared option, the error handler, destinations), :mod:`.render`
(stderr tables and lines), ``commands/<command>.py`` (options → one library call → render).
"""

from __future__ import annotations

import difflib
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from .. import __version__
from ..errors import ExitCode
from .stderr import ClickException, Terminated, error_line, install_signal_handlers


def usage_line(exc: Exception, group: TyperGroup) -> str:
    """A click usage error as our one line: ``crm: error: no such option --ouput (did you mean --output?)``."""
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "crm"
    option = getattr(exc, "option_name", None)
    if option:
        near = difflib.get_close_matches(option, list(getattr(exc, "possibilities", None) or ()), n=1) \
            or sorted(getattr(exc, "possibilities", None) or ())[:1]
        message = f"no such option {option}" + (f" (did you mean {near[0]}?)" if near else "")
        return error_line(message, f"{where} --help")
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    if message.startswith("No such command"):
        name = message.split("'")[1] if "'" in message else ""
        near = difflib.get_close_matches(name, list(group.commands), n=1)
        message = f"no such command {name!r}" + (f" (did you mean {near[0]}?)" if near else "")
        return error_line(message, "crm --help")
    message = message[:1].lower() + message[1:]
    return error_line(message.rstrip("."), f"{where} --help")


class CrmGroup(TyperGroup):
    """The command group, with usage errors (unknown option, missing argument, bad value) as one line, exit 2."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            rv = super().main(args=args, prog_name=prog_name or "crm", complete_var=complete_var,
                              standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
        except ClickException as exc:
            print(usage_line(exc, self), file=sys.stderr)
            code = getattr(exc, "exit_code", int(ExitCode.USAGE))
        except typer.Abort:
            print("crm: interrupted", file=sys.stderr)
            code = int(ExitCode.INTERRUPTED)
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    name="crm",
    cls=CrmGroup,
    help="Clean, validate, dedupe and analyse customer and order spreadsheets (CSV, Excel, stdin).",
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _version_callback(value: bool) -> None:
    if value:
        print(f"crm {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """crm: customer and order spreadsheets, cleaned and analysed.

    Every command reads FILE or - (stdin), writes data to stdout or -o PATH, and everything else to
    stderr. Settings come from flags, CRM_* variables and crm.toml (crm init writes one).
    """


from .commands import register_all  # noqa: E402  (the commands need `app`)

register_all(app)


def main() -> None:
    """Console-script entry point."""
    install_signal_handlers()
    try:
        app()
    except KeyboardInterrupt:
        print("crm: interrupted", file=sys.stderr)
        sys.exit(int(ExitCode.INTERRUPTED))
    except Terminated:
        print("crm: terminated", file=sys.stderr)
        sys.exit(int(ExitCode.TERMINATED))


__all__ = ["app", "main"]
