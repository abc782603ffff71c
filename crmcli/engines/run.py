"""Run the SQL definitions (:mod:`.sql`) on DuckDB or Spark and give the frames pandas gives.

``prepare_on(runner, source)`` loads the typed lines (:mod:`.lines`, the field layer batch by
batch; a Parquet file ``crm clean`` wrote, by SQL over the file) and applies the order rules in SQL
(tables ``filled`` → ``reasons`` (a view: read by projections only) → ``lines_net`` → ``orders``); :func:`rfm_on`
(and :func:`.kpis_on.metrics_on`) aggregate ``orders`` in SQL and finish the small per-customer / per-period
results with the same Python the pandas engine uses (scores, segments, tiers, labels).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import DataError
from ..orders import LEFT_OUT_CLASSES, status_sentence
from ..orders.notes import ambiguous_sentence, credit_note_sentence, repeated_rows_sentence, unknown_sentence
from ..orders.status import classify_statuses, status_table
from . import orders_sql, sql
from .lines import LineSpec, direct_lines, line_batches

_DAY_NS = 86_400 * 10**9


class Runner:
    """An engine's connection: load Arrow batches, create tables from SQL, fetch small results."""

    name = "engine"

    def load(self, name: str, schema: pa.Schema, batches: Iterator[pa.Table]) -> None:
        raise NotImplementedError

    def create(self, name: str, query: str, *, view: bool = False) -> None:
        """A table ``name`` from ``query`` (``view``: a relation read once, computed where it is read)."""
        raise NotImplementedError

    def fetch(self, query: str) -> pd.DataFrame:
        raise NotImplementedError

    def put(self, name: str, frame: pd.DataFrame) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class DuckRunner(Runner):
    """DuckDB in this process: tables in memory, spilled to a private temp folder past ``memory_limit``."""

    name = "duckdb"

    def __init__(self, memory_limit: int | str | None = None, threads: int | None = None):
        import os
        import tempfile

        import duckdb

        self._tmp = tempfile.mkdtemp(prefix="crm-duckdb-")   # mode 0700: DuckDB's spill files, removed at close
        config = {"temp_directory": self._tmp, "preserve_insertion_order": "false"}
        if memory_limit:   # bytes (crm.toml's [engine] memory), or DuckDB's own text ("8GB")
            config["memory_limit"] = f"{int(memory_limit) >> 20}MiB" if isinstance(memory_limit, int) else memory_limit
        if threads:
            config["threads"] = str(threads)
        self.con = duckdb.connect(config=config)
        self._os = os

    def load(self, name: str, schema: pa.Schema, batches: Iterator[pa.Table]) -> None:
        reader = pa.RecordBatchReader.from_batches(schema, (b for t in batches for b in t.to_batches()))
        self.con.register("_incoming", reader)
        try:
            self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _incoming")
        finally:
            self.con.unregister("_incoming")

    def create(self, name: str, query: str, *, view: bool = False) -> None:
        self.con.execute(f"CREATE OR REPLACE {'VIEW' if view else 'TABLE'} {name} AS {query}")

    def fetch(self, query: str) -> pd.DataFrame:
        return self.con.sql(query).to_arrow_table().to_pandas()

    def put(self, name: str, frame: pd.DataFrame) -> None:
        self.con.register(f"_{name}", pa.Table.from_pandas(frame, preserve_index=False))
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _{name}")
        self.con.unregister(f"_{name}")

    def close(self) -> None:
        import shutil

        try:
            self.con.close()
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)


def to_spark_sql(query: str) -> str:
    """A DuckDB-dialect definition as Spark SQL (SQLGlot), with numpy's half-to-even cents."""
    import re

    import sqlglot

    out = sqlglot.transpile(query, read="duckdb", write="spark")[0]
    return re.sub(r"\bROUND_EVEN\(", "BROUND(", out, flags=re.IGNORECASE)


@dataclass
class EngineOrders:
    """Orders prepared on an engine (``orders`` and ``lines_net`` tables there)."""

    runner: Runner
    spec: LineSpec
    dropped: dict[str, int] = field(default_factory=dict)
    left_out_orders: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    n_orders: int = 0
    #: How ``lines_net`` shares the amounts (:func:`crmcli.engines.sql.lines_net`'s options)
    net: dict[str, bool] = field(default_factory=dict)


