"""Settings: what a command needs to know that is not the data itself, and where each can be set.

Every setting is declared once in :data:`KEYS`: its name (the :class:`Settings` attribute and the
library keyword), its ``crm.toml`` key, its ``CRM_*`` environment variable and its command-line
flag, and the check its value must pass wherever it comes from. The loader
(:mod:`crmcli.config.load`) and the CLI's error messages both read this table, so a setting is
spelled the way the user set it: ``--as-of``, ``CRM_AS_OF`` or ``as_of in crm.toml``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError

CONFIG_NAME = "crm.toml"
INPUTS = ("orders", "customers", "leads", "campaigns")
LANGS = ("zh", "en")
SCHEMES = ("rfm", "cn8")
#: Where analytics run (``crmcli.engines``): auto = pandas for small inputs, duckdb above ``engine_big``.
ENGINES = ("auto", "pandas", "duckdb", "spark")
#: Input size from which ``--engine auto`` streams clean/validate and runs analytics on DuckDB
#: (measured: benchmarks/bench_scale.py; the in-memory path needs 5-7x the file in memory).
ENGINE_BIG_BYTES = 256 << 20
DEFAULT_OUTPUT = "report-{date}.xlsx"
REPORT_FORMATS = ("xlsx", "html")


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know that is not the data itself (see :data:`KEYS`)."""

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
    #: Tier shares in percent of customers by monetary (``"20,30"``, ``[20, 30, 50]``); None = 20/30/50.
    rfm_tiers: Any = None
    funnel_stages: tuple[str, ...] | None = None
    #: ``{status text: class}`` from ``[orders] status`` (see ``crmcli.orders.status``): extends the vocabulary.
    order_status: Mapping[str, str] | None = None
    churn_days: int = 90
    attribution_days: int = 30
    #: ``crm clv`` / the report's CLV columns: days ahead, and the yearly discount rate (0.10 = 10 %).
    clv_horizon: int = 365
    clv_discount: float = 0.10
    #: ``auto`` / ``pandas`` / ``duckdb`` / ``spark`` (``[engine] name``, ``--engine``).
    engine: str = "auto"
    #: Bytes of input from which ``auto`` means the out-of-core path (``[engine] big``: 256MB, 2GB or bytes).
    engine_big: int = ENGINE_BIG_BYTES
    #: The Spark master for ``--engine spark`` (``local[2]``, ``spark://host:7077``, ``yarn``); None = local[*].
    spark_master: str | None = None
    #: ``{stage: probability}`` from ``[pipeline] probabilities`` (a natural stage or a stage as written).
    pipeline_probabilities: Mapping[str, float] | None = None
    #: ``[team] quota``: one number for every owner, ``{owner: number}``, or a quota file's path.
    team_quota: Any = None
    #: ``[team] period``: the team table's window: ``all``, ``month``, ``quarter`` or ``year`` (holding as_of).
    team_period: str = "all"
    #: ``[[tags.rules]]`` (``name``, ``label_zh``, ``when``): the customer tags of ``crm rfm``; None = the defaults.
    tag_rules: Any = None
    #: The report's output path, may hold ``{date}`` (the as-of date, ``YYYY-MM-DD``).
    output: str | None = None
    #: The report's format, ``xlsx`` or ``html``; None = by the output's extension (default xlsx).
    report_format: str | None = None
    #: ``[report] customer_rows``: the per-customer sheets (Customers, At risk) show this many customers at most,
    #: the most valuable first, with a note saying so (the full table: ``crm rfm``, ``Report.tables["rfm"]``).
    report_customer_rows: int = 10_000
    #: ``zh`` / ``en``; None = from the language of the input's headers.
    lang: str | None = None
    #: ``{kind: RuleSet}`` from crm.toml's ``[rules.<kind>]``, or ``{"*": RuleSet}`` from ``--rules PATH``
    #: (see :mod:`crmcli.rules`); the library picks the table's kind.
    rules: Mapping[str, Any] | None = None
    #: ``[values]``: canonical spellings (a :class:`crmcli.rules.ValueTable`), written by crm clean.
    values: Any = None
    #: ``--required``: more fields (or headers) every row must fill.
    required: tuple[str, ...] = ()
    #: [privacy]: kinds masked in every output and on stderr (``crmcli.privacy.mask.KINDS``); empty = none.
    mask: frozenset[str] = frozenset()
    #: Fields replaced by keyed pseudonyms (``crmcli.privacy.pseudonym.FIELDS``).
    pseudonymize: tuple[str, ...] = ()
    #: The pseudonym key (CRM_PSEUDONYM_KEY only), or a file holding it.
    pseudonym_key: str | None = field(default=None, repr=False)
    pseudonym_key_file: str | None = None
    #: The workbook password (CRM_XLSX_PASSWORD only), or a file holding it on its first line.
    xlsx_password: str | None = field(default=None, repr=False)
    password_file: str | None = None
    #: Mode of an output holding personal data (limited by the umask).
    file_mode: int = 0o600
    #: ``crm report`` with ``{date}`` in its output: keep the newest N reports, remove older ones (None: all).
    keep: int | None = None
    #: Append an audit line (JSON) per run to this file.
    log: str | None = None
    #: No cell values on stderr (shapes instead of examples).
    redact: bool = False
    config_path: str | None = None
    #: Setting name -> where its value came from: ``flag``, ``env``, ``config``.
    origin: Mapping[str, str] = field(default_factory=dict)

    def output_path(self, as_of: dt.date | None) -> str:
        """The output path with ``{date}`` filled in with ``as_of`` (default ``report-{date}.xlsx``, ``.html``
        for ``report_format = "html"``)."""
        template = self.output or (DEFAULT_OUTPUT.replace(".xlsx", ".html") if self.report_format == "html"
                                   else DEFAULT_OUTPUT)
        date = as_of.isoformat() if as_of else "undated"
        try:
            return template.format(date=date)
        except (KeyError, IndexError, ValueError) as exc:
            raise UsageError(f"output path {template!r} has a bad placeholder ({exc})",
                             hint="the only placeholder is {date}", option="output") from None

    def rules_for(self, kind: str | None) -> Any:
        """The rules for one input kind: ``--rules`` when given, else ``[rules.<kind>]`` (None: none); with
        ``kind`` None, every kind's (the library picks by the table's kind)."""
        if not self.rules:
            return None
        if "*" in self.rules:
            return self.rules["*"]
        return dict(self.rules) if kind is None else self.rules.get(kind)

    def columns_for(self, kind: str) -> dict[str, str]:
        """The ``{field: column}`` overrides for one kind of input (``[columns.<kind>]``)."""
        return dict(self.columns.get(kind, {}))

    def spell(self, name: str) -> str:
        """How the user set ``name``: its flag, environment variable or crm.toml key (the flag when unset)."""
        key = KEY_BY_NAME.get(name)
        if key is None:
            return f"--{name.replace('_', '-')}"
        where = self.origin.get(name)
        if where == "env" and key.env:
            return key.env
        if where == "config" and key.toml:
            return f"{key.toml} in {self.config_path or CONFIG_NAME}"
        return key.flag or key.toml or name


