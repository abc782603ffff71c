"""Options decided once and handed along: how to read an input, where and how to write an output.

- :class:`ReadOptions`: sheet, encoding, header row, delimiter — the only way read options travel.
- :class:`WriteSpec`: a destination (path or ``-``) and its format, decided by one rule
  (:meth:`WriteSpec.decide`) for every command and every output flag.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import UsageError
from .io.atomic import is_device

#: A day as people type it: 2024-12-31, 2024/12/31, 2024.12.31, 2024-3-5, optionally with a time.
_DAY = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([ T]\S.*)?$")


def parse_as_of(value: Any, option: str = "as_of") -> pd.Timestamp | None:
    """The one parser of an observation end (``as_of``, a holdout date …): a day as a Timestamp at
    midnight; ISO text (``2024-12-31``, ``2024/3/5``, a time is dropped), a date, datetime or Timestamp;
    empty -> None. Words the clock would answer (``today``, ``now``) are refused: the library never
    reads the clock."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, str):
            text = value.strip()
            if not _DAY.match(text):
                raise ValueError(text)
            ts = pd.Timestamp(text.replace("/", "-").replace(".", "-"))
        else:
            ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise UsageError(f"{{opt:{option}}} {value!r} is not a date", hint="write it as YYYY-MM-DD, e.g. 2024-12-31",
                         option=option) from None
    if ts is pd.NaT:
        raise UsageError(f"{{opt:{option}}} {value!r} is not a date", hint="write it as YYYY-MM-DD", option=option)
    return ts.tz_localize(None).normalize() if ts.tzinfo else ts.normalize()

#: Formats we write, and the extension each file gets.
WRITE_FORMATS: dict[str, str] = {"csv": ".csv", "tsv": ".tsv", "xlsx": ".xlsx", "json": ".json", "jsonl": ".jsonl",
                                  "parquet": ".parquet"}
#: Extensions we recognise on an output path.
OUTPUT_EXTENSIONS: dict[str, str] = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx",
                                     ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
                                     ".parquet": "parquet", ".pq": "parquet"}
#: Input extensions whose default output is another format (we read them, we don't write them).
_READ_ONLY = {".xls": ".xlsx", ".xlsm": ".xlsx", ".ods": ".xlsx"}


@dataclass(frozen=True)
class ReadOptions:
    """How to read one input; every field None = detect."""

    sheet: str | int | None = None
    encoding: str | None = None
    header_row: int | None = None
    delimiter: str | None = None
    #: The password of an encrypted workbook (None: the privacy policy's, see :mod:`crmcli.privacy`).
    password: str | None = field(default=None, repr=False)

    def kwargs(self) -> dict[str, Any]:
        """The keywords :func:`crmcli.io.read_table` takes."""
        return asdict(self)


def parse_format(format: str | None) -> str | None:
    """``--format`` checked and lower-cased (None stays None)."""
    if format is None:
        return None
    fmt = format.lower().lstrip(".")
    if fmt not in WRITE_FORMATS:
        raise UsageError(f"unknown output format {format!r}", hint="one of " + ", ".join(WRITE_FORMATS),
                         option="format")
    return fmt


@dataclass(frozen=True)
class WriteSpec:
    """Where one output goes and in which format."""

    dest: str        # a path, or "-" for stdout
    format: str      # one of WRITE_FORMATS

    @property
    def to_stdout(self) -> bool:
        return self.dest == "-"

    @classmethod
    def decide(cls, output: str | os.PathLike | None, format: str | None = None, *,
               source: str | os.PathLike | None = None, suffix: str = "out",
               allowed: Sequence[str] = tuple(WRITE_FORMATS), option: str = "output") -> WriteSpec:
        """The one rule for every output of every command:

        - ``-`` is stdout, in ``format`` (default CSV);
        - a path's extension decides its format; ``format`` may only agree with it;
        - a path without an extension gets the extension of ``format`` (CSV when none), unless
          it is a device or pipe (``/dev/null``), written as it is;
        - no path: stdout when the input is stdin, else ``<stem>.<suffix><ext>`` beside the input, where
          ``ext`` is that of ``format``, else the input's own (``.xls``/``.ods`` → ``.xlsx``), else ``.csv``.
        """
        fmt = parse_format(format)
        if fmt is not None and fmt not in allowed:
            raise UsageError(f"this output cannot be {fmt}", hint="one of " + ", ".join(allowed), option="format")
        default = fmt or ("csv" if "csv" in allowed else allowed[0])
        if output is None:
            if source is None or os.fspath(source) == "-":
                return cls("-", default)
            p = Path(os.fspath(source))
            ext = WRITE_FORMATS[fmt] if fmt else _READ_ONLY.get(p.suffix.lower(), p.suffix.lower())
            if ext not in OUTPUT_EXTENSIONS or OUTPUT_EXTENSIONS[ext] not in allowed:
                ext = WRITE_FORMATS[allowed[0]]
            return cls(str(p.with_name(f"{p.stem}.{suffix}{ext}")), OUTPUT_EXTENSIONS[ext])
        dest = os.fspath(output)
        if dest == "-":
            return cls("-", default)
        p = Path(dest)
        ext = p.suffix.lower()
        if ext in OUTPUT_EXTENSIONS:
            kind = OUTPUT_EXTENSIONS[ext]
            if fmt is not None and fmt != kind:
                raise UsageError(f"{dest} is a {ext} file but {{opt:format}} asks for {fmt}",
                                 hint=f"name the file .{fmt}, or leave {{opt:format}} out", option="format")
        elif ext and not is_device(p) and len(ext) <= 6 and ext[1:].isalnum():
            raise UsageError(f"cannot write {ext} files ({dest})",
                             hint="use " + ", ".join(WRITE_FORMATS[f] for f in allowed), option=option)
        else:
            kind = default
            if not is_device(p):
                dest = dest + WRITE_FORMATS[kind]
        if kind not in allowed:
            raise UsageError(f"this output cannot be {kind} ({dest})",
                             hint="one of " + ", ".join(WRITE_FORMATS[f] for f in allowed), option=option)
        return cls(dest, kind)
