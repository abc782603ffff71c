"""Run a ``crm`` command over hostile inputs and check the rules every command must keep.

``check_command(args_builder, case, ...)`` runs one command in-process (CliRunner, with a time
limit) and asserts:

- no traceback and no "unexpected" error (a bug), and an exit code from ``allowed``;
- a non-zero exit ends with exactly one ``crm: error: …`` line on stderr;
- the input file's bytes (and mtime) are unchanged;
- no output file (CSV/TSV/xlsx) holds a live formula: CSV text starting with ``= + - @ TAB CR``
  must be escaped (plain numbers like ``-12.5`` and ``+8613812345678`` stay as they are); an
  xlsx holds no formula cells;
- optionally (``reference`` + ``aligned``), no value is silently lost: every non-empty cell of
  the input frame has a non-empty cell at the same row and column of the output, equal to the
  escaped input for the columns in ``exact``.

Each call records an :class:`Outcome`; ``conftest.py`` prints them as a table at the end of the run.
To add a command to the sweep, see ``test_hostile.py`` (``COMMANDS``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import signal
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from typer.testing import CliRunner

from crmcli.cli import app
from crmcli.io import is_formula_like

#: Per-run time limit for one command on one corpus file (the slowest takes ~4 s on a busy machine).
TIME_LIMIT = 60


class Hang(BaseException):
    """Raised by the alarm: a BaseException, so the CLI's error handler cannot swallow it."""


@dataclass
class Outcome:
    file: str
    command: str
    code: int
    seconds: float
    message: str


OUTCOMES: list[Outcome] = []


def file_state(path: Path) -> tuple[str, int] | None:
    """(sha256, mtime_ns) of a regular file, None for anything else."""
    try:
        if not path.is_file():
            return None
        st = path.stat()
        return hashlib.sha256(path.read_bytes()).hexdigest(), st.st_mtime_ns
    except OSError:
        return None


def _alarm(signum: int, frame: Any) -> None:
    raise Hang(f"no answer within {TIME_LIMIT} s")


