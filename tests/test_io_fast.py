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

from crmcli import _bytes
from crmcli import io as crmio
from crmcli._bytes import first_bytes as _first_bytes
from crmcli.io import FORMULA_START as _FORMULA_START
from crmcli.io import PLAIN_NUMBER as _PLAIN_NUMBER
from crmcli.io import csv as io_csv
from crmcli.io import csv_fast, totals
from crmcli.io import read as io_read
from crmcli.io import escape_formulas

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


# --------------------------------------------------------------------------- reading: fast = careful

HEADER = "订单号,客户ID,客户名称,联系电话,下单日期,金额,渠道\n"


def _rows(n: int, start: int = 0) -> str:
    return "".join(f'SO{i:06d},C{i % 997},张{i % 50},138{i:08d},2023-01-{i % 28 + 1:02d},"1,{i % 900:03d}.00",京东\n'
                   for i in range(start, start + n))


def _big(*middle: str, rows: int = 1500, header: str = HEADER, tail: str = "") -> bytes:
    """A CSV above the 64 KiB the careful path takes alone, with ``middle`` lines inside it."""
    return (header + _rows(rows) + "".join(middle) + _rows(rows, rows) + tail).encode("utf-8")


def _read(data: bytes, monkeypatch, careful: bool, **kw):
    """(frame, source_info, whether pyarrow's fast path took it), or the CrmError raised."""
    taken = []
    real = io_csv.parse_csv_fast

    def spy(*a, **k):
        out = None if careful else real(*a, **k)
        taken.append(out is not None)
        return out

    with monkeypatch.context() as m:
        m.setattr(io_csv, "parse_csv_fast", spy)
        try:
            df = crmio.read_table(data, **kw)
        except crmio.CrmError as exc:
            return exc, None, any(taken)
    return df, crmio.source_info(df), any(taken)


def _same_both_ways(data: bytes, monkeypatch, **kw) -> bool:
    """Read ``data`` on the fast path and on the careful one; assert the same result. Returns
    whether the fast path took it."""
    fast, fast_info, taken = _read(data, monkeypatch, careful=False, **kw)
    slow, slow_info, _ = _read(data, monkeypatch, careful=True, **kw)
    if isinstance(slow, Exception):
        assert type(fast) is type(slow) and str(fast) == str(slow)
        return taken
    assert not isinstance(fast, Exception), fast
    pd.testing.assert_frame_equal(fast, slow)
    assert fast_info == slow_info
    return taken


@pytest.mark.parametrize("line,fast", [
    ('SO1,C1,"say ""hi""",1,2023-01-01,"1,2",x\n', True),            # doubled quotes
    ('SO1,C1,"""quoted""",1,2023-01-01,"",x\n', True),               # "" at both ends, empty quoted field
    ('SO1,C1,5",ab"c,2023-01-01,1,x\n', True),                        # quotes inside unquoted fields
    ('SO1,C1, "sp",1,2023-01-01,1,x\n', True),                        # space then quote: literal
    ('SO1,C1,"a,""b",1,2023-01-01,1,x\n', None),                      # delimiter before "" (may fall back)
    ('SO1,C1,"x,",1,2023-01-01,1,x\n', None),                         # value ending with the delimiter
    ('SO1,C1,"abc"def,1,2023-01-01,1,x\n', False),                    # text after the closing quote
    ('SO1,C1,"abc"""def,1,2023-01-01,1,x\n', False),                  # ... after a doubled quote
    ('SO1,C1,""x,1,2023-01-01,1,x\n', False),                         # ... after an empty quoted field
    ('SO1,C1,"abc" ,1,2023-01-01,1,x\n', False),                      # a space after the closing quote
    ('SO1,C1,"two\nlines",1,2023-01-01,1,x\n', False),                # a quoted value spanning lines
    ('SO1,C1,"open,1,2023-01-01,1,x\nSO2,C2,n,1,2023-01-02,1,"x\n', False),
    ('SO1,C1,"a""\n', False),                                         # ends on an escaped quote: still open
    ('  ,  , \t,,,,\n', True),                                        # whitespace-only row: dropped
    ('\n\n', True),                                                   # empty lines: row numbers go on
    (',,\u3000,,,,\n', True),                                         # ideographic space only
    (',,,,,,\n', True),
    ('合计,,,,,"99,999.00",\n', True),                                # a sparse totals row mid-table
    ('Total,C1,full,1,2023-01-01,1,x\n', True),                       # a full row called Total: not one
    ('SO1,C1,n\n', False),                                            # ragged row
])
def test_fast_and_careful_paths_agree(monkeypatch, line, fast):
    taken = _same_both_ways(_big(line), monkeypatch)
    if fast is not None:
        assert taken == fast


