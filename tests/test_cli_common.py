"""What every command shares: one-line usage errors, clean help, settings obeyed, one output rule, stderr lines."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import warnings

import openpyxl
import pytest
import typer
from typer.testing import CliRunner

from crmcli.cli import app
from crmcli.cli.commands import MODULES
from crmcli.cli.common import Common, command

from .conftest import EXAMPLES, ROOT, run_crm

COMMANDS = [m.__name__.rsplit(".", 1)[1] for m in MODULES]
ORDERS_CSV = ("客户,电话,下单日期,金额,渠道\n张三,13812345678,2024-03-01,100,天猫\n李四,(212) 555-0134,2024-03-02,50,京东\n"
              "张三,13812345678,2024-03-05,80,天猫\n").encode("utf-8")


# ----------------------------------------------------------------- usage errors and help


@pytest.mark.parametrize("args, text", [
    (["rfm", "--ouput", "x"], "crm: error: no such option --ouput (did you mean --output?)"),
    (["clen", "x.csv"], "crm: error: no such command 'clen' (did you mean clean?)"),
    (["clean"], "crm: error: missing argument 'FILE'"),
    (["rfm", "-", "--bins", "many"], "crm: error: invalid value for '--bins'"),
    (["validate", "x.csv", "--fail-on", "often"], "crm: error: invalid value for --fail-on"),
])
def test_usage_errors_are_one_line_exit_2(run, args, text):
    res = run(args)
    assert res.exit_code == 2
    assert res.stderr.startswith(text), res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert "╭" not in res.stderr and "Usage:" not in res.stderr


@pytest.mark.parametrize("name", COMMANDS)
def test_help_is_clean_with_a_description_and_an_example(run, name):
    res = run([name, "--help"])
    assert res.exit_code == 0
    text = res.stdout
    for artefact in ("<bool>", "<str>", "<int>", "{FILE}", "╭", "[ORDERS]]"):
        assert artefact not in text
    assert "Example:" in text and f"crm {name}" in text.split("Example:")[1]
    description = text.split("\n\n")[1]
    assert len(description.split()) >= 12  # a paragraph, not a fragment


def test_root_help_lists_every_command(run):
    res = run(["--help"])
    assert res.exit_code == 0
    for name in COMMANDS:
        assert re.search(rf"^\s+{name}\s", res.stdout, re.M)


# ----------------------------------------------------------------- settings obeyed by every command


def test_region_from_crm_toml_and_environment_reaches_clean(run, tmp_path, monkeypatch):
    src = tmp_path / "o.csv"
    src.write_bytes(ORDERS_CSV)
    monkeypatch.chdir(tmp_path)
    res = run(["clean", src, "-o", "-", "-q"])
    assert "+12125550134" not in res.stdout  # CN: a US number is not valid
    (tmp_path / "crm.toml").write_text('region = "US"\n', encoding="utf-8")
    res = run(["clean", src, "-o", "-", "-q"])
    assert res.exit_code == 0, res.stderr
    assert "+12125550134" in res.stdout
    (tmp_path / "crm.toml").unlink()
    res = run(["clean", src, "-o", "-", "-q"], env={"CRM_REGION": "US"})
    assert "+12125550134" in res.stdout
    res = run(["clean", src, "-o", "-", "-q", "--region", "CN"], env={"CRM_REGION": "US"})
    assert "+12125550134" not in res.stdout  # the flag wins


def test_rfm_scheme_from_crm_toml(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "crm.toml").write_text('[rfm]\nscheme = "cn8"\n', encoding="utf-8")
    res = run(["rfm", EXAMPLES / "orders_gb18030.csv", "-o", "-", "-q"])
    assert res.exit_code == 0, res.stderr
    assert "重要" in res.stdout
    res = run(["rfm", EXAMPLES / "orders_gb18030.csv", "-o", "-", "-q", "--scheme", "rfm"])
    assert "重要" not in res.stdout


@pytest.mark.parametrize("name, args", [
    ("inspect", ["FILE"]), ("validate", ["FILE"]), ("clean", ["FILE", "-o", "-"]), ("dedupe", ["FILE", "-o", "-"]),
    ("rfm", ["FILE", "-o", "-"]), ("metrics", ["FILE", "-o", "-"]), ("pivot", ["FILE", "--rows", "channel", "-o", "-"]),
    ("report", ["FILE", "-o", "OUT"]),
])
def test_a_typo_in_crm_toml_is_exit_2_for_every_command(run, tmp_path, monkeypatch, name, args):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "crm.toml").write_text('regoin = "US"\n', encoding="utf-8")
    args = [str(EXAMPLES / "orders_gb18030.csv") if a == "FILE" else str(tmp_path / "r.xlsx") if a == "OUT" else a
            for a in args]
    res = run([name, *args])
    assert res.exit_code == 2, res.stderr
    assert "unknown key 'regoin'" in res.stderr and res.stderr.startswith("crm: error:")


def test_errors_name_the_setting_the_way_it_was_set(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run(["rfm", EXAMPLES / "orders_gb18030.csv", "-o", "-"], env={"CRM_AS_OF": "soon"})
    assert res.exit_code == 2 and "CRM_AS_OF" in res.stderr
    (tmp_path / "crm.toml").write_text('[metrics]\nchurn_days = 0\n', encoding="utf-8")
    res = run(["metrics", EXAMPLES / "orders_gb18030.csv", "-o", "-"])
    assert res.exit_code == 2 and "metrics.churn_days in" in res.stderr and "crm.toml" in res.stderr


# ----------------------------------------------------------------- the output-destination rule


@pytest.mark.parametrize("name, suffix, extra", [("rfm", "rfm", []), ("clean", "cleaned", []),
                                                 ("dedupe", "deduped", [])])
def test_format_json_names_the_default_output_json(run, tmp_path, name, suffix, extra):
    src = tmp_path / "orders.csv"
    src.write_bytes(ORDERS_CSV)
    res = run([name, src, "--format", "json", "-q", *extra])
    assert res.exit_code == 0, res.stderr
    out = tmp_path / f"orders.{suffix}.json"
    assert out.is_file() and out.read_text(encoding="utf-8").lstrip().startswith("[")
    assert not (tmp_path / f"orders.{suffix}.csv").exists()


def test_output_without_an_extension_gets_the_formats(run, tmp_path):
    src = tmp_path / "orders.csv"
    src.write_bytes(ORDERS_CSV)
    res = run(["rfm", src, "-o", tmp_path / "result", "--format", "jsonl", "-q"])
    assert res.exit_code == 0, res.stderr
    assert (tmp_path / "result.jsonl").is_file()
    res = run(["rfm", src, "-o", tmp_path / "plain", "-q"])
    assert (tmp_path / "plain.csv").is_file()
    res = run(["rfm", src, "-o", tmp_path / "x.csv", "--format", "json"])
    assert res.exit_code == 2 and "is a .csv file but --format asks for json" in res.stderr
    res = run(["rfm", src, "-o", "/dev/null", "-q"])
    assert res.exit_code == 0 and os.path.exists("/dev/null") and not os.path.exists("/dev/null.csv")


@pytest.mark.parametrize("name, args", [
    ("clean", ["-o", "OUT/x.csv"]), ("rfm", ["-o", "OUT/x.csv"]), ("metrics", ["-o", "OUT/x.csv"]),
    ("pivot", ["--rows", "channel", "-o", "OUT/x.csv"]), ("validate", ["--issues", "OUT/x.csv"]),
    ("dedupe", ["-o", "OUT/x.csv"]), ("report", ["-o", "OUT/x.xlsx"]),
])
def test_every_command_creates_a_missing_output_folder_and_says_wrote(run, tmp_path, name, args):
    src = tmp_path / "orders.csv"
    src.write_bytes(ORDERS_CSV)
    args = [a.replace("OUT", str(tmp_path / "new" / "deep")) for a in args]
    res = run([name, src, *args])
    assert res.exit_code in (0, 1), res.stderr
    written = [p for p in (tmp_path / "new" / "deep").iterdir()]
    assert len(written) == 1
    assert f"wrote {written[0]}" in res.stderr or f"wrote {os.path.relpath(written[0])}" in res.stderr


def test_init_creates_a_missing_folder_and_says_wrote(run, tmp_path):
    res = run(["init", tmp_path / "conf" / "crm.toml"])
    assert res.exit_code == 0, res.stderr
    assert (tmp_path / "conf" / "crm.toml").is_file() and "wrote " in res.stderr


def test_init_into_a_new_folder_named_with_a_slash(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run(["init", "ops/nightly/"])
    assert res.exit_code == 0, res.stderr
    assert (tmp_path / "ops" / "nightly" / "crm.toml").is_file()      # a folder holding crm.toml, not a file "nightly"
    res = run(["init", "ops/nightly/"])
    assert res.exit_code == 4
    assert "ops/nightly/crm.toml already exists" in res.stderr and str(tmp_path) not in res.stderr


def test_every_destination_is_checked_before_anything_is_written(run, tmp_path):
    src = tmp_path / "orders.csv"
    src.write_bytes(ORDERS_CSV)
    res = run(["clean", src, "-o", tmp_path / "out.csv", "--issues", src / "issues.csv"])
    assert res.exit_code == 4, res.stderr
    assert not (tmp_path / "out.csv").exists()
    res = run(["metrics", src, "-o", tmp_path / "m.csv", "--cohorts", tmp_path / "m.csv"])
    assert res.exit_code == 4 and "named as two outputs" in res.stderr
    res = run(["dedupe", src, "-o", tmp_path / "d.csv", "--clusters", src])
    assert res.exit_code == 4 and "refusing to overwrite the input" in res.stderr
    assert not (tmp_path / "d.csv").exists()


# ----------------------------------------------------------------- stderr


def test_numbers_on_stderr_have_thousands_separators_and_lines_do_not_wrap(run, tmp_path):
    rows = "\n".join(f"C{i % 700},138{i:08d},2024-0{1 + i % 9}-1{i % 10},{100 + i}" for i in range(1500))
    src = tmp_path / "big.csv"
    src.write_text("customer_id,phone,order_date,amount\n" + rows + "\n", encoding="utf-8")
    res = run(["validate", src])
    assert "1,500 rows checked" in res.stderr
    res = run(["rfm", src, "-o", tmp_path / "r.csv"])
    assert "rfm: 700 customers, 1,500 orders" in res.stderr
    line = next(li for li in res.stderr.splitlines() if li.startswith("definitions:"))
    assert line.endswith("avg_order_value = monetary ÷ frequency")  # one line, however long


def _probe_app(body):
    probe = typer.Typer()

    @probe.callback()
    def _root() -> None:
        pass

    def noisy(c: Common) -> None:
        body()

    command(probe)(noisy)
    return probe


def test_library_warnings_are_one_line_and_silenced_by_quiet():
    def body():
        warnings.warn("invalid value encountered in divide", RuntimeWarning, stacklevel=1)

    runner = CliRunner()
    res = runner.invoke(_probe_app(body), ["noisy"])
    assert res.exit_code == 0
    assert res.stderr.strip() == "crm: warning: invalid value encountered in divide"
    res = runner.invoke(_probe_app(body), ["noisy", "-q"])
    assert res.exit_code == 0 and res.stderr == ""


def test_a_bug_is_one_line_without_debug():
    def body():
        raise ZeroDivisionError("boom")

    res = CliRunner().invoke(_probe_app(body), ["noisy"])
    assert res.exit_code == 3
    # not a terminal (cron mail, CI logs): the type only, its text may quote a customer's values
    assert res.stderr.startswith("crm: error: unexpected ZeroDivisionError (details hidden") and "boom" not in res.stderr
    assert "Traceback" not in res.stderr


def test_a_bug_shows_its_text_at_a_terminal(monkeypatch):
    def body():
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("crmcli.cli.stderr.at_terminal", lambda: True)
    res = CliRunner().invoke(_probe_app(body), ["noisy"])
    assert res.exit_code == 3
    assert res.stderr.startswith("crm: error: unexpected ZeroDivisionError: boom") and "Traceback" not in res.stderr


# ----------------------------------------------------------------- signals and stdin (real processes)


def _wait_until_reading_stdin(pid: int, timeout: float = 90.0) -> None:
    """Until the process blocks reading its stdin pipe (Linux: its wait channel), however loaded the machine."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/wchan") as fh:
                if fh.read().strip() in ("pipe_read", "pipe_wait", "anon_pipe_read"):
                    time.sleep(0.2)
                    return
        except OSError:
            pass
        time.sleep(0.1)
    time.sleep(5.0)