# --------------------------------------------------------------------------- value checks
# Each takes (value, how the user spelled the setting) and returns the checked value or raises UsageError.


def parse_date(value: Any, name: str = "as_of") -> dt.date | None:
    """A date setting (``YYYY-MM-DD`` or a TOML date) by the one as-of parser; empty -> None; else UsageError."""
    from ..options import parse_as_of

    try:
        ts = parse_as_of(value)
    except UsageError:
        raise UsageError(f"{name} {value!r} is not a date", hint="write it as YYYY-MM-DD, e.g. 2024-12-31") from None
    return ts.date() if ts is not None else None


def parse_bool(value: Any, name: str) -> bool | None:
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


def whole_number(minimum: int) -> Callable[[Any, str], int]:
    def check(value: Any, name: str) -> int:
        if isinstance(value, bool):
            raise UsageError(f"{name} {value!r} is not a whole number")
        try:
            n = value if isinstance(value, int) else int(str(value).strip())
        except ValueError:
            raise UsageError(f"{name} {value!r} is not a whole number") from None
        if n < minimum:
            raise UsageError(f"{name} must be at least {minimum}, got {value!r}")
        return n
    return check


def parse_mask(value: Any, name: str) -> frozenset[str]:
    """``true`` (every kind), ``false``, or kinds: ``["phone", "email"]`` / ``"phone,email"``."""
    from ..privacy.mask import KINDS

    if isinstance(value, bool):
        return frozenset(KINDS) if value else frozenset()
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on", "all", "0", "false", "no",
                                                            "off", ""):
        return frozenset(KINDS) if value.strip().lower() in ("1", "true", "yes", "on", "all") else frozenset()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple, set, frozenset)):
        raise UsageError(f"{name} {value!r} is not true/false or a list of kinds", hint="kinds: " + ", ".join(KINDS))
    kinds = {str(k).strip() for k in items if str(k).strip()}
    unknown = sorted(kinds - set(KINDS))
    if unknown:
        raise UsageError(f"{name}: {unknown[0]!r} is not a kind that can be masked", hint="kinds: " + ", ".join(KINDS))
    return frozenset(kinds)