def prepare_on(runner: Runner, source: Any, *, read: Any = None, overrides: Mapping[str, str] | None = None,
               customer: str | None = None, region: str = "CN", dayfirst: bool | None = None,
               statuses: Mapping[str, str] | None = None, batch_rows: int | None = None,
               keep_orders: bool = True) -> EngineOrders:
    """The order rules of ``crmcli.orders.prepare_orders`` on an engine: leaves ``orders`` (one row per
    counted order; a table, or with ``keep_orders`` False a view for a caller reading it once or not at
    all) and ``lines_net`` (kept lines, their net amounts), ``reasons`` (every line's reason to be left
    out) and ``lines`` in ``runner``. The lines of orders of several rows (and rows without an order id)
    are small tables (``filled_w``, ``lines_net_w``); the rest are views, computed where they are read."""
    vocabulary = status_table(statuses)
    direct = None
    if runner.name == "spark" and spark_path(source):
        from .spark import spark_lines

        ov = dict(overrides or {})
        if customer:
            ov["customer_id"] = customer
        opts = read.kwargs() if read is not None else {}
        spec, lines = spark_lines(runner.spark, source, overrides=ov, region=region, dayfirst=dayfirst,
                                  encoding=opts.get("encoding"), delimiter=opts.get("delimiter"))
        runner.load("lines", None, lines)
    else:
        direct = direct_lines(source, overrides=overrides, customer=customer, region=region,
                              dayfirst=dayfirst) if runner.name == "duckdb" else None
        if direct is not None and not int(runner.fetch(direct.totals)["n"].iloc[0]):
            spec = direct.spec
            runner.create("lines", direct.query, view=True)   # straight from the file, each time it is read
        else:
            spec, batches, schema = line_batches(source, read=read, overrides=overrides, customer=customer,
                                                 region=region, dayfirst=dayfirst, batch_rows=batch_rows)
            runner.load("lines", schema, batches)
            direct = None   # (its totals rows go through the field layer)
    # the order rules' windows run on the lines of orders written on several rows (and rows without an
    # order id): a small table; every other line is an order of one row, computed where it is read
    runner.create("multi", sql.multi_orders())
    for name, windowed in (("lines_w", True), ("lines_s", False)):
        runner.create(name, direct.lines(windowed) if direct is not None else sql.windowed_lines(windowed), view=True)
    text_fields = ("status", "refund_status", "channel", "campaign")
    runner.create("filled_w", sql.filled_windowed(text_fields))
    runner.create("filled_s", sql.filled_single(text_fields), view=True)
    runner.create("filled", sql.filled(text_fields), view=True)
    notes = list(spec.notes)
    aol = rol = False
    if spec.has_oid:
        if spec.amount_col is not None:
            aol = _order_level(runner, "amount", "amount_blank", spec.named_total)
            if aol:
                notes.append(f"{spec.amount_col!r} is an order-level amount (one value per order, on its first row "
                             f"or repeated): taken once per order, not once per line")
        if spec.has_refund:
            rol = _order_level(runner, "refund_f", "refund_amount_blank", True)
    has_status = "status" in spec.text_fields
    has_refund_status = "refund_status" in spec.text_fields
    if has_status:
        found = runner.fetch(sql.distinct_statuses("status"))["status"].fillna("").astype(str).tolist()
        classes = status_classes = classify_statuses(found, vocabulary)
        runner.put("status_classes", pd.DataFrame({"status": found,
                                                   "cls": [c if c is not None else "?" for c in classes]}))
    if has_refund_status:
        found = runner.fetch(sql.distinct_statuses("refund_status"))["status"].fillna("").astype(str).tolist()
        classes = classify_statuses(found, vocabulary)
        runner.put("refund_classes", pd.DataFrame({"status": found,
                                                   "refunded": [c in ("refunded", "cancelled") for c in classes]}))
    if not spec.has_oid:
        n_dup = int(runner.fetch("SELECT COUNT(*) AS n FROM filled_w WHERE dup")["n"].iloc[0])
        if n_dup:
            notes.append(repeated_rows_sentence(n_dup))
    runner.create("reasons", sql.reasons(has_oid=spec.has_oid, amount_order_level=aol, has_status=has_status,
                                         has_refund_status=has_refund_status), view=True)
    counts = runner.fetch(sql.dropped())
    by_reason = {str(r): (int(n), int(o)) for r, n, o in zip(counts["reason"], counts["n_rows"], counts["n_orders"])}
    dropped: dict[str, int] = {}
    left_out: dict[str, int] = {}
    order = ("totals-row", "duplicate-row", *LEFT_OUT_CLASSES, "invalid-date", "invalid-amount", "missing-customer")
    for reason in order:
        if reason in by_reason:
            dropped[reason] = by_reason[reason][0]
            if reason in LEFT_OUT_CLASSES:
                left_out[reason] = by_reason[reason][1]
    net = {"amount_order_level": aol, "refund_order_level": rol, "has_refund": spec.has_refund}
    runner.create("lines_net_w", sql.lines_net_windowed(**net))
    runner.create("lines_net", sql.lines_net(**net), view=True)
    full = runner.fetch(sql.full_refunds())
    if int(full["n"].iloc[0]):
        dropped["refunded"] = dropped.get("refunded", 0) + int(full["n"].iloc[0])
        left_out["refunded"] = left_out.get("refunded", 0) + int(full["o"].iloc[0])
    dropped = {k: dropped[k] for k in ("totals-row", "duplicate-row", *LEFT_OUT_CLASSES, "invalid-date",
                                       "invalid-amount", "missing-customer") if k in dropped}
    runner.create("orders", sql.orders(channel="channel" in spec.text_fields, campaign="campaign" in spec.text_fields),
                  view=not keep_orders)
    credit = runner.fetch(sql.credit_notes()).iloc[0]
    n_orders = int(credit["orders"])
    n_amb = int(runner.fetch("SELECT COUNT(*) AS n FROM reasons WHERE reason = '' AND date_ambiguous")["n"].iloc[0])
    if n_amb:
        notes.append(ambiguous_sentence(n_amb))
    if left_out:
        notes.append(status_sentence(left_out, {k: dropped[k] for k in left_out}))
    if has_status and None in status_classes:   # a status outside the vocabulary is written somewhere
        unknown = runner.fetch(sql.unknown_statuses())
        if len(unknown):
            notes.append(unknown_sentence({str(s): int(n) for s, n in zip(unknown["status"], unknown["n"])}))
    if int(credit["n"]):
        notes.append(credit_note_sentence(int(credit["n"]), float(credit["total"])))
    return EngineOrders(runner=runner, spec=spec, dropped=dropped, left_out_orders=left_out, notes=notes,
                        mapping=dict(spec.mapping), n_orders=n_orders, net=net)