@pytest.mark.parametrize("data", [
    _big(tail='SO9,C9,"never closed,1,2023-01-01,1,x\n'),               # open quote at EOF
    _big(tail='SO9,C9,"never closed'),                                 # ... without a newline
    _big(tail='SO9,C9,n,1,2023-01-01,1,"x"'),                          # closed at EOF: fine
    _big(tail='合计,,,,,"9.00",\n'),                                    # totals row at the bottom
    _big(header='"订单号",客户ID,客户名称,联系电话,下单日期,金额,渠道\n'),   # quoted first field of the file
    _big(header='"订单号"x,客户ID,客户名称,联系电话,下单日期,金额,渠道\n'),  # ... with text after it
    _big(header='Orders export "2023"\n\n' + HEADER),                  # title rows above the header
    _big(header='"Orders, 2023"x\n' + HEADER),
    _big().replace(b"\n", b"\r\n"),                                    # CRLF
    _big().replace(b",", b";"),                                        # another delimiter, quoted ; inside
    _big().replace(b"\n", b"\r"),                                      # bare CR line ends
])
def test_fast_and_careful_paths_agree_on_files(monkeypatch, data):
    _same_both_ways(data, monkeypatch)


def test_quoted_fields_take_the_fast_path(monkeypatch):
    assert _same_both_ways(_big(), monkeypatch)
    assert _same_both_ways(_big().replace(b"\n", b"\r\n"), monkeypatch)
    assert _same_both_ways(_big().replace(b",", b"\t"), monkeypatch)


def test_bad_quote_patterns_cases():
    ok = csv_fast.quoting_ok
    assert ok(b'a,"b",c\n"d","e""f",""\n', ",")
    assert ok(b'a,5",c\n', ",")
    assert ok(b'"a"', ",") and ok(b'x,"a"\r\ny,z\r\n', ",")
    assert not ok(b'"a"b,c\n', ",")          # at the very start of the data
    assert not ok(b'"a', ",") and not ok(b'x,"a', ",")
    assert not ok(b'x,"a\nb"\n', ",")
    assert not ok(b'x;"a"b\n', ";") and ok(b'x;"a;b"\n', ";")
    assert not ok(b'x,"a"\n', "，")          # a delimiter of more than one byte: careful path


def test_maybe_blank_covers_every_whitespace_character():
    for cp in range(0x110000):
        ch = chr(cp)
        if ch.isspace():
            assert _bytes.MAYBE_BLANK[ch.encode("utf-8")[0]], hex(cp)


def test_label_prefixes_cover_every_spelling():
    # a character lowercasing to one a label starts with is that one or its ASCII capital
    starts = {c for label in crmio.TOTAL_LABELS for c in label[:2]}
    for cp in range(0x110000):
        ch = chr(cp)
        low = ch.lower()
        if low[:1] in starts:
            assert ch == low[0] or (ch.isascii() and ch.lower() == low[0]), hex(cp)
    table = totals.LABEL_PREFIX.reshape(256, 256)
    for label in crmio.TOTAL_LABELS:
        for variant in (label, label.upper(), label.title(), label.capitalize()):
            if variant.strip().lower() in crmio.TOTAL_LABELS:
                b = variant.encode("utf-8")
                assert table[b[0], b[1]], variant


# --------------------------------------------------------------------------- reading: big UTF-8 files


def _huge(head: str = HEADER, tail: bytes = b"", rows: int = 70_000) -> bytes:
    data = (head + _rows(rows)).encode("utf-8") + tail
    assert len(data) > crmio.QUICK_HEAD_BYTES
    return data


def test_big_utf8_read_without_full_decode_matches_full_path(monkeypatch):
    data = _huge(tail='合计,,,,,"9.00",\n'.encode())
    quick = crmio.read_table(data)
    with monkeypatch.context() as m:
        m.setattr(io_read, "read_big_utf8_csv", lambda *a, **k: None)
        full = crmio.read_table(data)
    pd.testing.assert_frame_equal(quick, full)
    assert crmio.source_info(quick) == crmio.source_info(full)
    assert crmio.source_info(quick).encoding == "utf-8"
    assert [p["code"] for p in crmio.source_info(quick).problems] == ["totals-row"]


