"""Settings: ``crm.toml`` (tomllib), ``CRM_*`` environment variables, flags, defaults.

Precedence, highest first: a command-line flag, the environment (``CRM_ORDERS``,
``CRM_OUTPUT``, …), the config file, the defaults below. The config file is ``--config PATH``,
else ``$CRM_CONFIG``, else ``./crm.toml`` when present. Paths in the config file are relative
to the file's folder (so cron can run from anywhere); paths from flags and the environment
are relative to the working directory. Unknown keys are a :class:`UsageError` naming the key.

The library never reads the environment or the working directory itself: callers pass
``env=`` and ``cwd=`` (the CLI passes ``os.environ`` and the process's directory).
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import InputError, UsageError
from .schema import FIELDS

CONFIG_NAME = "crm.toml"
INPUTS = ("orders", "customers", "leads", "campaigns")
LANGS = ("zh", "en")
SCHEMES = ("rfm", "cn8")
RFM_DIMENSIONS = ("recency", "frequency", "monetary")
DEFAULT_OUTPUT = "report-{date}.xlsx"

#: Allowed keys of each table of crm.toml: key -> expected type(s) (None = a sub-table checked elsewhere).
_SCHEMA: dict[str, dict[str, Any]] = {
    "": {"region": str, "dayfirst": bool, "as_of": (str, dt.date), "lang": str,
         "inputs": None, "columns": None, "rfm": None, "funnel": None, "metrics": None, "report": None, "clv": None},
    "inputs": {name: str for name in INPUTS},
    "rfm": {"scheme": str, "bins": int, "breaks": None, "rules": None, "basis": str, "default": str,
            "default_zh": str},
    "funnel": {"stages": list},
    "metrics": {"churn_days": int, "attribution_days": int},
    "report": {"output": str, "lang": str},
    "clv": {"horizon": int, "discount": (int, float)},
}
_BREAK_KEYS = ("r", "f", "m", "recency", "frequency", "monetary")

#: Environment variable -> setting name.
ENV_VARS: dict[str, str] = {
    "CRM_ORDERS": "orders", "CRM_CUSTOMERS": "customers", "CRM_LEADS": "leads", "CRM_CAMPAIGNS": "campaigns",
    "CRM_OUTPUT": "output", "CRM_LANG": "lang", "CRM_REGION": "region", "CRM_DAYFIRST": "dayfirst",
    "CRM_AS_OF": "as_of", "CRM_CHURN_DAYS": "churn_days", "CRM_ATTRIBUTION_DAYS": "attribution_days",
    "CRM_RFM_SCHEME": "rfm_scheme", "CRM_RFM_BINS": "rfm_bins",
}


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know that is not the data itself."""

    orders: str | None = None
    customers: str | None = None
    leads: str | None = None
    campaigns: str | None = None
    #: ``{input: {field: column}}`` mapping overrides per input (``orders``, ``customers`` …).
    columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    region: str = "CN"
    dayfirst: bool | None = None
    as_of: dt.date | None = None
    rfm_scheme: str = "rfm"
    rfm_bins: int = 5
    #: ``{"r"|"f"|"m": [cut points]}`` (``bins - 1`` each), as ``crmcli.rfm.parse_breaks`` takes them.
    rfm_breaks: Mapping[str, tuple[float, ...]] | None = None
    #: A custom rule table (``rules``, ``basis``, ``default``, ``default_zh``) for ``crmcli.segments.load_rules``.
    rfm_rules: Mapping[str, Any] | None = None
    funnel_stages: tuple[str, ...] | None = None
    churn_days: int = 90
    attribution_days: int = 30
    #: ``crm clv`` / the report's CLV columns: days ahead, and the yearly discount rate (0.10 = 10 %).
    clv_horizon: int = 365
    clv_discount: float = 0.10
    #: Output path, may hold ``{date}`` (the as-of date, ``YYYY-MM-DD``).
    output: str | None = None
    #: ``zh`` / ``en``; None = from the language of the input's headers.
    lang: str | None = None
    config_path: str | None = None
    #: Setting name -> where its value came from: ``flag``, ``env``, ``config``.
    origin: Mapping[str, str] = field(default_factory=dict)

    def output_path(self, as_of: dt.date | None) -> str:
        """The output path with ``{date}`` filled in with ``as_of``."""
        template = self.output or DEFAULT_OUTPUT
        date = as_of.isoformat() if as_of else "undated"
        try:
            return template.format(date=date)
        except (KeyError, IndexError, ValueError) as exc:
            raise UsageError(f"output path {template!r} has a bad placeholder ({exc})",
                             hint="the only placeholder is {date}") from None