def parse_pseudonymize(value: Any, name: str) -> tuple[str, ...]:
    from ..privacy.pseudonym import parse_fields

    return parse_fields(value, name)


def parse_file_mode(value: Any, name: str) -> int:
    """An octal mode: ``0o640`` in TOML, or ``"640"`` / ``"0640"`` / ``"0o640"``."""
    if isinstance(value, bool):
        raise UsageError(f"{name} {value!r} is not a file mode")
    if isinstance(value, int):
        mode = value
    else:
        text = str(value).strip().lower().removeprefix("0o")
        try:
            mode = int(text, 8)
        except ValueError:
            raise UsageError(f"{name} {value!r} is not an octal file mode", hint="e.g. \"0600\" or \"0640\"") from None
    if not 0 <= mode <= 0o777:
        raise UsageError(f"{name} {value!r} is not a file mode (0000..0777)", hint="e.g. \"0600\"")
    return mode


def parse_secret(value: Any, name: str) -> str | None:
    return str(value) if value not in (None, "") else None


def parse_path(value: Any, name: str) -> str | None:
    return str(value) if value not in (None, "") else None


def parse_lang(value: Any, name: str) -> str | None:
    if value in (None, "", "auto"):
        return None
    if str(value) not in LANGS:
        raise UsageError(f"{name} {value!r} is not one of {', '.join(LANGS)}")
    return str(value)


def parse_report_format(value: Any, name: str) -> str | None:
    if value in (None, ""):
        return None
    text = str(value).strip().lower().lstrip(".")
    if text not in REPORT_FORMATS:
        raise UsageError(f"{name} {value!r} is not one of {', '.join(REPORT_FORMATS)}",
                         hint="xlsx: the workbook; html: one self-contained web page")
    return text


def parse_region(value: Any, name: str) -> str:
    text = str(value).strip().upper()
    if len(text) != 2 or not text.isalpha():
        raise UsageError(f"{name} {value!r} is not a two-letter country code", hint="e.g. CN, US, GB")
    return text


def parse_scheme(value: Any, name: str) -> str:
    if str(value).strip().lower() not in SCHEMES:
        raise UsageError(f"{name} {value!r} is not one of {', '.join(SCHEMES)}")
    return str(value).strip().lower()


