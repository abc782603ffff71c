"""Property tests of the reader and writer (hypothesis).

- Arbitrary bytes or text never raise anything but CrmError, whatever the extension.
- write -> read keeps every value. The round trip is defined up to formula escaping: text that
  would start a formula is written with a leading ``'`` (OWASP), and the reader does not take it
  off again (it cannot tell an escape from a real apostrophe), so
  ``read_table(write_table(df)) == df.map(escape)`` in CSV. In xlsx, formula-like text is written
  as a text cell with no ``'``, so the round trip is exact.
"""

from __future__ import annotations

import string

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from crmcli.errors import CrmError
from crmcli.io import escape_formulas, read_table, write_table

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Bytes that look like the start of real inputs, so the fuzzing reaches past the format sniffing.
PREFIXES = st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"PK\x03\x04", b"id,name\n", b"a;b\n", b"[", b"{",
                            b"<html>", b'"', b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"])


@SETTINGS
@given(prefix=PREFIXES, body=st.binary(max_size=400), ext=st.sampled_from([".csv", ".xlsx", ".json", ".tsv", ".xls"]))
def test_arbitrary_bytes_only_raise_crm_error(tmp_path, prefix, body, ext):
    path = tmp_path / ("in" + ext)
    path.write_bytes(prefix + body)
    try:
        df = read_table(path)
    except CrmError as exc:
        assert "\n" not in str(exc)
        return
    assert all(df[c].dtype == "str" for c in df.columns)


CSV_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs",))


@SETTINGS
@given(text=st.text(CSV_ALPHABET, max_size=300))
def test_arbitrary_text_only_raises_crm_error(text):
    try:
        df = read_table(text.encode("utf-8"))
    except CrmError:
        return
    assert df.index.is_unique


# --------------------------------------------------------------------------- round trip

HEADER = st.text(string.ascii_letters + "_", min_size=1, max_size=8)
VALUE = st.one_of(
    st.text(CSV_ALPHABET, max_size=20),
    st.sampled_from(["NA", "Null", "None", "nan", "#N/A", "-12.5", "+8613812345678", "=1+2", "@SUM(A1)", "-2+3",
                     "'=x", "\t lead", "\r", "a\nb", 'q"uote', "9007199254740993", "0012", "1e5", "2e06918610327a"]),
)


@st.composite
def frames(draw):
    names = draw(st.lists(HEADER, min_size=1, max_size=5, unique_by=str.lower))
    nrows = draw(st.integers(1, 6))
    data = {n: draw(st.lists(VALUE, min_size=nrows, max_size=nrows)) for n in names}
    df = pd.DataFrame(data, dtype="str")
    # rows whose cells are all blank are not data (the reader skips them): keep one filled cell
    keep = df.apply(lambda r: any(v.strip() for v in r), axis=1)
    assume(keep.any())
    return df[keep].reset_index(drop=True)


def _compare(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for c in want.columns:
        assert got[c].tolist() == want[c].tolist(), c


@SETTINGS
@given(df=frames())
@pytest.mark.slow
def test_csv_round_trip_keeps_every_value(tmp_path, df):
    path = tmp_path / "out.csv"
    write_table(df, path)
    got = read_table(path, header_row=1, delimiter=",", encoding="utf-8")
    _compare(got, df.apply(escape_formulas))


@SETTINGS
@given(df=frames())
@pytest.mark.slow
def test_xlsx_round_trip_keeps_every_value(tmp_path, df):
    path = tmp_path / "out.xlsx"
    write_table(df, path)
    got = read_table(path, header_row=1)
    # a value that is only spaces reads back as written; trailing empty columns stay columns
    _compare(got, df)


@SETTINGS
@given(df=frames())
@pytest.mark.slow
def test_csv_round_trip_detects_its_own_output(tmp_path, df):
    """Without any option, the reader finds the header and the delimiter of what the writer wrote,
    at least when the header names are words and a value holds no other delimiter."""
    assume(not any(d in v for c in df.columns for v in df[c] for d in ";\t|，\n\r"))
    path = tmp_path / "out.csv"
    write_table(df, path)
    got = read_table(path)
    _compare(got, df.apply(escape_formulas))


@pytest.mark.parametrize("value", ["=1+2", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_text_is_escaped_once_and_read_back_escaped(tmp_path, value):
    df = pd.DataFrame({"note": [value]}, dtype="str")
    write_table(df, tmp_path / "o.csv")
    got = read_table(tmp_path / "o.csv", header_row=1, delimiter=",")
    assert got["note"].tolist() == ["'" + value]
    # writing the read-back value again does not add a second quote
    write_table(got, tmp_path / "o2.csv")
    assert read_table(tmp_path / "o2.csv", header_row=1, delimiter=",")["note"].tolist() == ["'" + value]
