"""A write that fails leaves nothing behind: no temp file in $TMPDIR (xlsxwriter's row files hold
customer rows) nor beside the output, and the previous output file as it was.

Failures are injected where they happen for real: the temp folder filling up while rows are
streamed or while the workbook's parts are assembled at close, the destination disk filling
up, Ctrl-C half-way. The slow tests do it to a real ``crm`` process: a file-size limit
(RLIMIT_FSIZE, real EFBIG errors), a real SIGINT and a real SIGTERM.
"""

from __future__ import annotations

import builtins
import errno
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter.worksheet
import xlsxwriter.xmlwriter

from crmcli.errors import OutputError
from crmcli.io import write_table, write_workbook
from crmcli.report import Sheet, write_report_workbook
from tests.conftest import ROOT

PREVIOUS = b"last night's output"


@pytest.fixture
def tmpdir_env(tmp_path, monkeypatch) -> Path:
    """$TMPDIR pointed at an empty folder of the test's own (and tempfile told to look again)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)
    assert tempfile.gettempdir() == str(folder)
    return folder


@pytest.fixture
def out_dir(tmp_path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _orders(n: int = 3000) -> pd.DataFrame:
    return pd.DataFrame({
        "order_id": [f"SO{i:06d}" for i in range(n)],
        "customer": [f"张{i % 97}" for i in range(n)],
        "phone": [f"+86138{i:08d}" for i in range(n)],
        "amount": [i * 1.25 for i in range(n)],
        "order_date": pd.date_range("2024-01-01", periods=n, freq="h"),
    })


class _Filling:
    """A file on a disk with ``room[0]`` bytes left: a write past it raises ``exc``."""

    def __init__(self, fh, room: list[int], exc: BaseException):
        self._fh, self._room, self._exc = fh, room, exc

    def write(self, data):
        self._room[0] -= len(data)
        if self._room[0] < 0:
            raise self._exc
        return self._fh.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()

    def __getattr__(self, name):
        return getattr(self._fh, name)


def _filling_open(room: int, exc: BaseException):
    left = [room]

    def fake_open(file, mode="r", *args, **kwargs):
        fh = builtins.open(file, mode, *args, **kwargs)
        return _Filling(fh, left, exc) if ("w" in mode or "+" in mode) else fh

    return fake_open


def _full() -> OSError:
    return OSError(errno.ENOSPC, "No space left on device")


def _assert_nothing_left(tmpdir: Path, out_dir: Path, dest: Path) -> None:
    assert list(tmpdir.iterdir()) == []                      # no xlsxwriter temp file, no private folder
    assert [p.name for p in out_dir.iterdir()] == [dest.name]  # no .dest.*.tmp beside the output
    assert dest.read_bytes() == PREVIOUS                      # the previous output as it was


def _write_report(dest: Path) -> None:
    write_report_workbook([Sheet("orders", _orders(), kinds={"amount": "money"})], dest)


WRITERS = {
    "write_table": lambda dest: write_table(_orders(), dest),
    "write_workbook": lambda dest: write_workbook({"a": _orders(), "b": _orders(50)}, dest,
                                                  number_formats={"a": {"amount": "#,##0.00"}},
                                                  highlights={"a": [(3, 1)]}),
    "report": _write_report,
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
@pytest.mark.parametrize("module", [xlsxwriter.worksheet, xlsxwriter.xmlwriter], ids=["rows", "close"])
def test_full_temp_folder_is_an_output_error_naming_it(tmpdir_env, out_dir, monkeypatch, writer, module):
    """``rows``: the row files fill $TMPDIR while rows stream; ``close``: the parts assembled at close do."""
    dest = out_dir / "out.xlsx"
    dest.write_bytes(PREVIOUS)
    monkeypatch.setattr(module, "open", _filling_open(20_000, _full()), raising=False)
    with pytest.raises(OutputError) as err:
        WRITERS[writer](dest)
    assert str(tmpdir_env) in str(err.value) and "full" in str(err.value)
    assert "TMPDIR" in err.value.hint
    _assert_nothing_left(tmpdir_env, out_dir, dest)


@pytest.mark.parametrize("writer", sorted(WRITERS))
@pytest.mark.parametrize("module", [xlsxwriter.worksheet, xlsxwriter.xmlwriter], ids=["rows", "close"])
def test_ctrl_c_mid_write_leaves_nothing(tmpdir_env, out_dir, monkeypatch, writer, module):
    dest = out_dir / "out.xlsx"
    dest.write_bytes(PREVIOUS)
    monkeypatch.setattr(module, "open", _filling_open(20_000, KeyboardInterrupt()), raising=False)
    with pytest.raises(KeyboardInterrupt):
        WRITERS[writer](dest)
    _assert_nothing_left(tmpdir_env, out_dir, dest)


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_an_exception_raised_mid_rows_leaves_nothing(tmpdir_env, out_dir, monkeypatch, writer):
    """Any exception (e.g. the one a SIGTERM handler raises) unwinds through the same ``finally``."""

    class Terminated(Exception):
        pass

    dest = out_dir / "out.xlsx"
    dest.write_bytes(PREVIOUS)
    real = xlsxwriter.worksheet.Worksheet.write_number
    calls = []

    def write_number(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1500:
            raise Terminated()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(xlsxwriter.worksheet.Worksheet, "write_number", write_number)
    with pytest.raises(Terminated):
        WRITERS[writer](dest)
    _assert_nothing_left(tmpdir_env, out_dir, dest)


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
@pytest.mark.parametrize("exc", [_full(), KeyboardInterrupt()], ids=["disk-full", "ctrl-c"])
def test_full_destination_disk_leaves_previous_output(tmpdir_env, out_dir, monkeypatch, fmt, exc):
    """The temp file beside the output fills its disk (or Ctrl-C while it is written)."""
    dest = out_dir / f"out.{fmt}"
    dest.write_bytes(PREVIOUS)
    real = os.fdopen

    def fdopen(fd, mode="r", *args, **kwargs):
        fh = real(fd, mode, *args, **kwargs)
        return _Filling(fh, [10_000], exc) if "w" in mode else fh

    monkeypatch.setattr(os, "fdopen", fdopen)
    if isinstance(exc, KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            write_table(_orders(), dest)
    else:
        with pytest.raises(OutputError) as err:
            write_table(_orders(), dest)
        assert f"cannot write {dest}: no space left in {out_dir}" in str(err.value)
    _assert_nothing_left(tmpdir_env, out_dir, dest)


def test_temp_folder_that_cannot_be_made_is_named(tmpdir_env, out_dir, monkeypatch):
    dest = out_dir / "out.xlsx"
    dest.write_bytes(PREVIOUS)

    def mkdtemp(*args, **kwargs):
        raise _full()

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    with pytest.raises(OutputError, match=f"temporary folder {tmpdir_env} is full"):
        write_table(_orders(100), dest)
    _assert_nothing_left(tmpdir_env, out_dir, dest)


def test_workbook_temp_files_live_in_a_private_folder_removed_after(tmpdir_env, out_dir, monkeypatch):
    seen: list[tuple[str, int]] = []
    real = tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        folder = real(*args, **kwargs)
        seen.append((folder, os.stat(folder).st_mode & 0o777))
        return folder

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    dest = out_dir / "out.xlsx"
    write_workbook({"a": _orders(500), "b": _orders(10)}, dest)
    assert len(seen) == 1 and seen[0][1] == 0o700 and Path(seen[0][0]).parent == tmpdir_env
    assert list(tmpdir_env.iterdir()) == []
    assert openpyxl.load_workbook(dest)["a"].max_row == 501


def test_cli_full_temp_folder_is_exit_4_with_one_line(run, tmpdir_env, out_dir, monkeypatch, examples):
    dest = out_dir / "orders.cleaned.xlsx"
    dest.write_bytes(PREVIOUS)
    monkeypatch.setattr(xlsxwriter.worksheet, "open", _filling_open(5_000, _full()), raising=False)
    res = run(["clean", examples / "orders.xlsx", "-o", dest])
    assert res.exit_code == 4
    assert res.stderr.startswith(f"crm: error: the temporary folder {tmpdir_env} is full")
    assert "Traceback" not in res.stderr
    _assert_nothing_left(tmpdir_env, out_dir, dest)


# --------------------------------------------------------------------------- real processes


def _big_csv(path: Path, rows: int = 60_000) -> Path:
    lines = ["订单号,客户名称,联系电话,下单日期,金额"]
    lines += [f"SO{i:07d},客户{i % 5000},138{i:08d},2024-{i % 12 + 1:02d}-{i % 28 + 1:02d},{i % 1000}.50"
              for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _crm(args, tmpdir: Path, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmpdir)}
    return subprocess.Popen([sys.executable, "-m", "crmcli", *map(str, args)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kwargs)


@pytest.mark.slow
def test_real_file_size_limit_mid_xlsx_write(tmp_path, tmpdir_env, out_dir):
    """RLIMIT_FSIZE makes every write past 1 MB fail with EFBIG, as a full disk would."""
    import resource

    src = _big_csv(tmp_path / "orders.csv")
    dest = out_dir / "orders.xlsx"
    dest.write_bytes(PREVIOUS)

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    proc = _crm(["clean", src, "-o", dest, "-q"], tmpdir_env, preexec_fn=limit)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 4, err
    lines = err.decode().strip().splitlines()
    assert lines[0].startswith(f"crm: error: the temporary folder {tmpdir_env} is full") and len(lines) <= 2
    assert "Traceback" not in err.decode() and "Exception ignored" not in err.decode()
    _assert_nothing_left(tmpdir_env, out_dir, dest)


@pytest.mark.slow
@pytest.mark.parametrize("sig,code,line", [(signal.SIGINT, 130, "crm: interrupted"),
                                           (signal.SIGTERM, 143, "crm: terminated")], ids=["SIGINT", "SIGTERM"])
def test_real_signal_mid_xlsx_write(tmp_path, tmpdir_env, out_dir, sig, code, line):
    src = _big_csv(tmp_path / "orders.csv", rows=150_000)
    dest = out_dir / "orders.xlsx"
    dest.write_bytes(PREVIOUS)
    proc = _crm(["clean", src, "-o", dest, "-q"], tmpdir_env)
    deadline = time.monotonic() + 120
    # wait until the workbook is being streamed: a row file under $TMPDIR is filling up
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if any(f.is_file() and f.stat().st_size > 0 for f in tmpdir_env.rglob("*")):
                break
        except FileNotFoundError:  # (a temp file removed while we looked)
            pass
        time.sleep(0.02)
    assert proc.poll() is None, "the write ended before it could be interrupted"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert err.decode().strip() == line
    _assert_nothing_left(tmpdir_env, out_dir, dest)
