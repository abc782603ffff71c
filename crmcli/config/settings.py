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
from .checks import (INPUTS, check_clv, check_probabilities, check_quota,
                     check_rules, check_tag_rules, check_team_period, check_tiers, check_values, parse_bool, parse_date,
                     parse_engine, parse_fields, parse_file_mode, parse_lang, parse_mask, parse_master, parse_memory, parse_path,
                     parse_pseudonymize, parse_region, parse_report_format, parse_scheme, parse_secret, parse_size,
                     parse_stages, whole_number)

CONFIG_NAME = "crm.toml"
#: Input size from which ``--engine auto`` streams clean/validate and runs analytics on DuckDB
#: (measured: benchmarks/bench_scale.py; the in-memory path needs 5-7x the file in memory).
ENGINE_BIG_BYTES = 256 << 20
DEFAULT_OUTPUT = "report-{date}.xlsx"


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
    #: DuckDB's memory limit in bytes (``[engine] memory``: 8GB, 512MB); past it DuckDB spills to its private
    #: temporary folder. None = DuckDB's own default (80 % of the machine's memory).
    engine_memory: int | None = None
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

    def runner_options(self) -> dict[str, Any]:
        """The settings an engine's connection takes (``crmcli.engines.analytics.open_runner``): DuckDB's
        memory limit and the Spark master (each engine reads its own)."""
        return {"memory_limit": self.engine_memory, "spark_master": self.spark_master}

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
    Key("engine_memory", "engine.memory", "CRM_ENGINE_MEMORY", None, parse_memory, (int, str)),
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
