"""``crm init``: the commented crm.toml it writes."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from .settings import CONFIG_NAME

EXAMPLE_CONFIG = """\
# crm.toml: settings for every crm command (read from ./crm.toml, $CRM_CONFIG or --config).
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
[pipeline]
# probabilities = {{ new = 0.1, contacted = 0.2, qualified = 0.4, proposal = 0.6, won = 1.0, lost = 0.0 }}
#                       # per natural stage or per stage as written ("方案报价" = 0.5); a row's own probability wins

[team]
# quota = 50000         # each owner's quota for crm metrics --team; or {{ "张伟" = 80000 }}, or "quotas.csv"
# period = "month"      # the team window: all (default), month, quarter or year (the one holding as-of)

# Customer tags of crm rfm (replace the defaults: 高价值客户, 流失客户, 新客户, 潜在客户):
# [[tags.rules]]
# name = "High value"
# label_zh = "高价值客户"
# when = "tier = high"  # FIELD OP VALUE (= != > >= < <= in [..]) joined by AND; {{churn_days}} = the churn window

# crm validate / crm clean rules per table kind (orders, customers, leads, campaigns), or a rules file
# (--rules PATH; crm validate FILE --infer-rules writes one from the data):
# [rules.orders.channel]
# enum = ["天猫", "京东", "门店"]
# [rules.orders.amount]
# min = 0
# max = 100000
# [values]              # spellings crm clean writes as one value: canonical = [variants]
# "天猫" = ["天猫旗舰店", "Tmall"]

[engine]
# name = "auto"         # where analytics run: auto (pandas; duckdb for inputs over `big`), pandas, duckdb, spark
# big = "256MB"         # from this input size auto streams clean/validate and runs analytics on DuckDB
# memory = "8GB"        # DuckDB's memory limit (past it, it spills to a private temp folder); default 80 % of RAM
# spark_master = "local[2]"   # --engine spark: local[N], spark://host:7077 or yarn (pip install 'crmcli[spark]')

[report]
{output_line}# {{date}} = the as-of date; CRM_OUTPUT, -o
# lang = "zh"           # zh or en; default: the language of the orders' headers
# format = "html"       # xlsx (the workbook) or html (one self-contained page); default: by the extension

[privacy]
# mask = true                        # mask phones, emails, names, addresses… in every output and on stderr
#                                    # (or a list: ["phone", "email"]); CRM_MASK, --mask
# pseudonymize = ["customer_id", "phone", "email"]   # keyed pseudonyms (ps_…), same in every run; CRM_PSEUDONYMIZE
# pseudonym_key_file = "~/.config/crm/pseudonym.key"  # the key (or CRM_PSEUDONYM_KEY); never on the command line
# password_file = "~/.config/crm/xlsx.password"      # .xlsx outputs encrypted (or CRM_XLSX_PASSWORD)
# file_mode = "0600"                 # mode of outputs holding personal data (the umask can only tighten it)
# keep = 30                          # crm report with {{date}}: keep the newest 30 reports, remove older ones
# log = "logs/crm-audit.jsonl"       # an audit line per run (JSON; never cell values); CRM_LOG, --log
# redact = true                      # no cell values on stderr (cron mail, CI logs); CRM_REDACT, --redact
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
    from ..errors import OutputError
    from ..io import atomic_write

    cwd = Path(os.fspath(cwd))
    given = os.fspath(path) if path else CONFIG_NAME
    target = Path(given)
    if not target.is_absolute():
        target = cwd / target
    if target.is_dir() or given.endswith(("/", os.sep)):      # a folder, existing or to be made
        target = target / CONFIG_NAME
    if target.exists() and not force:
        shown = target.relative_to(cwd) if target.is_relative_to(cwd) else target
        raise OutputError(f"{shown} already exists", hint="use {opt:force} to replace it")
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
