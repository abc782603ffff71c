"""crm.toml loading: precedence flag > env > file > defaults, relative paths, unknown keys, crm init."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from crmcli.config import Settings, init_config, load_settings, read_config, render_example_config
from crmcli.errors import ExitCode, OutputError, UsageError

ROOT = Path(__file__).resolve().parent.parent


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_config(tmp_path):
    s = load_settings(env={}, cwd=tmp_path)
    assert s == Settings(origin={})
    assert s.region == "CN" and s.churn_days == 90 and s.rfm_bins == 5 and s.lang is None
    assert s.output_path(dt.date(2024, 12, 31)) == "report-2024-12-31.xlsx"


def test_paths_in_the_file_are_relative_to_the_file(tmp_path):
    (tmp_path / "conf").mkdir()
    conf = write(tmp_path / "conf" / "crm.toml", '[inputs]\norders = "data/orders.xlsx"\n[report]\noutput = "out/r-{date}.xlsx"\n')
    s = load_settings(conf, env={}, cwd="/")
    assert s.orders == str(tmp_path / "conf" / "data" / "orders.xlsx")
    assert s.output_path(dt.date(2024, 1, 2)) == str(tmp_path / "conf" / "out" / "r-2024-01-02.xlsx")
    assert s.origin["orders"] == "config" and s.config_path == str(conf)


def test_precedence_flag_over_env_over_file(tmp_path):
    conf = write(tmp_path / "crm.toml", 'region = "GB"\nlang = "en"\n[metrics]\nchurn_days = 30\n'
                                        '[inputs]\norders = "a.csv"\n')
    s = load_settings(conf, env={}, cwd=tmp_path)
    assert (s.region, s.lang, s.churn_days) == ("GB", "en", 30)
    s = load_settings(conf, env={"CRM_REGION": "us", "CRM_CHURN_DAYS": "60", "CRM_ORDERS": "b.csv"}, cwd=tmp_path)
    assert (s.region, s.churn_days, s.orders) == ("US", 60, str(tmp_path / "b.csv"))
    assert s.origin["region"] == "env"
    s = load_settings(conf, flags={"region": "DE", "orders": "c.csv", "lang": None},
                      env={"CRM_REGION": "us"}, cwd=tmp_path)
    assert (s.region, s.orders, s.lang) == ("DE", str(tmp_path / "c.csv"), "en")
    assert s.origin["region"] == "flag" and s.origin["lang"] == "config"


def test_local_crm_toml_is_read_when_present(tmp_path):
    write(tmp_path / "crm.toml", "[rfm]\nbins = 4\n")
    assert load_settings(env={}, cwd=tmp_path).rfm_bins == 4
    other = tmp_path / "sub"
    other.mkdir()
    assert load_settings(env={}, cwd=other).rfm_bins == 5
    assert load_settings(env={"CRM_CONFIG": "../crm.toml"}, cwd=other).rfm_bins == 4


@pytest.mark.parametrize("text, key", [
    ("colour = 1\n", "colour"),
    ("[inputs]\norder = 'x.csv'\n", "inputs.order"),
    ("[report]\nouput = 'x.xlsx'\n", "report.ouput"),
    ("[columns.orders]\nfone = '电话'\n", "columns.orders.fone"),
    ("[columns.order]\nphone = '电话'\n", "columns.order"),
    ("[rfm.breaks]\nx = [1, 2]\n", "rfm.breaks.x"),
    ("[[rfm.rules]]\nname = 'VIP'\nr = '5'\nq = '1'\n", "'q'"),
])
def test_unknown_keys_are_named(tmp_path, text, key):
    conf = write(tmp_path / "crm.toml", text)
    with pytest.raises(UsageError) as err:
        load_settings(conf, env={}, cwd=tmp_path)
    assert key in str(err.value)
    assert err.value.code == ExitCode.USAGE


@pytest.mark.parametrize("text", [
    "region = 12\n", "[metrics]\nchurn_days = 'ninety'\n", "[metrics]\nchurn_days = true\n",
    "lang = 'fr'\n", "[rfm]\nscheme = 'abc'\n", "[rfm]\nbins = 1\n", "not toml at all = = =\n",
    "[rfm.breaks]\nr = [30, 10]\n", "[funnel]\nstages = []\n",
])
def test_bad_values_are_usage_errors(tmp_path, text):
    conf = write(tmp_path / "crm.toml", text)
    with pytest.raises(UsageError):
        load_settings(conf, env={}, cwd=tmp_path)


def test_bad_environment_values_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="as-of"):
        load_settings(env={"CRM_AS_OF": "yesterday"}, cwd=tmp_path)
    with pytest.raises(UsageError, match="churn-days"):
        load_settings(env={"CRM_CHURN_DAYS": "0"}, cwd=tmp_path)


def test_missing_config_file_is_an_input_error(tmp_path):
    with pytest.raises(Exception) as err:
        load_settings(tmp_path / "nope.toml", env={}, cwd=tmp_path)
    assert getattr(err.value, "code", None) == ExitCode.INPUT


def test_rfm_rules_breaks_and_funnel(tmp_path):
    conf = write(tmp_path / "crm.toml", """