def spark_path(source: Any) -> bool:
    """A source Spark reads itself: CSV/Parquet paths (local, hdfs://, s3a://; a folder of part files)."""
    import os

    items = source if isinstance(source, (list, tuple)) else [source]
    if not items or not all(isinstance(s, (str, os.PathLike)) and os.fspath(s) != "-" for s in items):
        return False
    names = [os.fspath(s).lower().rstrip("/") for s in items]
    return all(n.endswith((".csv", ".tsv", ".parquet", ".pq")) or "://" in n or os.path.isdir(n) for n in names)


def _order_level(runner: Runner, column: str, blank: str, named_total: bool) -> bool:
    r = runner.fetch(sql.order_level(column, blank)).iloc[0]
    if not int(r["multi"]) or int(r["conflicts"]):
        return False
    return bool(int(r["blank_with_value"])) or named_total


def date_literal(ts: pd.Timestamp) -> str:
    """A DATE literal of ``ts``'s day."""
    return f"DATE '{ts.date().isoformat()}'"


def resolve_as_of_on(p: EngineOrders, as_of: Any) -> pd.Timestamp:
    from ..options import parse_as_of

    day = parse_as_of(as_of)
    if day is not None:
        return day
    r = p.runner.fetch(orders_sql.max_day())
    if not int(r["n"].iloc[0]):
        raise DataError("no orders with a valid date, amount and customer to score"
                        + (f" ({', '.join(f'{n} {k}' for k, n in p.dropped.items())})" if p.dropped else ""),
                        hint="check the date/amount columns (crm inspect), or {opt:map} them")
    return pd.Timestamp(r["day"].iloc[0])


def rfm_on(p: EngineOrders, *, as_of: Any = None, bins: int = 5, breaks: Any = None, scheme: Any = "rfm",
           rules: Any = None, lang: str | None = None, tiers: Sequence[tuple[str, float]] | None = None,
           churn_days: int = 90, tag_rules: Any = None) -> Any:
    """``crmcli.rfm.score_rfm`` on prepared engine orders: the per-customer figures in SQL, the scoring in
    :func:`crmcli.rfm.score_customers`."""
    from ..rfm import DEFAULT_TIERS, check_rfm_options, score_customers, tag_customers
    from ..tags import load_tag_rules

    tag_table = load_tag_rules(tag_rules)
    table_rules, lang, cuts = check_rfm_options(bins, scheme, rules, lang, breaks)
    as_of_day = resolve_as_of_on(p, as_of)
    lit = date_literal(as_of_day)
    dropped = dict(p.dropped)
    later = int(p.runner.fetch(orders_sql.after_as_of(lit))["n"].iloc[0])
    if later:
        dropped["after-as-of"] = later
    per = p.runner.fetch(orders_sql.rfm_customers(lit))
    if per.empty:
        raise DataError(f"no orders on or before {as_of_day.date()} to score", hint="check {opt:as_of}")
    notes = list(p.notes)
    buyers = per["frequency"].to_numpy() > 0
    if not buyers.any():
        raise DataError(f"no purchases on or before {as_of_day.date()} to score: every order is a credit note "
                        f"(a negative net amount)", hint="check the amount column and {opt:as_of}")
    if not buyers.all():
        gone = int((~buyers).sum())
        notes.append(f"{gone} customer{'s' if gone != 1 else ''} with only credit notes (net "
                     f"{float(per.loc[~buyers, 'monetary'].sum()):,.2f}) ha{'ve' if gone != 1 else 's'} no RFM row")
        per = per[buyers]
    first = pd.to_datetime(per["first_at"]).to_numpy(dtype="datetime64[ns]").view(np.int64)
    last = pd.to_datetime(per["last_at"]).to_numpy(dtype="datetime64[ns]").view(np.int64)
    result = score_customers(per["customer_id"].astype("str").reset_index(drop=True),   # text as fetched
                             per["frequency"].to_numpy(dtype=np.int64),
                             per["monetary"].to_numpy(dtype=np.float64) + 0.0, first, last, as_of_day, bins=bins,
                             cuts=cuts, rules=table_rules, lang=lang, tiers=tiers or DEFAULT_TIERS, dropped=dropped,
                             notes=notes, mapping=p.mapping)
    return tag_customers(result, tag_table, churn_days=churn_days)
