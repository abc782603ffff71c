"""Every command's output is its one library call's result: the CLI only parses, writes and renders.

Each command that reads one input is run on the file and on the same bytes from stdin (``-``).
(``crm report`` is held to ``build_report`` cell by cell in tests/test_cli_report.py.)
"""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

import crmcli
from crmcli.basket import find_associations
from crmcli.config import init_config
from crmcli.metrics.pipeline import compute_pipeline
from crmcli.validate import validate_table

from .conftest import EXAMPLES

ORDERS = EXAMPLES / "orders_gb18030.csv"
CUSTOMERS = EXAMPLES / "customers_zh.csv"
SHOP = EXAMPLES / "shop_orders.csv"
LINES = EXAMPLES / "order_lines.csv"
OPPORTUNITIES = EXAMPLES / "opportunities.csv"


def _csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def _text_of(lib: pd.DataFrame, tmp_path) -> pd.DataFrame:
    out = tmp_path / "lib.csv"
    crmcli.write_table(lib, out)
    return _csv(out.read_text(encoding="utf-8"))


SOURCES = pytest.mark.parametrize("source", ["file", "stdin"])


def _invoke(run, path, source, args):
    if source == "stdin":
        return run([args[0], "-", *args[1:]], input=path.read_bytes())
    return run([args[0], path, *args[1:]])


@SOURCES
@pytest.mark.parametrize("name, path, args, library", [
    ("validate", ORDERS, ["-o", "-", "--fail-on", "never"], lambda src: validate_table(src).issues),
    ("clean", ORDERS, ["-o", "-"], lambda src: crmcli.clean_table(src).cleaned),
    ("dedupe", CUSTOMERS, ["-o", "-"], lambda src: crmcli.dedupe_table(src).merged),
    ("rfm", ORDERS, ["-o", "-"], lambda src: crmcli.score_rfm(src).table),
    ("pivot", ORDERS, ["--rows", "channel", "--values", "amount", "-o", "-"],
     lambda src: crmcli.pivot_table(src, rows=["channel"], values="amount").table),
    ("basket", LINES, ["-o", "-"], lambda src: find_associations(src).rules),
    ("pipeline", OPPORTUNITIES, ["-o", "-"], lambda src: compute_pipeline(src).table),
], ids=lambda v: v if isinstance(v, str) and not v.startswith("-") else None)
def test_cli_writes_the_library_result(run, tmp_path, source, name, path, args, library):
    res = _invoke(run, path, source, [name, *args, "-q"])
    assert res.exit_code == 0, res.stderr
    assert res.stderr == ""
    lib = library(crmcli.read_table(path))
    pd.testing.assert_frame_equal(_csv(res.stdout), _text_of(lib, tmp_path))


@SOURCES
def test_inspect_json_is_inspect_table(run, source):
    res = _invoke(run, CUSTOMERS, source, ["inspect", "--json"])
    assert res.exit_code == 0, res.stderr
    lib = crmcli.inspect_table(str(CUSTOMERS) if source == "file" else CUSTOMERS.read_bytes())
    assert json.loads(res.stdout) == json.loads(json.dumps(lib, ensure_ascii=False))


@SOURCES
def test_metrics_json_is_compute_metrics(run, source):
    res = _invoke(run, ORDERS, source, ["metrics", "-o", "-", "--format", "json", "-q"])
    assert res.exit_code == 0, res.stderr
    cli = pd.DataFrame(json.loads(res.stdout))
    lib = crmcli.compute_metrics(crmcli.read_table(ORDERS)).kpis
    assert list(cli["metric"]) == list(lib["metric"])
    assert cli["value"].astype(float).round(2).tolist() == pytest.approx(lib["value"].round(2).tolist(), nan_ok=True)


@pytest.mark.slow
@SOURCES
@pytest.mark.parametrize("name, library", [
    ("clv", lambda src: crmcli.fit_clv(src).table),
    ("forecast", lambda src: crmcli.forecast_sales(src).table),
])
def test_predictions_are_the_library_result(run, tmp_path, source, name, library):
    res = _invoke(run, SHOP, source, [name, "-o", "-", "-q"])
    assert res.exit_code == 0, res.stderr
    lib = library(crmcli.read_table(SHOP))
    pd.testing.assert_frame_equal(_csv(res.stdout), _text_of(lib, tmp_path))


def test_init_writes_the_library_config(run, tmp_path):
    res = run(["init", tmp_path / "a.toml", "-q"])
    assert res.exit_code == 0, res.stderr
    init_config(tmp_path / "b.toml", cwd=".")
    assert (tmp_path / "a.toml").read_text(encoding="utf-8") == (tmp_path / "b.toml").read_text(encoding="utf-8")