# --------------------------------------------------------------------------- parsing values


def parse_date(value: Any, name: str = "as_of") -> dt.date | None:
    """``YYYY-MM-DD`` (or a TOML date) -> date; empty -> None; else UsageError."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise UsageError(f"{name} {value!r} is not a date", hint="write it as YYYY-MM-DD") from None


def _parse_bool(value: Any, name: str) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    if text in ("", "auto"):
        return None
    raise UsageError(f"{name} {value!r} is not true/false")


def _parse_int(value: Any, name: str, minimum: int = 1) -> int:
    try:
        n = int(str(value).strip()) if not isinstance(value, int) or isinstance(value, bool) else value
    except ValueError:
        raise UsageError(f"{name} {value!r} is not a whole number") from None
    if isinstance(n, bool) or n < minimum:
        raise UsageError(f"{name} must be at least {minimum}, got {value!r}")
    return n


def _check_value(name: str, value: Any) -> Any:
    """Validate and convert one setting's value (from any source)."""
    if name in INPUTS or name == "output":
        return str(value) if value not in (None, "") else None
    if name == "lang":
        if value in (None, "", "auto"):
            return None
        if str(value) not in LANGS:
            raise UsageError(f"lang {value!r} is not one of zh, en")
        return str(value)
    if name == "region":
        text = str(value).strip().upper()
        if len(text) != 2 or not text.isalpha():
            raise UsageError(f"region {value!r} is not a two-letter country code", hint="e.g. CN, US, GB")
        return text
    if name == "dayfirst":
        return _parse_bool(value, name)
    if name == "as_of":
        return parse_date(value, "as-of")
    if name in ("churn_days", "attribution_days", "rfm_bins"):
        return _parse_int(value, name.replace("_", "-"), minimum=2 if name == "rfm_bins" else 1)
    if name in ("clv_horizon", "clv_discount"):
        from .clv.fit import check_options

        try:
            horizon, discount = check_options(value if name == "clv_horizon" else 365,
                                              value if name == "clv_discount" else 0.1)
        except UsageError as exc:  # name the setting as the config file and flags both know it
            raise UsageError(f"{name.replace('_', '.', 1)}: {exc}", hint=exc.hint) from None
        return horizon if name == "clv_horizon" else discount
    if name == "rfm_scheme":
        if str(value) not in SCHEMES:
            raise UsageError(f"rfm scheme {value!r} is not one of {', '.join(SCHEMES)}")
        return str(value)
    return value


def _type_name(t: Any) -> str:
    types = t if isinstance(t, tuple) else (t,)
    return " or ".join({str: "a string", bool: "true/false", int: "a whole number", list: "a list",
                        dt.date: "a date"}.get(x, x.__name__) for x in types)


def _check_table(table: Mapping[str, Any], section: str, where: str) -> None:
    allowed = _SCHEMA[section]
    for key, value in table.items():
        dotted = f"{section}.{key}" if section else key
        if key not in allowed:
            raise UsageError(f"{where}: unknown key {dotted!r}",
                             hint="known keys here: " + ", ".join(allowed))
        expected = allowed[key]
        if expected is None:
            if not isinstance(value, (dict, list)):
                raise UsageError(f"{where}: {dotted} must be a table")
            continue
        if isinstance(value, bool) and expected is int:
            raise UsageError(f"{where}: {dotted} must be {_type_name(expected)}")
        if not isinstance(value, expected):
            raise UsageError(f"{where}: {dotted} must be {_type_name(expected)}, got {value!r}")


