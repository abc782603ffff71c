"""What every command shares, defined once: options, settings, the error handler, stderr, destinations.

A command module declares only its own options and asks for the shared groups it takes::

    @command(app, reads=True, fields=True, output=True)
    def clean(c: Common, file: FileArg, ...):
        settings = c.settings()
        ...

:func:`command` adds the shared options (``--sheet --encoding --header-row --delimiter``, ``--map``,
``--region --dayfirst``, ``-o --format``, ``--config``, ``-q --debug``) to the command's signature,
gathers them into a :class:`Common`, and runs the body inside :func:`.stderr.handle_errors` — the one
place where library errors become one stderr line and an exit code.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

from ..config import Settings, load_settings
from ..errors import CrmError, ExitCode, InputError, spell_options
from ..io import check_destinations
from ..options import ReadOptions, WriteSpec
from ..schema import parse_map_options
from .stderr import handle_errors, shown, stderr_console

#: typer vendors click; its exception base class, reached through a public typer class.
# ----------------------------------------------------------------- shared options (defined once)

FileArg = Annotated[str, typer.Argument(metavar="FILE", show_default=False,
                                        help="Input file (CSV, TSV, XLSX, XLS, ODS, JSON), or - for stdin.")]
OutputOpt = Annotated[Optional[str], typer.Option("-o", "--output", metavar="PATH", show_default=False,
                                                  help="Where the data goes; - = stdout. The format follows the "
                                                       "extension (.csv .tsv .xlsx .json .jsonl).")]
FormatOpt = Annotated[Optional[str], typer.Option("--format", metavar="csv|tsv|xlsx|json|jsonl", show_default=False,
                                                  help="Output format: for stdout, the default file name, or a "
                                                       "path without an extension.")]
SheetOpt = Annotated[Optional[str], typer.Option("--sheet", metavar="NAME|N", show_default=False,
                                                 help="Which sheet of a workbook (default: first visible sheet with data).")]
EncodingOpt = Annotated[Optional[str], typer.Option("--encoding", metavar="NAME", show_default=False,
                                                    help="Override the detected text encoding (e.g. gb18030).")]
HeaderRowOpt = Annotated[Optional[int], typer.Option("--header-row", metavar="N", show_default=False,
                                                     help="Override the detected header row (1 = first row).")]
DelimiterOpt = Annotated[Optional[str], typer.Option("--delimiter", metavar="CHAR", show_default=False,
                                                     help="Override the sniffed CSV delimiter.")]
MapOpt = Annotated[Optional[list[str]], typer.Option("--map", metavar="FIELD=COLUMN", show_default=False,
                                                     help="Map a column to a canonical field (repeatable); "
                                                          "over [columns.*] in crm.toml.")]
RegionOpt = Annotated[Optional[str], typer.Option("--region", metavar="CC", show_default=False,
                                                  help="Default phone region, ISO 3166 (default CN, or region "
                                                       "in crm.toml / CRM_REGION).")]
DayfirstOpt = Annotated[Optional[bool], typer.Option("--dayfirst/--monthfirst", show_default=False,
                                                     help="Force dd/mm/yyyy or mm/dd/yyyy (default: decided per "
                                                          "column by its values).")]
ConfigOpt = Annotated[Optional[str], typer.Option("--config", metavar="PATH", show_default=False,
                                                  help="A crm.toml (default: $CRM_CONFIG, else ./crm.toml when "
                                                       "present).")]
QuietOpt = Annotated[bool, typer.Option("-q", "--quiet", help="Nothing on stderr but errors.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show a traceback on errors.")]
RedactOpt = Annotated[bool, typer.Option("--redact", help="No cell values on stderr: counts, row numbers and the "
                                                          "shapes of values only ([privacy] redact).")]
LogOpt = Annotated[Optional[str], typer.Option("--log", metavar="PATH", show_default=False,
                                               help="Append an audit line (JSON: time, command, inputs with sha256 "
                                                    "and rows, outputs, exit code; never cell values) to PATH.")]
# privacy of the outputs (every command that reads or writes data)
MaskOpt = Annotated[Optional[bool], typer.Option("--mask/--no-mask", show_default=False,
                                                 help="Mask phones, emails, names, addresses… in every output and on "
                                                      "stderr (138****5678, z***@qq.com, 张*); [privacy] mask picks "
                                                      "kinds.")]
PseudonymizeOpt = Annotated[Optional[str], typer.Option(
    "--pseudonymize", metavar="FIELDS", show_default=False,
    help="Replace these fields (e.g. customer_id,phone,email) with keyed pseudonyms (ps_…), the same in every run; "
         "the key comes from CRM_PSEUDONYM_KEY or --pseudonym-key-file, never the command line.")]
PseudonymKeyFileOpt = Annotated[Optional[str], typer.Option("--pseudonym-key-file", metavar="PATH", show_default=False,
                                                            help="A file holding the pseudonym key.")]
PasswordFileOpt = Annotated[Optional[str], typer.Option(
    "--password-file", metavar="PATH", show_default=False,
    help="Write .xlsx outputs encrypted with the password on the first line of PATH (or CRM_XLSX_PASSWORD), and "
         "read encrypted inputs with it.")]
# options several commands share (not every one): defined here once, used where they apply
AsOfOpt = Annotated[Optional[str], typer.Option("--as-of", metavar="DATE", show_default=False,
                                                help="Observation end, inclusive, YYYY-MM-DD (default: the latest "
                                                     "order date).")]
LangOpt = Annotated[Optional[str], typer.Option("--lang", metavar="zh|en", show_default=False,
                                                help="Label language (default: from the headers or the scheme).")]
CustomerOpt = Annotated[Optional[str], typer.Option("--customer", metavar="COLUMN", show_default=False,
                                                    help="The column that identifies a customer (default: the mapped "
                                                         "customer_id, else normalized phone/email/name).")]
ByOpt = Annotated[Optional[str], typer.Option("--by", metavar="month|quarter|year", show_default=False,
                                              help="One row per period.")]
EngineOpt = Annotated[Optional[str], typer.Option("--engine", metavar="auto|pandas|duckdb|spark", show_default=False,
                                                  help="Where it runs: pandas in memory, duckdb out of core (clean/"
                                                       "validate: in batches), spark on a cluster (default auto: "
                                                       "duckdb for inputs over [engine] big, 256MB).")]
RulesOpt = Annotated[Optional[str], typer.Option("--rules", metavar="PATH", show_default=False,
                                                 help="A rules file (TOML: per column required, unique, enum, min, "
                                                      "max, pattern, length; [[rows]] rules); over [rules.*] in "
                                                      "crm.toml, CRM_RULES.")]
RequiredOpt = Annotated[Optional[str], typer.Option("--required", metavar="FIELD[,FIELD]", show_default=False,
                                                    help="More fields (or headers) every row must fill, beyond "
                                                         "those the table's kind needs; CRM_REQUIRED.")]
ChurnDaysOpt = Annotated[Optional[int], typer.Option(
    "--churn-days", metavar="N", show_default=False,
    help="Churned = no order in the last N days (default 90); also the window for new/returning customers.")]
LeadsOpt = Annotated[Optional[str], typer.Option("--leads", metavar="FILE", show_default=False,
                                                 help="A leads table (stage/status, owner, source…).")]
FAIL_ON = ("error", "warning", "never")


def _fail_on(value: str) -> str:
    if value not in FAIL_ON:
        raise typer.BadParameter(f"must be one of {', '.join(FAIL_ON)}", param_hint="--fail-on")
    return value


FailOnOpt = Annotated[str, typer.Option("--fail-on", metavar="error|warning|never", callback=_fail_on,
                                        help="Exit 1 when there are issues this severe.")]

_GROUPS: dict[str, tuple[tuple[str, Any, Any], ...]] = {
    "output": (("output", OutputOpt, None), ("format", FormatOpt, None)),
    "reads": (("sheet", SheetOpt, None), ("encoding", EncodingOpt, None), ("header_row", HeaderRowOpt, None),
              ("delimiter", DelimiterOpt, None)),
    "maps": (("map_", MapOpt, None),),
    "fields": (("region", RegionOpt, None), ("dayfirst", DayfirstOpt, None)),
    "config": (("config", ConfigOpt, None),),
    "privacy": (("mask", MaskOpt, None), ("pseudonymize", PseudonymizeOpt, None),
                ("pseudonym_key_file", PseudonymKeyFileOpt, None), ("password_file", PasswordFileOpt, None)),
    "always": (("quiet", QuietOpt, False), ("redact", RedactOpt, False), ("log", LogOpt, None),
               ("debug", DebugOpt, False)),
}
#: The shared options that are privacy settings (``crmcli.config`` names).
_PRIVACY_FLAGS = ("mask", "pseudonymize", "pseudonym_key_file", "password_file", "redact", "log")


# ----------------------------------------------------------------- Common: the shared options of one run


@dataclass
class Common:
    """The shared options of one command run, and what they resolve to."""

    command: str
    quiet: bool = False
    debug: bool = False
    output: str | None = None
    format: str | None = None
    config: str | None = None
    map_: list[str] | None = None
    region: str | None = None
    dayfirst: bool | None = None
    sheet: str | None = None
    encoding: str | None = None
    header_row: int | None = None
    delimiter: str | None = None
    redact: bool = False
    log: str | None = None
    mask: bool | None = None
    pseudonymize: str | None = None
    pseudonym_key_file: str | None = None
    password_file: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _console: Console | None = field(default=None, repr=False)
    _privacy: Any = field(default=None, repr=False)
    _reads_config: bool = field(default=True, repr=False)
    _audit: Any = field(default=None, repr=False)
    _log_fd: int | None = field(default=None, repr=False)
    _error: str | None = field(default=None, repr=False)
    _started: Any = field(default=None, repr=False)

    @property
    def read(self) -> ReadOptions:
        return ReadOptions(sheet=self.sheet, encoding=self.encoding, header_row=self.header_row,
                           delimiter=self.delimiter)

    def _privacy_flags(self) -> dict[str, Any]:
        return {"mask": self.mask, "pseudonymize": self.pseudonymize, "pseudonym_key_file": self.pseudonym_key_file,
                "password_file": self.password_file, "redact": True if self.redact else None, "log": self.log}

    def settings(self, **flags: Any) -> Settings:
        """Settings for this run: flag > CRM_* environment > crm.toml > defaults (resolved once)."""
        if self._settings is None:
            given = {"region": self.region, "dayfirst": self.dayfirst, **self._privacy_flags(), **flags}
            self._settings = load_settings(self.config, flags=given, env=os.environ, cwd=os.getcwd())
        return self._settings

    def engine_options(self) -> dict[str, Any]:
        """What ``engine_options`` the analytics calls take: ``[engine] big`` and the runner's options."""
        s = self.settings()
        return {"big": s.engine_big, **s.runner_options()}
    def privacy_settings(self) -> Settings:
        """The settings the privacy policy is made of (read before the command's own settings, which its
        own flags decide; a command that reads no crm.toml takes its flags and CRM_* only)."""
        if self._settings is not None:
            return self._settings
        config = self.config if self._reads_config else os.devnull
        return load_settings(config, flags={"region": self.region, **self._privacy_flags()}, env=os.environ,
                             cwd=os.getcwd())

    @property
    def privacy(self) -> Any:
        """The run's :class:`crmcli.privacy.Privacy` (masks, pseudonyms, password, file mode), made once."""
        if self._privacy is None:
            from .privacy import make_privacy

            self._privacy = make_privacy(self.privacy_settings())
        return self._privacy

    @property
    def redacting(self) -> bool:
        """No cell values on stderr (--redact / [privacy] redact)."""
        return bool(self.redact or self.privacy_settings().redact)

    def cell(self, value: Any, field: str | None = None) -> str:
        """A cell value as stderr may show it: its shape with --redact, masked with --mask, else as it is."""
        from ..privacy import shape_value
        from ..privacy.kinds import FIELD_KINDS

        text = "" if value is None else str(value)
        kind = FIELD_KINDS.get(field or "")
        if self.redacting:
            return shape_value(text, {"customer": None}.get(kind or "", kind))
        if kind and self.privacy.mask:
            masked = self.privacy_table_value(text, field or "")
            return masked
        return text

    def privacy_table_value(self, text: str, field: str) -> str:
        """One value protected as its field is in the outputs (masks and pseudonyms)."""
        import pandas as pd

        from ..privacy import protect_table

        out = protect_table(pd.DataFrame({field: [text]}, dtype=object), self.privacy, fields={field: field})
        return str(out.iloc[0, 0])

    def overrides(self, kind: str | None) -> dict[str, str]:
        """``{field: column}``: ``[columns.<kind>]`` of crm.toml, then every ``--map``."""
        base = self.settings().columns_for(kind) if kind else {}
        return {**base, **parse_map_options(self.map_)}

    def kind_of(self, path: str) -> str | None:
        """Which ``[inputs]`` entry names this file (its ``[columns.<kind>]`` then applies)."""
        s = self.settings()
        if path == "-":
            return None
        here = os.path.abspath(path)
        for kind in ("orders", "customers", "leads", "campaigns"):
            value = getattr(s, kind)
            if value and value != "-" and os.path.abspath(value) == here:
                return kind
        return None

    @property
    def console(self) -> Console:
        if self._console is None:
            self._console = stderr_console(self.quiet)
        return self._console

    def say(self, text: str) -> None:
        """One whole line on stderr (never wrapped), unless --quiet; a library note's ``{opt:NAME}`` spelled as
        the user set the option (flag, CRM_* variable or crm.toml key)."""
        if not self.quiet:
            print(spell_options(text, self.spell), file=sys.stderr)

    def wrote(self, path: str, detail: str = "") -> None:
        if path != "-":
            self.say(f"wrote {shown(path)}" + (f": {detail}" if detail else ""))

    def destination(self, source: str | None, suffix: str, **kw: Any) -> WriteSpec:
        """Where the main output goes (``-o``/``--format``, else beside the input)."""
        return WriteSpec.decide(self.output, self.format, source=source, suffix=suffix, **kw)

    def check(self, dests: list[str | None], inputs: list[str | None]) -> None:
        """Check every destination (and stdin) before anything is read or written."""
        if "-" in inputs and (sys.stdin is None or sys.stdin.closed):
            raise InputError("an input is - but stdin is closed", hint="name the file, or pipe it in")
        if sum(d == "-" for d in dests) > 1:
            raise CrmError("two outputs cannot both go to stdout", hint="give one of them a file name",
                           code=ExitCode.USAGE)
        check_destinations(dests, inputs=inputs)

    def spell(self, name: str) -> str:
        """An option as the user set it: flag, CRM_* variable or crm.toml key."""
        return (self._settings or Settings()).spell(name)


