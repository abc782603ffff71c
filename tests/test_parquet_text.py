"""A typed Parquet float column reads as the text cell_text gives each value (vectorized in float_text)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from crmcli.io.frame import cell_text
from crmcli.io.parquet import float_text, text_array


def test_float_text_is_cell_text_for_every_kind_of_float():
    rng = np.random.default_rng(7)
    values = np.concatenate([
        rng.uniform(-1e6, 1e6, 20_000), np.round(rng.uniform(0, 1e5, 20_000), 2), 10 ** rng.uniform(-9, 22, 20_000),
        -(10 ** rng.uniform(-9, 22, 5_000)), np.round(rng.uniform(0, 1e4, 5_000)),
        [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e16, 1e16 - 2, 1e17, 2.0 ** 60, 5e-324, 1e-4, 9.99e-5, 0.1, 1 / 3]])
    mask = np.zeros(len(values), dtype=bool)
    mask[::997] = True
    arr = pa.array(values, mask=mask)
    expected = ["" if m or v != v else cell_text(float(v)) for v, m in zip(values.tolist(), mask)]
    assert float_text(arr).to_pylist() == expected
    assert text_array(arr).to_pylist() == expected
    assert text_array(pa.array([1.5, 2.0, None], pa.float32())).to_pylist() == ["1.5", "2", ""]


def test_timestamps_of_every_unit_read_as_the_text_csv_output_writes():
    import datetime as dt

    import pandas as pd

    from crmcli.io.write import date_text

    days = [dt.datetime(2024, 1, 2, 13, 4, 5, 900000), dt.datetime(2024, 1, 3), None, dt.datetime(1900, 3, 1, 23, 59, 59)]
    want = ["2024-01-02 13:04:05", "2024-01-03", "", "1900-03-01 23:59:59"]
    for unit in ("s", "ms", "us", "ns"):   # milliseconds with a fraction used to raise ArrowInvalid
        arr = pa.array([d.replace(microsecond=0) if d and unit == "s" else d for d in days], pa.timestamp(unit))
        assert text_array(arr).to_pylist() == want, unit
    assert text_array(pa.array([dt.datetime(2024, 1, 2), None], pa.date64())).to_pylist() == ["2024-01-02", ""]
    zoned = pa.array([dt.datetime(2024, 1, 2, 16, 0), dt.datetime(2024, 1, 2, 5, 4, 5)], pa.timestamp("us", tz="UTC"))
    local = zoned.cast(pa.timestamp("us", tz="Asia/Shanghai"))
    assert text_array(local).to_pylist() == ["2024-01-03", "2024-01-02 13:04:05"]   # the zone's wall clock
    series = pd.Series(pd.to_datetime(["2024-01-02 13:04:05.9", "2024-01-03", None], format="mixed"))
    assert date_text(series).fillna("").tolist() == want[:3]