def _parse_rules(rfm: Mapping[str, Any], where: str) -> dict[str, Any]:
    from .segments import load_rules

    table = {k: rfm[k] for k in ("rules", "basis", "default", "default_zh") if k in rfm}
    if not isinstance(table["rules"], list) or not all(isinstance(r, dict) for r in table["rules"]):
        raise UsageError(f"{where}: rfm.rules must be a list of tables ([[rfm.rules]])")
    try:
        load_rules(table)  # the same checks crm rfm makes: unknown keys, bad ranges
    except UsageError as exc:
        raise UsageError(f"{where}: {exc}", hint=exc.hint) from None
    return table


def _parse_breaks(breaks: Any, where: str) -> dict[str, tuple[float, ...]]:
    if not isinstance(breaks, dict):
        raise UsageError(f"{where}: rfm.breaks must be a table")
    out = {}
    for key, cuts in breaks.items():
        if key not in _BREAK_KEYS:
            raise UsageError(f"{where}: unknown key 'rfm.breaks.{key}'", hint="known keys here: r, f, m")
        if (not isinstance(cuts, list) or not cuts
                or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in cuts)
                or list(cuts) != sorted(set(cuts))):
            raise UsageError(f"{where}: rfm.breaks.{key} must be increasing numbers, got {cuts!r}")
        out[key[0]] = tuple(float(c) for c in cuts)
    return out