def test_big_utf8_encoding_labels(monkeypatch):
    data = _huge()
    calls = []
    real = io_read.read_big_utf8_csv
    monkeypatch.setattr(io_read, "read_big_utf8_csv", lambda *a, **k: calls.append(1) or real(*a, **k))
    bom = crmio.read_table(b"\xef\xbb\xbf" + data)
    assert crmio.source_info(bom).encoding == "utf-8-sig" and bom.columns[0] == "订单号"
    assert crmio.source_info(crmio.read_table(data, encoding="UTF8")).encoding == "UTF8"
    assert crmio.source_info(crmio.read_table(data, encoding="utf-8")).encoding == "utf-8"
    assert len(calls) == 3


def test_big_file_ascii_head_gb18030_later():
    tail = "SO999999,C1,王小明,13800000000,2023-01-01,5.00,天猫\n".encode("gb18030")
    data = _huge(head="id,customer,name,phone,date,amount,channel\n", tail=tail)
    data = data.replace("张".encode("utf-8"), b"Z").replace("京东".encode("utf-8"), b"JD")
    assert data[: 2 << 20].isascii()
    df = crmio.read_table(data)
    assert crmio.source_info(df).encoding == "gb18030"
    assert df["name"].iloc[-1] == "王小明" and df["channel"].iloc[-1] == "天猫"


def test_big_utf8_with_a_bad_byte_late_is_refused_as_before(monkeypatch):
    data = _huge(tail=b"SO1,C1,\xff\xfe,1,2023-01-01,1,x\n")
    with pytest.raises(crmio.InputError) as quick:
        crmio.read_table(data)
    assert "UTF-8 with an invalid byte 0xFF on line" in str(quick.value)
    monkeypatch.setattr(io_read, "read_big_utf8_csv", lambda *a, **k: None)
    with pytest.raises(crmio.InputError) as full:
        crmio.read_table(data)
    assert str(quick.value) == str(full.value)


def test_big_file_named_another_encoding_takes_the_full_path():
    data = _huge().decode("utf-8").encode("gb18030")
    df = crmio.read_table(data, encoding="gb18030")
    assert crmio.source_info(df).encoding == "gb18030" and df["客户名称"].iloc[0] == "张0"


def _totals_reference(df: pd.DataFrame) -> list[int]:
    """The totals-row rule in plain Python, cell by cell."""
    def filled(row):
        return sum(1 for v in row if isinstance(v, str) and v.strip())

    sample = sorted(filled(r) for r in df.head(200).itertuples(index=False, name=None))
    typical = sample[len(sample) // 2]
    last = set(df.index[-5:])
    out = []
    for rownum, row in zip(df.index, df.itertuples(index=False, name=None)):
        if any(len(v) <= 12 and v.strip().lower() in crmio.TOTAL_LABELS for v in row[:3]):
            if rownum in last or filled(row) < typical:
                out.append(int(rownum))
    return out


def test_totals_rows_in_large_frames_match_the_plain_rule():
    n = 12_000
    rng = np.random.default_rng(7)
    cols = {"a": [f"SO{i}" for i in range(n)], "b": ["吴" + str(i % 7) for i in range(n)],
            "c": ["x"] * n, "d": ["y"] * n}
    df = pd.DataFrame(cols, dtype="str")
    df.index = pd.Index(range(2, n + 2), name="row")
    labels = ["合计", " 合计 ", "\u3000总计：", "TOTAL", "Grand Total", "subTotal", "SUM", "汇总", "Totals:",
              "吴", "总合计", "sums", "合 计", "\ttotal", "小计"]
    for k, label in enumerate(labels):
        for _ in range(3):
            r, c = int(rng.integers(0, n)), int(rng.integers(0, 3))
            row = ["", "", "", ""] if k % 2 else ["", " ", "z", ""]
            row[c] = label
            df.iloc[r] = row
    df.iloc[-1] = ["Sum", "full", "row", "x"]
    problems = []
    totals.flag_totals(df, problems)
    got = [p["row"] for p in problems]
    assert got == _totals_reference(df) and len(got) > 10


@pytest.mark.parametrize("tz", [None, "Asia/Shanghai"])
def test_date_text_matches_strftime_at_midnight_and_with_a_time(tz):
    from crmcli.io.write import date_text

    s = pd.Series(pd.to_datetime(["2024-01-02", "2024-01-02 13:04:05.9", None, "1900-03-01 23:59:59.999",
                                  "0999-01-01", "2024-02-29 00:00:01"], format="mixed"))
    if tz:
        s = s.dt.tz_localize(tz)
    want = s.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(" 00:00:00", "", regex=False)
    assert date_text(s).fillna("").tolist() == want.fillna("").tolist()
    assert date_text(s).iloc[0] == "2024-01-02" and pd.isna(date_text(s).iloc[2])