def parse_stages(value: Any, name: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not items or not all(isinstance(s, str) and s.strip() for s in items):
        raise UsageError(f"{name} must be a list of stage names, got {value!r}")
    return tuple(s.strip() for s in items)


def check_tiers(value: Any, name: str) -> Any:
    """Tier shares as ``crmcli.rfm.parse_tiers`` takes them (``"20,30"``, ``[20, 30, 50]``), checked by it."""
    from ..rfm import parse_tiers

    if value is None:
        return None
    try:
        parse_tiers(value if isinstance(value, str) else [float(v) for v in value])
    except (UsageError, TypeError, ValueError) as exc:
        raise UsageError(f"{name} {value!r}: {exc}", hint="e.g. 20,30 (high, mid; low = the rest)") from None
    return value


def check_clv(option: str) -> Callable[[Any, str], Any]:
    """``crmcli.clv``'s own check of its horizon (days ≥ 1) or discount (a yearly rate; 10 = 10 %)."""
    def check(value: Any, name: str) -> Any:
        from ..clv.fit import check_options

        try:
            horizon, discount = check_options(value if option == "horizon" else 365,
                                              value if option == "discount" else 0.1)
        except UsageError as exc:
            raise UsageError(f"{name}: {exc}", hint=exc.hint) from None
        return horizon if option == "horizon" else discount
    return check


def parse_engine(value: Any, name: str) -> str:
    text = str(value).strip().lower()
    if text not in ENGINES:
        raise UsageError(f"{name} {value!r} is not one of {', '.join(ENGINES)}")
    return text


def parse_size(value: Any, name: str) -> int:
    """A size in bytes: ``268435456``, ``256MB``, ``2GB``, ``512 MiB``."""
    if isinstance(value, bool):
        raise UsageError(f"{name} {value!r} is not a size")
    if isinstance(value, int):
        n = value
    else:
        import re

        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", str(value).lower())
        if not m:
            raise UsageError(f"{name} {value!r} is not a size", hint="e.g. 256MB, 2GB or a number of bytes")
        n = int(float(m[1]) * 1024 ** " kmgt".index(m[2] or " "))
    if n < 0:
        raise UsageError(f"{name} must not be negative, got {value!r}")
    return n


def parse_master(value: Any, name: str) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None
def check_rules(value: Any, name: str) -> dict[str, Any] | None:
    """``--rules PATH`` / ``CRM_RULES`` (a rules file for the file checked: ``{"*": RuleSet}``) or crm.toml's
    ``[rules]`` (a table per input kind: ``{kind: RuleSet}``), every rule checked (:mod:`crmcli.rules.spec`)."""
    from ..rules import RuleSet, parse_rules, read_rules

    if value is None or value == "":
        return None
    if isinstance(value, Mapping) and all(isinstance(v, RuleSet) for v in value.values()):
        return dict(value)
    if isinstance(value, str):
        return {"*": read_rules(value)}
    if not isinstance(value, Mapping):
        raise UsageError(f"{name} must be a rules file or a table of [rules.<kind>] tables")
    out = {}
    for kind, table in value.items():
        if kind not in INPUTS:
            raise UsageError(f"{name}: unknown key 'rules.{kind}'",
                             hint="use " + ", ".join(f"[rules.{k}]" for k in INPUTS) + " (one table per column)")
        if not isinstance(table, Mapping):
            raise UsageError(f"{name}: [rules.{kind}] must be a table of columns")
        out[kind] = parse_rules(table, where=f"{name}: [rules.{kind}]")
    return out


def check_values(value: Any, name: str) -> Any:
    """crm.toml's ``[values]`` (``canonical = [variants]``, ``[values.<column>]``), checked."""
    from ..rules import ValueTable, parse_values

    if value is None or isinstance(value, ValueTable):
        return value
    return parse_values(value, where=name)


def parse_fields(value: Any, name: str) -> tuple[str, ...]:
    """``phone,email`` or a list: field names or headers (checked against the table when it is read)."""
    if value is None or value == "":
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(s, str) for s in items):
        raise UsageError(f"{name} must be a comma-separated list of fields, got {value!r}")
    out = tuple(s.strip() for s in items if s.strip())
    if not out:
        raise UsageError(f"{name} names no field", hint="e.g. {opt:required} phone,email")
    return out


@dataclass(frozen=True)
class Key:
    """One setting: where it can be set and how its value is checked."""

    name: str                      # Settings attribute = library keyword
    toml: str | None               # dotted key in crm.toml
    env: str | None                # CRM_* variable
    flag: str | None               # command-line flag
    check: Callable[[Any, str], Any] | None = None   # None: checked by the config reader (tables)
    types: tuple[type, ...] = (str,)                  # TOML value types accepted
    also: tuple[str, ...] = ()     # further crm.toml keys for the same setting


def check_probabilities(value: Any, name: str) -> Any:
    from ..metrics.pipeline import check_probabilities as check

    return check(value, name)


def check_quota(value: Any, name: str) -> Any:
    from ..metrics.team import check_quota as check

    return check(value, name)


def check_team_period(value: Any, name: str) -> str:
    from ..metrics.team import check_period

    return check_period(value, name)


def check_tag_rules(value: Any, name: str) -> Any:
    from ..tags import load_tag_rules

    if value is None:
        return None
    try:
        load_tag_rules(value)
    except UsageError as exc:
        raise UsageError(f"{name}: {exc}", hint=exc.hint) from None
    return value