def read_config(path: str | os.PathLike) -> dict[str, Any]:
    """Parse a crm.toml into ``{setting: value}`` (paths made relative to its folder)."""
    p = Path(os.fspath(path))
    where = str(p)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"config file {p} does not exist", hint="create one with: crm init") from None
    except IsADirectoryError:
        raise InputError(f"config file {p} is a directory") from None
    except OSError as exc:
        raise InputError(f"cannot read config file {p} ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UsageError(f"{where} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{where} is not valid TOML: {exc}") from None

    _check_table(data, "", where)
    for section in ("inputs", "rfm", "funnel", "metrics", "report", "clv"):
        if section in data:
            if not isinstance(data[section], dict):
                raise UsageError(f"{where}: [{section}] must be a table")
            _check_table(data[section], section, where)

    base = p.resolve().parent
    out: dict[str, Any] = {}

    def rel(value: str) -> str:
        q = Path(os.path.expanduser(value))
        return str(q if q.is_absolute() else base / q)

    for key in ("region", "dayfirst", "as_of", "lang"):
        if key in data:
            out[key] = data[key]
    for name, value in data.get("inputs", {}).items():
        if value:
            out[name] = rel(value)
    columns = data.get("columns", {})
    if not isinstance(columns, dict):
        raise UsageError(f"{where}: [columns] must be a table")
    parsed_columns: dict[str, dict[str, str]] = {}
    for name, table in columns.items():
        if name not in INPUTS:
            raise UsageError(f"{where}: unknown key 'columns.{name}'",
                             hint="use [columns.orders], [columns.customers], [columns.leads], [columns.campaigns]")
        if not isinstance(table, dict):
            raise UsageError(f"{where}: [columns.{name}] must be a table of field = \"column\"")
        for fld, col in table.items():
            if fld not in FIELDS:
                raise UsageError(f"{where}: unknown key 'columns.{name}.{fld}' (not a canonical field)",
                                 hint="fields: " + ", ".join(FIELDS))
            if not isinstance(col, str) or not col.strip():
                raise UsageError(f"{where}: columns.{name}.{fld} must be a column name")
        parsed_columns[name] = {f: c.strip() for f, c in table.items()}
    if parsed_columns:
        out["columns"] = parsed_columns
    rfm = data.get("rfm", {})
    if "scheme" in rfm:
        out["rfm_scheme"] = rfm["scheme"]
    if "bins" in rfm:
        out["rfm_bins"] = rfm["bins"]
    if "breaks" in rfm:
        out["rfm_breaks"] = _parse_breaks(rfm["breaks"], where)
    if "rules" in rfm:
        out["rfm_rules"] = _parse_rules(rfm, where)
    elif any(k in rfm for k in ("basis", "default", "default_zh")):
        raise UsageError(f"{where}: rfm.basis/default/default_zh only apply to your own [[rfm.rules]]")
    if "stages" in data.get("funnel", {}):
        stages = data["funnel"]["stages"]
        if not stages or not all(isinstance(s, str) and s.strip() for s in stages):
            raise UsageError(f"{where}: funnel.stages must be a list of stage names")
        out["funnel_stages"] = tuple(s.strip() for s in stages)
    for key in ("churn_days", "attribution_days"):
        if key in data.get("metrics", {}):
            out[key] = data["metrics"][key]
    for key in ("horizon", "discount"):
        if key in data.get("clv", {}):
            out[f"clv_{key}"] = data["clv"][key]
    report = data.get("report", {})
    if "output" in report:
        out["output"] = rel(report["output"])
    if "lang" in report:
        out["lang"] = report["lang"]
    return out


def find_config(config: str | os.PathLike | None, *, env: Mapping[str, str], cwd: str | os.PathLike) -> str | None:
    """The config file to read: ``config``, else ``$CRM_CONFIG``, else ``./crm.toml`` if present."""
    if config:
        return os.fspath(config)
    if env.get("CRM_CONFIG"):
        return str(Path(cwd) / env["CRM_CONFIG"])
    local = Path(cwd) / CONFIG_NAME
    return str(local) if local.is_file() else None


def load_settings(config: str | os.PathLike | None = None, *, flags: Mapping[str, Any] | None = None,
                  env: Mapping[str, str] | None = None, cwd: str | os.PathLike | None = None) -> Settings:
    """Build :class:`Settings` from flags > environment > config file > defaults.

    ``flags`` holds only the options actually given (``None`` values are ignored). Relative
    paths from flags and the environment are resolved against ``cwd``.
    """
    env = env or {}
    cwd = Path(os.fspath(cwd)) if cwd is not None else Path(".")
    path = find_config(config, env=env, cwd=cwd)
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    if path:
        for k, v in read_config(path).items():
            values[k], origin[k] = v, "config"
    for var, name in ENV_VARS.items():
        if env.get(var, "") != "":
            values[name], origin[name] = env[var], "env"
            if name in INPUTS or name == "output":
                values[name] = str(cwd / os.path.expanduser(env[var]))
    for name, value in (flags or {}).items():
        if value is None:
            continue
        if name in INPUTS or name == "output":
            value = value if value == "-" else str(cwd / os.path.expanduser(os.fspath(value)))
        values[name], origin[name] = value, "flag"
    known = {f for f in Settings.__dataclass_fields__ if f not in ("config_path", "origin")}
    for name in values:
        if name not in known:
            raise UsageError(f"unknown setting {name!r}")
    checked = {name: _check_value(name, value) for name, value in values.items()}
    return replace(Settings(), **checked, config_path=path, origin=origin)


# --------------------------------------------------------------------------- crm init

EXAMPLE_CONFIG = """\
# crm.toml: settings for `crm report` (and the other commands).
# Paths are relative to this file. Precedence: command-line flag > CRM_* environment > this file > defaults.
# Unknown keys are an error, so a typo never goes unnoticed.

# region = "CN"          # default phone region (ISO 3166), CRM_REGION
# dayfirst = false       # force dd/mm/yyyy (true) or mm/dd/yyyy (false); default: decided per column
# as_of = "2024-12-31"   # observation end; default: the latest order date (CRM_AS_OF, --as-of)

[inputs]
{orders_line}# CRM_ORDERS; the only input that is required
{customers_line}# optional, CRM_CUSTOMERS
{leads_line}# optional: the Funnel sheet (CRM_LEADS)
{campaigns_line}# optional: the Campaigns sheet (CRM_CAMPAIGNS)

# Column mapping overrides per input, field = "header as written" (when the automatic mapping is wrong).
[columns.orders]
# order_date = "下单日期"
# amount = "金额"

[rfm]
scheme = "rfm"          # rfm (10 named segments) or cn8 (重要价值客户 …)
bins = 5                # scores 1..bins by quantiles; equal values get equal scores
# breaks = {{ r = [30, 90, 180, 365], f = [1, 2, 3, 5], m = [500, 1000, 2000, 5000] }}   # bins - 1 cut points each
# Your own segments instead of the scheme (ordered, first match wins, unmatched -> default):
# default = "Others"
# [[rfm.rules]]
# name = "VIP"
# label_zh = "重要客户"
# r = "4-5"             # a score, a range "3-5", a list "1,3,5", [3, 5], or "*"
# f = "4-5"
# m = "*"

[funnel]
# stages = ["线索", "已联系", "报价", "成交"]   # natural order of the leads' stage column

[metrics]
churn_days = 90         # a customer with no order in this many days counts as churned
attribution_days = 30   # a contacted customer's orders within this many days count for the campaign

[clv]
horizon = 365           # crm clv / the report: expected orders and CLV over this many days
discount = 0.10         # yearly discount rate for CLV (0.10 = 10 %), applied monthly

[report]
{output_line}# {{date}} = the as-of date; CRM_OUTPUT, -o
# lang = "zh"           # zh or en; default: the language of the orders' headers
"""


def render_example_config(*, orders: str = "orders.xlsx", customers: str | None = "customers_en.csv",
                          leads: str | None = "leads.csv", campaigns: str | None = "campaigns.csv",
                          output: str = "reports/report-{date}.xlsx") -> str:
    """The commented crm.toml that ``crm init`` writes (an input given as None is a commented example)."""
    def line(key: str, value: str | None, example: str = "") -> str:
        text = f"{key} = {_toml_string(value if value is not None else example)}"
        return (text if value is not None else "# " + text).ljust(35) + " "

    return EXAMPLE_CONFIG.format(orders_line=line("orders", orders),
                                 customers_line=line("customers", customers, "customers.csv"),
                                 leads_line=line("leads", leads, "leads.csv"),
                                 campaigns_line=line("campaigns", campaigns, "campaigns.csv"),
                                 output_line=line("output", output))


def _toml_string(value: str) -> str:
    """A TOML basic string."""
    out = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{out}"'


def init_config(path: str | os.PathLike | None = None, *, cwd: str | os.PathLike = ".", force: bool = False,
                orders: str | None = None, customers: str | None = None) -> str:
    """Write a commented crm.toml to ``path`` (a file, or a folder to put ``crm.toml`` in).

    Input paths default to the bundled ``examples/`` files when they are found under ``cwd``
    (written relative to the new file); an existing file is kept unless ``force``.
    Returns the path written.
    """
    from .errors import OutputError
    from .io import atomic_write

    cwd = Path(os.fspath(cwd))
    target = Path(os.fspath(path)) if path else Path(CONFIG_NAME)
    if not target.is_absolute():
        target = cwd / target
    if target.is_dir():
        target = target / CONFIG_NAME
    if target.exists() and not force:
        raise OutputError(f"{target} already exists", hint="use --force to replace it")
    folder = target.parent

    def pick(given: str | None, example: str, required: bool = False) -> str | None:
        if given:
            p = Path(os.path.expanduser(given))
            p = p if p.is_absolute() else cwd / p
        else:
            candidates = [folder / example, cwd / "examples" / example]
            found = next((c for c in candidates if c.is_file()), None)
            if found is None and not required:
                return None
            p = found or folder / example
        try:
            rel = os.path.relpath(p, folder)
        except ValueError:  # another drive on Windows
            rel = str(p)
        return Path(rel).as_posix()

    text = render_example_config(orders=pick(orders, "orders.xlsx", required=True),
                                 customers=pick(customers, "customers_en.csv"), leads=pick(None, "leads.csv"),
                                 campaigns=pick(None, "campaigns.csv"))
    tomllib.loads(text)  # what we write must parse
    atomic_write(target, lambda fh: fh.write(text.encode("utf-8")))
    return str(target)