def run_cli(args: Sequence[str], timeout: int = TIME_LIMIT, input: bytes | None = None) -> Any:
    runner = CliRunner()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    try:
        return runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def csv_cells(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def xlsx_sheets(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's cell values; asserts there is no formula cell anywhere."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    out = {}
    for ws in wb.worksheets:
        rows = []
        for row in ws.iter_rows():
            for c in row:
                assert getattr(c, "data_type", None) != "f", f"{path.name}: live formula in {ws.title}!{c.coordinate}"
            rows.append(tuple(c.value for c in row))
        out[ws.title] = rows
    wb.close()
    return out


def assert_no_live_formula(path: Path) -> None:
    if path.suffix.lower() == ".xlsx":
        xlsx_sheets(path)
        return
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        for r, row in enumerate(csv_cells(path), start=1):
            for c, value in enumerate(row, start=1):
                assert not is_formula_like(value), f"{path.name}: row {r} column {c} starts a formula: {value[:40]!r}"


def _escaped(v: str) -> str:
    return "'" + v if is_formula_like(v) else v


def assert_values_kept(reference: pd.DataFrame, output: Path, exact: Iterable[str] = ()) -> None:
    """Every non-empty input cell has a non-empty output cell at the same place (CSV or first xlsx sheet)."""
    xlsx = output.suffix.lower() == ".xlsx"
    esc = (lambda v: v) if xlsx else _escaped  # xlsx keeps formula-like text as text cells
    if xlsx:
        # values through calamine, which decodes OOXML's _xHHHH_ escapes of control characters
        import python_calamine

        wb = python_calamine.CalamineWorkbook.from_path(str(output))
        sheet = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
        header = [str(v) for v in sheet[0]] if sheet else []
        body = [list(row) for row in sheet[1:]]
    else:
        cells = csv_cells(output)
        header, body = (cells[0], cells[1:]) if cells else ([], [])
    names = [esc(str(c)) for c in reference.columns]
    assert header[: len(names)] == names, f"{output.name}: header changed: {header[:5]} vs {names[:5]}"
    assert len(body) == len(reference), f"{output.name}: {len(body)} rows out, {len(reference)} in"
    exact = set(exact)
    for j, col in enumerate(reference.columns):
        values = reference[col].tolist()
        for i, v in enumerate(values):
            if not isinstance(v, str) or not v.strip():
                continue
            got = body[i][j] if j < len(body[i]) else ""
            where = f"{output.name}: row {reference.index[i]}, column {col!r}"
            assert got not in ("", None), f"{where}: {v[:40]!r} became empty"
            if col in exact:
                assert str(got) == esc(v), f"{where}: {v[:40]!r} became {str(got)[:40]!r}"


def check_command(args_builder: Callable[[Path, Path], Sequence[str]], source: Path, outdir: Path, *,
                  label: str, allowed: Iterable[int] = (0, 3), outputs: Callable[[Path], list[Path]] | None = None,
                  reference: pd.DataFrame | None = None, exact: Iterable[str] = (),
                  expect_code: int | None = None) -> Any:
    """Run ``crm <args_builder(source, outdir)>`` and check the hostile-input rules (see module doc).

    ``outputs(outdir)`` lists the files to scan (default: every file written in ``outdir``).
    With ``reference`` (the input as ``read_table`` returns it), the first output must keep
    every non-empty value in place (``exact`` columns verbatim, after formula escaping).
    Returns the CliRunner result.
    """
    import time

    outdir.mkdir(parents=True, exist_ok=True)
    before = file_state(source)
    args = list(args_builder(source, outdir))
    start = time.perf_counter()
    res = run_cli(args)
    seconds = time.perf_counter() - start
    err = res.stderr
    lines = [ln for ln in err.splitlines() if ln.strip()]
    message = next((ln for ln in reversed(lines) if ln.startswith("crm: error:")), "")
    short = message[len("crm: error: "):].replace(str(source.parent) + os.sep, "")
    OUTCOMES.append(Outcome(source.name, label, res.exit_code, seconds, short or "ok"))
    assert "Traceback" not in err and "Traceback" not in res.stdout, f"{label} {source.name}: traceback\n{err}"
    assert "unexpected" not in message, f"{label} {source.name}: a bug surfaced: {message}"
    assert file_state(source) == before, f"{label} {source.name}: the input changed"
    allowed = set(allowed)
    if expect_code is not None:
        assert res.exit_code == expect_code, \
            f"{label} {source.name}: exit {res.exit_code}, expected {expect_code}: {err}"
    assert res.exit_code in allowed, f"{label} {source.name}: exit {res.exit_code}: {err}"
    if res.exit_code not in (0, 1):
        assert lines and lines[-1].startswith("crm: error: "), f"{label}: no error line: {err!r}"
        assert sum(ln.startswith("crm: error:") for ln in lines) == 1, f"{label}: several error lines: {err!r}"
    written = outputs(outdir) if outputs else sorted(p for p in outdir.iterdir() if p.is_file())
    for path in written:
        if path.exists():
            assert_no_live_formula(path)
    if reference is not None and res.exit_code == 0 and written:
        assert_values_kept(reference, written[0], exact)
    return res


def outcome_table(outcomes: Sequence[Outcome]) -> list[str]:
    """Rows: one per file, a column per command ('ok', 'exit 3', …) and the first error message
    (prefixed with its command); then one summary line per command (how many files per exit code)."""
    commands = list(dict.fromkeys(o.command for o in outcomes))
    by_file: dict[str, dict[str, Outcome]] = {}
    for o in outcomes:
        by_file.setdefault(o.file, {})[o.command] = o
    width = max([len(f) for f in by_file] + [4])
    head = f"{'file':{width}}  " + "  ".join(f"{c:11}" for c in commands) + "  message"
    out = [head, "-" * len(head)]
    for f, row in by_file.items():
        cells = []
        msgs: dict[str, list[str]] = {}
        for c in commands:
            o = row.get(c)
            if o is None:
                cells.append(f"{'-':11}")
                continue
            cells.append(f"{('ok' if o.code == 0 else f'exit {o.code}') + f' {o.seconds:.1f}s':11}")
            if o.code not in (0, 1):
                msgs.setdefault(o.message, []).append(c)
        # each distinct message once, after the commands that gave it
        msg = "; ".join(f"{'/'.join(cs)}: {m}" for m, cs in msgs.items())
        out.append(f"{f:{width}}  " + "  ".join(cells) + "  " + msg[:160])
    total = len(by_file)
    refused = sum(1 for row in by_file.values() if all(o.code == 3 for o in row.values()))
    out.append(f"{total} files, {refused} refused (exit 3) by every command that ran on them")
    for c in commands:
        codes: dict[int, int] = {}
        for row in by_file.values():
            if c in row:
                codes[row[c].code] = codes.get(row[c].code, 0) + 1
        secs = sum(row[c].seconds for row in by_file.values() if c in row)
        out.append(f"  {c:11} " + ", ".join(f"{n} {'ok' if k == 0 else f'exit {k}'}" for k, n in sorted(codes.items()))
                   + f"  ({secs:.1f} s)")
    return out
