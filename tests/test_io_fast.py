"""The fast paths of the reader and writer give what the careful paths give.

- ``escape_formulas`` reads first bytes straight from the arrow buffers: same result as the
  whole-column regex it replaced, whatever the array layout (chunks, slices, string/large_string).
- ``read_table`` takes pyarrow's parser for big, well-quoted files and Python's csv module for
  small ones (< 64 KiB) or odd quoting: the same file read both ways gives the same frame and
  the same problems.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from crmcli import io as crmio
from crmcli.io import _PLAIN_NUMBER, _FORMULA_START, _first_bytes, escape_formulas

TRICKY = ["", "=1+1", "+", "-", "+3", "-12.5", "-.5", "+1e5", "-1E-3", "- 3", "-12\n", "+８", "-1,197.00",
          "\tx", "\rx", "@SUM(A1)", "abc", "张伟", "+8613812345678", "-336", "12", "-+3", "--3", "+.", "-1.",
          "=", "@", " =x", "'=x"]


def _reference(values: list[str]) -> list[str]:
    """The whole-column RE2 version escape_formulas used before (RE2: ``$`` is the end of text)."""
    arr = pa.array(values, type=pa.large_string())
    starts = pc.match_substring_regex(arr, _FORMULA_START.pattern).to_pylist()
    plain = pc.match_substring_regex(arr, _PLAIN_NUMBER.pattern).to_pylist()
    return ["'" + v if s and not p else v for v, s, p in zip(values, starts, plain)]


def _series(arr: pa.ChunkedArray) -> pd.Series:
    return pd.Series(pd.array(arr, dtype="str"))


@pytest.mark.parametrize("dense", [False, True])
def test_escape_formulas_matches_regex_reference(dense):
    rng = np.random.default_rng(1)
    pool = TRICKY + (["+8613800000000"] * 60 if dense else ["x"] * 60)
    values = [pool[i] for i in rng.integers(0, len(pool), 3000)]
    got = escape_formulas(pd.Series(values, dtype="str")).tolist()
    assert got == _reference(values)


@pytest.mark.parametrize("typ", [pa.string(), pa.large_string()])
def test_escape_formulas_on_sliced_and_chunked_arrays(typ):
    values = TRICKY * 40
    base = pa.array(["pad"] * 7 + values + ["", ""], type=typ)
    sliced = base.slice(7, len(values))                      # array offset != 0
    chunked = pa.chunked_array([sliced.slice(0, 100), pa.array([], type=typ), sliced.slice(100)])
    for arr in (pa.chunked_array([sliced]), chunked):
        got = escape_formulas(_series(arr)).tolist()
        assert got == _reference(values)


def test_first_bytes_layouts():
    arr = pa.array(["ab", "", "c", None, "", ""], type=pa.string())
    assert _first_bytes(arr).tolist() == [ord("a"), 0, ord("c"), 0, 0, 0]
    assert _first_bytes(pa.chunked_array([arr.slice(2), arr.slice(0, 1)])).tolist() == [ord("c"), 0, 0, 0, ord("a")]
    assert _first_bytes(pa.array(["", ""], type=pa.large_string())).tolist() == [0, 0]
    assert _first_bytes(pa.chunked_array([], type=pa.string())).tolist() == []
    assert _first_bytes(pa.array([1, 2])) is None


def test_escape_formulas_all_plain_numbers_untouched():
    s = pd.Series(["-12.5", "+3", "+8613812345678"] * 1000, dtype="str")
    assert escape_formulas(s) is s
    s = pd.Series(["abc", "张伟"] * 1000, dtype="str")
    assert escape_formulas(s) is s
