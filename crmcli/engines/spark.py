"""Spark: the same SQL definitions (transpiled by SQLGlot) on a Spark session, the field layer on
the executors.

``SparkRunner(master="local[2]" | "spark://…" | "yarn")`` starts (or ``session=`` takes) a session.
:func:`spark_lines` reads CSV/Parquet paths with Spark (local, HDFS, S3 — whatever the session reads),
and normalizes them on the executors: ``mapInArrow`` hands each task Arrow batches of the raw text,
which go through the same :class:`~crmcli.stream.Plan` (decided on the driver from the first rows)
and :func:`~crmcli.engines.lines.typed_lines` as on one machine. pyspark is an extra:
``pip install 'crmcli[spark]'``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa

from ..errors import UsageError
from .run import Runner, to_spark_sql

#: Rows the driver reads to decide the mapping and the day/month order (the head of a streamed file).
HEAD_ROWS = 50_000


def spark_session(master: str | None = None) -> Any:
    """A session on ``master`` (default ``local[*]``), UTC, Arrow transfers on."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError("{opt:engine} spark needs pyspark", hint="pip install 'crmcli[spark]'",
                         option="engine") from None
    return (SparkSession.builder.master(master or "local[*]").appName("crm")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.ansi.enabled", "false")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "8")
            .getOrCreate())


class SparkRunner(Runner):
    """Tables are cached temp views of the session; the definitions run as Spark SQL."""

    name = "spark"

    def __init__(self, master: str | None = None, session: Any = None):
        self.spark = session if session is not None else spark_session(master)
        self._views: list[str] = []

    def load(self, name: str, schema: pa.Schema, batches: Iterator[pa.Table]) -> None:
        if isinstance(batches, SparkLines):
            df = batches.frame
        else:
            table = pa.concat_tables(list(batches)) if schema is not None else None
            df = self.spark.createDataFrame(table.to_pandas())
        self._view(name, df)

    def load_frame(self, name: str, df: Any) -> None:
        self._view(name, df)

    def _view(self, name: str, df: Any) -> None:
        df = df.cache()
        df.createOrReplaceTempView(name)
        self._views.append(name)

    def create(self, name: str, query: str) -> None:
        self._view(name, self.spark.sql(to_spark_sql(query)))

    def fetch(self, query: str) -> pd.DataFrame:
        return self.spark.sql(to_spark_sql(query)).toPandas()

    def put(self, name: str, frame: pd.DataFrame) -> None:
        self._view(name, self.spark.createDataFrame(frame))

    def close(self) -> None:
        for name in self._views:
            try:
                self.spark.catalog.dropTempView(name)
            except Exception:  # noqa: BLE001 - a view already gone
                pass


class SparkLines:
    """Typed lines as a Spark DataFrame (what :meth:`SparkRunner.load` takes instead of batches)."""

    def __init__(self, frame: Any):
        self.frame = frame

    def __iter__(self) -> Iterator[pa.Table]:
        return iter(())


def spark_lines(spark: Any, paths: str | list[str], *, overrides: Any = None, region: str = "CN",
                dayfirst: bool | None = None, encoding: str | None = None, delimiter: str | None = None) -> tuple:
    """``(spec, SparkLines)``: CSV (header on the first line) or Parquet ``paths`` read by Spark and
    normalized on the executors (``mapInArrow``)."""
    from pyspark.sql import functions as F

    from ..stream import plan_table
    from ..stream.source import text_frame
    from .lines import line_spec, typed_lines

    paths = [paths] if isinstance(paths, str) else list(paths)
    if all(p.lower().endswith((".parquet", ".pq")) for p in paths):
        raw = spark.read.parquet(*paths)
        raw = raw.select([F.col(f"`{c}`").cast("string").alias(c) for c in raw.columns])
    else:
        reader = spark.read.option("header", "true").option("inferSchema", "false").option("multiLine", "true")
        reader = reader.option("escape", '"').option("mode", "PERMISSIVE")
        if encoding:
            reader = reader.option("encoding", encoding)
        if delimiter:
            reader = reader.option("sep", delimiter)
        raw = reader.csv(paths)
    columns = list(raw.columns)
    # the file order, kept as the row number (increasing, not consecutive: the order rules need the order)
    raw = raw.withColumn("__row", F.monotonically_increasing_id() + 2).fillna("", subset=columns)
    head_pd = raw.limit(HEAD_ROWS).toPandas()
    head = text_frame(columns, [pa.array(head_pd[c].astype(str).tolist(), type=pa.large_string()) for c in columns],
                      head_pd["__row"].to_numpy(dtype="int64"))
    plan = plan_table(head, overrides=overrides, region=region, dayfirst=dayfirst)
    spec = line_spec(plan.normalize(head))
    schema = typed_lines(plan.normalize(head.iloc[:0]), spec).schema

    def normalize_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            cols = [batch.column(c).cast(pa.large_string()) for c in columns]
            rows = batch.column("__row").to_numpy(zero_copy_only=False)
            frame = text_frame(columns, cols, rows)
            table = typed_lines(plan.normalize(frame), spec).cast(schema)
            yield from table.to_batches()

    from pyspark.sql.pandas.types import from_arrow_schema

    typed = raw.mapInArrow(normalize_batches, from_arrow_schema(schema))
    return spec, SparkLines(typed)