[rfm]
bins = 5
breaks = { r = [30, 90, 180, 365] }
default = "Rest"
[[rfm.rules]]
name = "VIP"
label_zh = "贵宾"
r = "4-5"
f = [4, 5]
m = "*"
[funnel]
stages = ["线索", "报价", "成交"]
""")
    s = load_settings(conf, env={}, cwd=tmp_path)
    assert s.rfm_breaks == {"r": (30.0, 90.0, 180.0, 365.0)}
    assert s.rfm_rules["default"] == "Rest" and s.rfm_rules["rules"][0]["name"] == "VIP"
    assert s.funnel_stages == ("线索", "报价", "成交")


def test_output_template_placeholders(tmp_path):
    s = load_settings(flags={"output": "r-{date}.xlsx"}, env={}, cwd=tmp_path)
    assert s.output_path(dt.date(2024, 5, 6)) == str(tmp_path / "r-2024-05-06.xlsx")
    s = load_settings(flags={"output": "r-{when}.xlsx"}, env={}, cwd=tmp_path)
    with pytest.raises(UsageError, match="placeholder"):
        s.output_path(dt.date(2024, 5, 6))


def test_example_config_parses_and_points_at_examples():
    s = load_settings(ROOT / "examples" / "crm.toml", env={}, cwd="/")
    assert Path(s.orders) == ROOT / "examples" / "orders.xlsx" and Path(s.orders).is_file()
    assert Path(s.customers).is_file()
    # the committed file is exactly what `crm init` writes next to the examples
    assert (ROOT / "examples" / "crm.toml").read_text(encoding="utf-8") == render_example_config()


def test_init_writes_a_config_that_works_from_the_repository_root(tmp_path):
    written = init_config(tmp_path / "crm.toml", cwd=ROOT)
    text = Path(written).read_text(encoding="utf-8")
    tomllib.loads(text)
    s = load_settings(written, env={}, cwd="/")
    assert Path(s.orders).resolve() == (ROOT / "examples" / "orders.xlsx").resolve()
    assert "#" in text  # commented
    with pytest.raises(OutputError):
        init_config(tmp_path / "crm.toml", cwd=ROOT)  # never clobbers
    init_config(tmp_path, cwd=ROOT, force=True)  # a folder: crm.toml inside


def test_read_config_keeps_every_known_key(tmp_path):
    conf = write(tmp_path / "crm.toml", render_example_config())
    values = read_config(conf)
    assert {"orders", "customers", "rfm_scheme", "rfm_bins", "churn_days", "attribution_days", "output"} <= set(values)


def test_engine_memory_from_the_file_or_the_environment_limits_duckdb(tmp_path):
    from crmcli.engines.analytics import open_runner

    conf = write(tmp_path / "crm.toml", '[engine]\nmemory = "2GB"\n')
    s = load_settings(conf, env={}, cwd=tmp_path)
    (tmp_path / "elsewhere").mkdir()
    assert s.engine_memory == 2 << 30 and load_settings(env={}, cwd=tmp_path / "elsewhere").engine_memory is None
    assert load_settings(conf, env={"CRM_ENGINE_MEMORY": "512MB"}, cwd=tmp_path).engine_memory == 512 << 20
    with open_runner("duckdb", memory_limit=s.engine_memory) as runner:
        limit = runner.fetch("SELECT current_setting('memory_limit') AS m")["m"].iloc[0]
    assert limit in ("2.0 GiB", "2048.0 MiB"), limit
    with pytest.raises(UsageError, match="below 64MB"):
        load_settings(write(tmp_path / "small.toml", '[engine]\nmemory = "1MB"\n'), env={}, cwd=tmp_path)
