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

import os
import sys
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
    master = master or "local[*]"
    # local mode: one shuffle partition a core (the default 200 costs more than the work on one machine)
    cores = master[6:-1] if master.startswith("local[") else ""
    partitions = str(os.cpu_count() or 2) if cores in ("", "*") else cores.split(",")[0]
    if master.startswith("local"):
        # local workers run this interpreter (its venv has pandas and crmcli), not whatever python3 is on PATH:
        # PySpark takes the workers' interpreter from PYSPARK_PYTHON only (a session setting does not reach it)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (SparkSession.builder.master(master).appName("crm")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.ansi.enabled", "false")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", partitions if master.startswith("local") else "200")
            .config("spark.sql.legacy.javaCharsets", "true")   # GB18030/GBK CSV (Spark 4 allows only UTF/Latin-1)
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

    def _view(self, name: str, df: Any, cache: bool = True) -> None:
        df = df.cache() if cache else df
        df.createOrReplaceTempView(name)
        self._views.append(name)

    def create(self, name: str, query: str, *, view: bool = False) -> None:
        self._view(name, self.spark.sql(to_spark_sql(query)), cache=not view)

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
        columns = list(raw.columns)
    else:
        raw, columns = read_csv_text(spark, paths, encoding=encoding, delimiter=delimiter)
    if "__row" not in raw.columns:
        # the file order, kept as the row number (increasing, not consecutive: the order rules need the order)
        raw = raw.withColumn("__row", F.monotonically_increasing_id() + 2)
    raw = raw.fillna("", subset=columns)
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


def read_csv_text(spark: Any, paths: list[str], *, encoding: str | None = None,
                  delimiter: str | None = None) -> tuple[Any, list[str]]:
    """CSV ``paths`` as a Spark DataFrame of text (``__row`` = the line order) and its column names.

    Local files are read as ``crm`` reads them: the encoding, delimiter, header row (title rows above it)
    and header names are decided on the driver from the first file's head (:func:`crmcli.stream.open_source`),
    and each file — one partition each, as a multi-line CSV is not split — drops its rows up to the header.
    Elsewhere (hdfs://, s3a://…) the header is the first line and the encoding UTF-8 unless given.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    reader = spark.read.option("inferSchema", "false").option("multiLine", "true").option("escape", '"')
    reader = reader.option("mode", "PERMISSIVE")
    local = all("://" not in p or p.startswith("file://") for p in paths)
    if not local or any(os.path.isdir(p) for p in paths):
        if encoding:
            reader = reader.option("encoding", encoding)
        if delimiter:
            reader = reader.option("sep", delimiter)
        raw = reader.option("header", "true").csv(paths)
        return raw, list(raw.columns)
    from ..stream.source import open_source
    from ..options import ReadOptions

    src = open_source(paths[0].removeprefix("file://"), ReadOptions(encoding=encoding, delimiter=delimiter))
    columns, header_row = list(src.columns), int(src.info.header_row or 1)
    enc = src.info.encoding or "utf-8"
    if not enc.lower().startswith("utf-8"):
        spark.conf.set("spark.sql.legacy.javaCharsets", "true")   # a session the caller started
    schema = StructType([StructField(f"c{i}", StringType()) for i in range(len(columns))])
    raw = (reader.option("header", "false").option("encoding", "UTF-8" if enc.lower().startswith("utf-8") else enc)
           .option("sep", src.info.delimiter or ",").schema(schema).csv(paths))
    line = F.monotonically_increasing_id()
    within = line.bitwiseAND(F.lit((1 << 33) - 1))   # the row's place in its file (one partition a file)
    raw = raw.withColumn("__row", line + 1).where(within >= header_row)
    raw = raw.select([F.col(f"c{i}").alias(c) for i, c in enumerate(columns)] + [F.col("__row")])
    return raw, columns
