"""`crm report` and `crm init` from the command line: cron behaviour, exit codes, CLI = library."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from crmcli.config import load_settings
from crmcli.io import read_table
from crmcli.report import build_report

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
ANSI = re.compile(rb"\x1b\[")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in list(os.environ):
        if var.startswith("CRM_"):
            monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)  # no ./crm.toml unless a test writes one


def n_charts(path: Path) -> int:
    with zipfile.ZipFile(path) as z:
        return sum(1 for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))


def test_report_with_config_writes_the_workbook_and_one_summary_line(run, tmp_path):
    out = tmp_path / "out.xlsx"
    res = run(["report", "--config", EXAMPLES / "crm.toml", "-o", out])
    assert res.exit_code == 0, res.stderr
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wrote out.xlsx: 13 sheets, as of 2024-12-28")
    wb = openpyxl.load_workbook(out)
    assert len(wb.sheetnames) >= 6 and n_charts(out) >= 2


def test_cli_equals_library(run, tmp_path):
    out = tmp_path / "cli.xlsx"
    assert run(["report", EXAMPLES / "orders.xlsx", "-o", out, "--lang", "en", "-q"]).exit_code == 0
    report = build_report(read_table(EXAMPLES / "orders.xlsx"), lang="en", source="orders.xlsx")
    lib = tmp_path / "lib.xlsx"
    report.write(lib)
    a, b = openpyxl.load_workbook(out), openpyxl.load_workbook(lib)
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        assert [[c.value for c in r] for r in a[name].iter_rows()] == [[c.value for c in r] for r in b[name].iter_rows()]


def test_quiet_prints_nothing(run, tmp_path):
    res = run(["report", EXAMPLES / "orders.xlsx", "-o", tmp_path / "q.xlsx", "-q"])
    assert res.exit_code == 0 and res.stderr == "" and res.stdout == ""


def test_output_template_from_config_makes_its_folder(run, tmp_path):
    (tmp_path / "crm.toml").write_text(
        f'[inputs]\norders = "{(EXAMPLES / "orders.xlsx").as_posix()}"\n'
        '[report]\noutput = "reports/r-{date}.xlsx"\n', encoding="utf-8")
    res = run(["report", "-q"])  # ./crm.toml is read
    assert res.exit_code == 0, res.stderr
    assert (tmp_path / "reports" / "r-2024-12-28.xlsx").is_file()
    res = run(["report", "-q", "--as-of", "2024-06-30"])
    assert (tmp_path / "reports" / "r-2024-06-30.xlsx").is_file()


def test_environment_overrides_config(run, tmp_path):
    out = tmp_path / "env-{date}.xlsx"
    res = run(["report", "--config", EXAMPLES / "crm.toml", "-q"],
              env={"CRM_OUTPUT": str(out), "CRM_AS_OF": "2024-03-31", "CRM_LANG": "en"})
    assert res.exit_code == 0, res.stderr
    wb = openpyxl.load_workbook(tmp_path / "env-2024-03-31.xlsx")
    assert wb.sheetnames[0] == "Summary"


def test_missing_output_folders_are_created(run, tmp_path):
    out = tmp_path / "reports" / "2024" / "r.xlsx"
    res = run(["report", str(EXAMPLES / "orders.xlsx"), "-o", out, "-q"])
    assert res.exit_code == 0, res.stderr
    assert out.is_file()


@pytest.mark.parametrize("args, code, text", [
    (["report"], 2, "no orders file"),
    (["report", "missing.xlsx"], 3, "missing.xlsx"),
    (["report", "--config", "nope.toml"], 3, "nope.toml"),
    (["report", "ORDERS", "-o", "ORDERS/r.xlsx"], 4, "is not a folder"),
    (["report", "ORDERS", "--as-of", "soon"], 2, "as-of"),
    (["report", "ORDERS", "--lang", "fr"], 2, "lang"),
])
def test_exit_codes(run, args, code, text):
    args = [a.replace("ORDERS", str(EXAMPLES / "orders.xlsx")) for a in args]
    res = run(args)
    assert res.exit_code == code, res.stderr
    assert res.stderr.startswith("crm: error:") and text in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_unknown_config_key_exits_2_naming_it(run, tmp_path):
    (tmp_path / "crm.toml").write_text("[report]\nouptut = 'x.xlsx'\n", encoding="utf-8")
    res = run(["report", EXAMPLES / "orders.xlsx"])
    assert res.exit_code == 2 and "report.ouptut" in res.stderr


def test_failed_run_keeps_previous_report(run, tmp_path):
    out = tmp_path / "r.xlsx"
    assert run(["report", EXAMPLES / "orders.xlsx", "-o", out, "-q"]).exit_code == 0
    before = out.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("日期,金额,客户\nx,y,z\n", encoding="utf-8")
    res = run(["report", bad, "-o", out])
    assert res.exit_code != 0
    assert out.read_bytes() == before


def test_refuses_to_write_over_an_input(run, tmp_path):
    src = tmp_path / "orders.xlsx"
    shutil.copy(EXAMPLES / "orders.xlsx", src)
    before = src.read_bytes()
    res = run(["report", src, "-o", src])
    assert res.exit_code == 4 and src.read_bytes() == before


def test_init_writes_a_working_config(run, tmp_path):
    os.chdir(ROOT)
    target = tmp_path / "crm.toml"
    res = run(["init", target])
    assert res.exit_code == 0 and "crm.toml" in res.stderr
    settings = load_settings(target, env={}, cwd=tmp_path)
    assert Path(settings.orders).is_file()
    assert run(["init", target]).exit_code == 4  # never clobbers
    assert run(["init", target, "--force", "-q"]).stderr == ""


@pytest.mark.slow
@pytest.mark.parametrize("quiet", [False, True])
def test_cron_run_with_empty_environment_and_closed_stdin(tmp_path, quiet):
    out = tmp_path / "out.xlsx"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    cmd = ["env", "-i", *[f"{k}={v}" for k, v in env.items()], sys.executable, "-m", "crmcli", "report",
           "--config", "examples/crm.toml", "-o", str(out), *(["-q"] if quiet else [])]
    proc = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert not ANSI.search(proc.stderr)
    assert proc.stdout == b""
    if quiet:
        assert proc.stderr == b""
    else:
        assert proc.stderr.count(b"\n") == 1
    wb = openpyxl.load_workbook(out)
    assert len(wb.sheetnames) >= 6 and n_charts(out) >= 2
    assert all(ws.freeze_panes == "A2" for ws in wb.worksheets)
    assert not [c for ws in wb.worksheets for r in ws.iter_rows() for c in r if c.data_type == "f"]


@pytest.mark.slow
def test_no_colour_even_on_errors_with_no_color(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "crmcli", "report", "missing.xlsx"], cwd=tmp_path, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    assert proc.returncode == 3 and not ANSI.search(proc.stderr)
    assert proc.stderr.startswith(b"crm: error:")


def test_readme_documents_report_and_init_and_ci_runs_the_quickstart():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for opt in ("--customers", "--leads", "--campaigns", "--config", "--as-of", "--lang", "--region", "-q",
                "crm init", "--force", "CRM_OUTPUT", "CRM_CONFIG", "[columns.orders]", "[[rfm.rules]]"):
        assert opt in readme, opt
    quick = readme.split("## Quickstart", 1)[1].split("```sh", 1)[1].split("```", 1)[0].strip().splitlines()
    assert quick[0].startswith("pip install . && crm report")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert quick[0] in ci and quick[1] in ci


def test_map_option_and_no_usable_orders(run, tmp_path):
    csv = tmp_path / "o.csv"
    csv.write_text("when,total,who\n2024-01-02,10,a\n2024-01-03,20,b\n2024-02-01,5,a\n", encoding="utf-8")
    assert run(["report", csv, "-o", tmp_path / "x.xlsx"]).exit_code == 2  # no date column it can see
    res = run(["report", csv, "-o", tmp_path / "x.xlsx", "--map", "order_date=when", "--map", "amount=total",
               "--map", "customer_id=who"])
    assert res.exit_code == 0, res.stderr
    assert "3 orders, 2 customers, revenue 35.00" in res.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("日期,金额,客户\n待定,面议,a\n", encoding="utf-8")
    res = run(["report", bad, "-o", tmp_path / "y.xlsx"])
    assert res.exit_code == 1 and "no order with a valid date" in res.stderr


@pytest.mark.slow
def test_stdin_input_closed_or_piped(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    base = [sys.executable, "-m", "crmcli", "report", "-", "-o"]
    proc = subprocess.run(" ".join([*base, "out.xlsx", "0<&-"]), shell=True, cwd=tmp_path, env=env,
                          capture_output=True, timeout=60)
    assert proc.returncode == 3 and b"stdin is closed" in proc.stderr
    data = (EXAMPLES / "orders_gb18030.csv").read_bytes()
    proc = subprocess.run([*base, "-"], input=data, cwd=tmp_path, env=env, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout[:4] == b"PK\x03\x04" and b"wrote stdout" in proc.stderr