# ----------------------------------------------------------------- registering a command


def command(app: typer.Typer, *, name: str | None = None, reads: bool = False, maps: bool = False,
            fields: bool = False, output: bool = False, config: bool = True, privacy: bool | None = None,
            **typer_kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn(c: Common, **own_options)`` as a command with the shared option groups asked for.

    ``reads``: --sheet --encoding --header-row --delimiter; ``maps``: --map; ``fields``: --region
    --dayfirst; ``output``: -o --format; ``config``: --config; ``privacy`` (default: a command that reads
    or writes data): --mask --pseudonymize --pseudonym-key-file --password-file; always -q --redact --log --debug.

    The body runs under the run's privacy policy (:func:`crmcli.privacy.applied`: every output masked,
    pseudonymized, encrypted and given its file mode by the writers) and, with ``--log``, the audit line of
    the run is appended when it ends, whatever its exit code.
    """
    if privacy is None:
        privacy = reads or output
    wanted = [g for g, on in (("output", output), ("reads", reads), ("maps", maps), ("fields", fields),
                              ("config", config), ("privacy", privacy), ("always", True)) if on]

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(fn, eval_str=True)
        own = [p for p in sig.parameters.values() if p.name != "c"]
        shared = [inspect.Parameter(pname, inspect.Parameter.KEYWORD_ONLY, annotation=ann, default=default)
                  for g in wanted for pname, ann, default in _GROUPS[g]]
        shared_names = [p.name for p in shared]
        cmd_name = name or fn.__name__.rstrip("_")

        @functools.wraps(fn)
        def run(**kwargs: Any) -> Any:
            from .privacy import finish_run, start_run

            values = {n: kwargs.pop(n) for n in shared_names}
            c = Common(command=cmd_name, **values)
            c._reads_config = config
            if c.quiet:
                warnings.filterwarnings("ignore")
            code = int(ExitCode.INPUT)
            try:
                with handle_errors(c), start_run(c):
                    result = fn(c, **kwargs)
                code = 0
                return result
            except typer.Exit as exc:
                code = int(exc.exit_code)
                raise
            finally:
                finish_run(c, code)

        params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) if p.kind == inspect.Parameter.VAR_KEYWORD else p
                  for p in own] + shared
        run.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in params}  # evaluated: typer reads them too
        del run.__wrapped__
        return app.command(name=cmd_name, **typer_kw)(run)

    return register