@pytest.mark.slow
def test_sigterm_exits_143_with_one_line(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    p = subprocess.Popen([sys.executable, "-m", "crmcli", "clean", "-", "-o", str(tmp_path / "out.csv")],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    p.stdin.write(b"name,phone\n")
    p.stdin.flush()
    _wait_until_reading_stdin(p.pid)  # started (handlers installed) and waiting for the rest of stdin
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 143
    assert err.decode().strip() == "crm: terminated"
    assert list(tmp_path.iterdir()) == []  # no output, no temp file


@pytest.mark.slow
def test_a_closed_stdin_is_exit_3():
    p = subprocess.run([sys.executable, "-m", "crmcli", "clean", "-"], capture_output=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, preexec_fn=lambda: os.close(0), timeout=60)
    assert p.returncode == 3
    assert p.stderr.decode().strip().startswith("crm: error: an input is - but stdin is closed")


@pytest.mark.slow
def test_usage_error_from_a_real_process():
    p = run_crm(["rfm", "--ouput", "x"])
    assert p.returncode == 2
    assert p.stderr.decode().strip() == ("crm: error: no such option --ouput (did you mean --output?) "
                                         "(hint: crm rfm --help)")


def test_order_status_classes_from_crm_toml_reach_rfm_and_metrics(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "orders.csv"
    src.write_text("订单号,客户ID,下单日期,金额,订单状态\nA1,C1,2024-03-01,100,交易成功\nA2,C1,2024-03-02,50,待审核\n"
                   "A3,C2,2024-03-03,70,交易成功\n", encoding="utf-8")
    res = run(["metrics", src, "-o", "-", "--format", "json", "-q"])
    assert res.exit_code == 0, res.stderr
    assert '"orders"' in res.stdout and "220" in res.stdout  # an unknown status counts
    (tmp_path / "crm.toml").write_text('[orders.status]\n"待审核" = "unpaid"\n', encoding="utf-8")
    res = run(["metrics", src, "-o", "-", "--format", "json"])
    assert res.exit_code == 0, res.stderr
    assert "170" in res.stdout and "unpaid" in res.stderr
    res = run(["rfm", src, "-o", "-", "-q"])
    rows = {line.split(",")[0].strip('"'): line.split(",") for line in res.stdout.splitlines()[1:]}
    assert rows["C1"][2] == "1"  # frequency: the unpaid order is left out