KEYS: tuple[Key, ...] = (
    Key("orders", "inputs.orders", "CRM_ORDERS", "ORDERS", parse_path),
    Key("customers", "inputs.customers", "CRM_CUSTOMERS", "--customers", parse_path),
    Key("leads", "inputs.leads", "CRM_LEADS", "--leads", parse_path),
    Key("campaigns", "inputs.campaigns", "CRM_CAMPAIGNS", "--campaigns", parse_path),
    Key("region", "region", "CRM_REGION", "--region", parse_region),
    Key("dayfirst", "dayfirst", "CRM_DAYFIRST", "--dayfirst/--monthfirst", parse_bool, (bool,)),
    Key("as_of", "as_of", "CRM_AS_OF", "--as-of", parse_date, (str, dt.date)),
    Key("lang", "lang", "CRM_LANG", "--lang", parse_lang, also=("report.lang",)),
    Key("rfm_scheme", "rfm.scheme", "CRM_RFM_SCHEME", "--scheme", parse_scheme),
    Key("rfm_bins", "rfm.bins", "CRM_RFM_BINS", "--bins", whole_number(2), (int,)),
    Key("rfm_breaks", "rfm.breaks", None, "--breaks", None, (dict,)),
    Key("rfm_tiers", "rfm.tiers", None, "--tiers", check_tiers, (list, str)),
    Key("rfm_rules", "rfm.rules", None, None, None, (list,)),
    Key("funnel_stages", "funnel.stages", None, "--stages", parse_stages, (list,)),
    Key("order_status", "orders.status", None, None, None, (dict,)),
    Key("churn_days", "metrics.churn_days", "CRM_CHURN_DAYS", "--churn-days", whole_number(1), (int,)),
    Key("attribution_days", "metrics.attribution_days", "CRM_ATTRIBUTION_DAYS", "--attribution-days",
        whole_number(1), (int,)),
    Key("clv_horizon", "clv.horizon", "CRM_CLV_HORIZON", "--horizon", check_clv("horizon"), (int,)),
    Key("clv_discount", "clv.discount", "CRM_CLV_DISCOUNT", "--discount", check_clv("discount"), (int, float)),
    Key("output", "report.output", "CRM_OUTPUT", "-o", parse_path),
    Key("engine", "engine.name", "CRM_ENGINE", "--engine", parse_engine),
    Key("engine_big", "engine.big", "CRM_ENGINE_BIG", None, parse_size, (int, str)),
    Key("spark_master", "engine.spark_master", "CRM_SPARK_MASTER", None, parse_master),
    Key("report_format", "report.format", "CRM_REPORT_FORMAT", "--format", parse_report_format),
    Key("report_customer_rows", "report.customer_rows", "CRM_REPORT_CUSTOMER_ROWS", None, whole_number(1), (int,)),
    Key("rules", "rules", "CRM_RULES", "--rules", check_rules, (dict,)),
    Key("values", "values", None, None, check_values, (dict,)),
    Key("required", None, "CRM_REQUIRED", "--required", parse_fields),
    Key("pipeline_probabilities", "pipeline.probabilities", None, None, check_probabilities, (dict,)),
    Key("team_quota", "team.quota", None, "--quota", check_quota, (int, float, dict, str)),
    Key("team_period", "team.period", "CRM_TEAM_PERIOD", "--team-period", check_team_period),
    Key("tag_rules", "tags.rules", None, None, check_tag_rules, (list,)),
    Key("mask", "privacy.mask", "CRM_MASK", "--mask", parse_mask, (bool, list, str)),
    Key("pseudonymize", "privacy.pseudonymize", "CRM_PSEUDONYMIZE", "--pseudonymize", parse_pseudonymize,
        (list, str)),
    Key("pseudonym_key", None, "CRM_PSEUDONYM_KEY", None, parse_secret),
    Key("pseudonym_key_file", "privacy.pseudonym_key_file", "CRM_PSEUDONYM_KEY_FILE", "--pseudonym-key-file",
        parse_path),
    Key("xlsx_password", None, "CRM_XLSX_PASSWORD", None, parse_secret),
    Key("password_file", "privacy.password_file", "CRM_XLSX_PASSWORD_FILE", "--password-file", parse_path),
    Key("file_mode", "privacy.file_mode", "CRM_FILE_MODE", None, parse_file_mode, (int, str)),
    Key("keep", "privacy.keep", "CRM_KEEP", "--keep", whole_number(1), (int,)),
    Key("log", "privacy.log", "CRM_LOG", "--log", parse_path),
    Key("redact", "privacy.redact", "CRM_REDACT", "--redact", parse_bool, (bool,)),
)
#: Settings holding a file path: relative to crm.toml's folder there, to the working directory elsewhere.
PATH_SETTINGS = INPUTS + ("output", "pseudonym_key_file", "password_file", "log")
KEY_BY_NAME: dict[str, Key] = {k.name: k for k in KEYS}


def check_value(name: str, value: Any, spelled: str | None = None) -> Any:
    """Validate and convert one setting's value (from any source); ``spelled`` names it in errors."""
    key = KEY_BY_NAME.get(name)
    if key is None:
        raise UsageError(f"unknown setting {name!r}")
    if key.check is None:
        return value
    return key.check(value, spelled or name.replace("_", "-"))
