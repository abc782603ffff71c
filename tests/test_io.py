import datetime as dt
import io
import json
import os
import zipfile

import openpyxl
import pandas as pd
import pytest

from crmcli.errors import InputError, OutputError, UsageError
from crmcli.io import (decode_text, detect_header, escape_formulas, is_formula_like, read_table, sniff_delimiter,
                       source_info, write_table, write_workbook)


def test_read_csv_text_everything_and_excel_row_numbers(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("id,phone,amount\n007,13812345678,1.50\n008,,2\n", encoding="utf-8")
    df = read_table(p)
    assert list(df.columns) == ["id", "phone", "amount"]
    assert df["id"].tolist() == ["007", "008"]
    assert df["phone"].tolist() == ["13812345678", ""]
    assert df.index.tolist() == [2, 3]
    assert all(pd.api.types.is_string_dtype(df[c]) for c in df.columns)
    info = source_info(df)
    assert (info.format, info.encoding, info.delimiter, info.header_row, info.rows) == ("csv", "utf-8", ",", 1, 2)


@pytest.mark.parametrize("encoding,label", [
    ("gb18030", "gb18030"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("utf-8", "utf-8"),
])
def test_encodings(tmp_path, encoding, label):
    p = tmp_path / "e.csv"
    p.write_bytes("客户名称,联系电话\n刘䶮,13812345678\n张伟,€5\n".encode(encoding))
    df = read_table(p)
    assert df["客户名称"].tolist() == ["刘䶮", "张伟"]
    assert df["联系电话"].tolist() == ["13812345678", "€5"]
    assert source_info(df).encoding == label


def test_utf16_without_bom(tmp_path):
    p = tmp_path / "u.csv"
    p.write_bytes("name,city\nAnna,Paris\n".encode("utf-16-le"))
    assert read_table(p)["city"].tolist() == ["Paris"]


def test_cp1252_falls_back_to_detection(tmp_path):
    p = tmp_path / "c.csv"
    p.write_bytes("name,city\nJos\xe9 M\xfcller,K\xf6ln\nRen\xe9e,Z\xfcrich\n".encode("latin-1"))
    df = read_table(p)
    assert df["city"].tolist() == ["Köln", "Zürich"]


def test_encoding_override_and_bad_override(tmp_path):
    p = tmp_path / "g.csv"
    p.write_bytes("名,值\n张,1\n".encode("gb18030"))
    assert read_table(p, encoding="gb18030")["名"].tolist() == ["张"]
    with pytest.raises(InputError):
        read_table(p, encoding="utf-8")
    with pytest.raises(UsageError):
        read_table(p, encoding="no-such-codec")


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiter_sniffed(tmp_path, sep):
    p = tmp_path / "d.csv"
    p.write_text(sep.join(["a", "b", "c"]) + "\n" + sep.join(["1", "2,5" if sep != "," else "2", "3"]) + "\n")
    df = read_table(p)
    assert list(df.columns) == ["a", "b", "c"]
    assert source_info(df).delimiter == sep


def test_excel_sep_line(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("sep=;\na;b\n1;2\n")
    df = read_table(p)
    assert list(df.columns) == ["a", "b"] and df.index.tolist() == [3]


def test_title_rows_skipped_and_row_numbers(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("2023-2024年销售订单导出\n\n订单号,金额,渠道\nA1,5,天猫\n\nA2,6,京东\n", encoding="utf-8")
    df = read_table(p)
    assert source_info(df).header_row == 3
    assert df.index.tolist() == [4, 6]  # the blank row 5 is skipped, numbering kept
    assert read_table(p, header_row=3).index.tolist() == [4, 6]


def test_detect_header_prefers_wide_text_row():
    rows = [["Report"], ["generated 2024-01-01", ""], ["", "", ""], ["a", "b", "c"], ["1", "2", "3"]]
    assert detect_header(rows) == 3
    assert detect_header([["1", "2"], ["3", "4"]]) == 0


def test_ragged_rows_keep_every_value(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("a,b\n1,2,3\n4\n5,6\n")
    df = read_table(p)
    assert list(df.columns) == ["a", "b", "column_3"]
    assert df.loc[2].tolist() == ["1", "2", "3"]
    assert df.loc[3].tolist() == ["4", "", ""]
    problems = source_info(df).problems
    assert [(x["row"], x["code"]) for x in problems] == [(2, "ragged-row"), (3, "ragged-row")]


def test_duplicate_and_blank_headers_renamed(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("id,,id,id\n1,2,3,4\n")
    df = read_table(p)
    assert list(df.columns) == ["id", "column_2", "id_2", "id_3"]
    assert sum(x["code"] == "renamed-header" for x in source_info(df).problems) == 3


def test_quoted_newlines_and_quotes(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text('a,b\n"line1\nline2","say ""hi"""\nx,y\n')
    df = read_table(p)
    assert df["a"].tolist() == ["line1\nline2", "x"]
    assert df["b"].tolist() == ['say "hi"', "y"]
    assert df.index.tolist() == [2, 3]


def test_large_csv_fast_path_matches_careful_path(tmp_path):
    rows = [f"{i:05d},1{i:010d},{i * 1.5},名字{i}" for i in range(5000)]
    text = "id,phone,amount,name\n" + "\n".join(rows) + "\n"
    big = tmp_path / "big.csv"
    big.write_text(text, encoding="utf-8")
    df = read_table(big)
    assert len(df) == 5000 and df.index[0] == 2 and df.index[-1] == 5001
    assert df.loc[2, "id"] == "00000" and df.loc[5001, "phone"] == "10000004999"
    assert all(pd.api.types.is_string_dtype(df[c]) for c in df.columns)
    small = read_table(text.encode("utf-8")[:2000])
    assert small["id"].iloc[0] == "00000"


@pytest.mark.parametrize("odd", [
    '"multi\nline",x',          # a quoted value spanning lines
    '"abc"def,x',                # text after a closing quote
    '"a,b",x',                   # plain quoting only
    'ab"c,x',                    # a quote inside an unquoted value
], ids=["newline", "stray", "plain", "inner"])
@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("crlf", [False, True])
def test_large_csv_fast_path_quotes_match_careful_path(tmp_path, odd, bom, crlf):
    import crmcli.io as cio

    rows = [f'{i},"¥{i},000.50"' if i % 7 == 0 else f"{i},名字{i}" for i in range(6000)]
    rows[3000] = odd
    nl = "\r\n" if crlf else "\n"
    text = "a,b" + nl + nl.join(rows) + nl
    big = tmp_path / "big.csv"
    big.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    fast = read_table(big)
    probs = []
    header, records, rownums = cio.csv.read_records(text, ",", 0, strict=False)
    careful = cio.frame.build_frame(cio.frame.unique_headers(header, 1, probs), records, rownums, 1, probs)
    assert fast["a"].tolist() == careful["a"].tolist()
    assert fast["b"].tolist() == careful["b"].tolist()
    assert fast.index.tolist() == careful.index.tolist()
    assert fast.loc[2 + 7, "b"] == "¥7,000.50"


def _orders_workbook(path, hidden_first=False):
    wb = openpyxl.Workbook()
    ws = wb.active
    if hidden_first:
        ws.title = "secret"
        ws.append(["x", "y"])
        ws.sheet_state = "hidden"
        ws = wb.create_sheet("订单")
    else:
        ws.title = "订单"
    ws["A1"] = "2023-2024年销售订单导出"
    ws.merge_cells("A1:E1")
    ws.append([])
    ws.append(["订单号", "联系电话", "下单日期", "金额", "客户ID"])
    ws.append(["SO1", 13812345678, dt.datetime(2024, 3, 5), 1234.5, 10023])
    ws.append(["SO2", "021-62345678", dt.datetime(2024, 3, 6, 14, 23, 5), 12, "00077"])
    notes = wb.create_sheet("说明")
    notes.append(["说明"])
    wb.save(path)


def test_xlsx_title_row_numbers_dates_ids(tmp_path):
    p = tmp_path / "o.xlsx"
    _orders_workbook(p)
    df = read_table(p)
    info = source_info(df)
    assert (info.format, info.sheet, info.header_row) == ("xlsx", "订单", 3)
    assert [s["name"] for s in info.sheets] == ["订单", "说明"]
    assert df.index.tolist() == [4, 5]
    assert df["联系电话"].tolist() == ["13812345678", "021-62345678"]
    assert df["下单日期"].tolist() == ["2024-03-05", "2024-03-06 14:23:05"]
    assert df["金额"].tolist() == ["1234.5", "12"]
    assert df["客户ID"].tolist() == ["10023", "00077"]


def test_xlsx_hidden_sheet_skipped_and_sheet_choice(tmp_path):
    p = tmp_path / "h.xlsx"
    _orders_workbook(p, hidden_first=True)
    assert source_info(read_table(p)).sheet == "订单"
    assert source_info(read_table(p, sheet="secret")).sheet == "secret"
    assert source_info(read_table(p, sheet="3")).sheet == "说明"
    with pytest.raises(InputError):
        read_table(p, sheet="nope")
    with pytest.raises(InputError):
        read_table(p, sheet=9)


def test_content_beats_extension(tmp_path):
    x = tmp_path / "real.xlsx"
    _orders_workbook(x)
    disguised = tmp_path / "real.csv"
    disguised.write_bytes(x.read_bytes())
    assert source_info(read_table(disguised)).format == "xlsx"
    c = tmp_path / "text.xlsx"
    c.write_text("a,b\n1,2\n")
    assert read_table(c)["b"].tolist() == ["2"]


def test_bytes_and_filelike_sources(tmp_path):
    x = tmp_path / "w.xlsx"
    _orders_workbook(x)
    assert len(read_table(x.read_bytes())) == 2
    assert len(read_table(io.BytesIO(b"a,b\n1,2\n"))) == 1


@pytest.mark.parametrize("payload", [
    b"", b"\n\n\n", b"\x89PNG\r\n\x1a\n....", b"\x1f\x8b\x08\x00junk", b"<html><body>hi</body></html>",
    b"PK\x03\x04truncated", b"%PDF-1.4",
])
def test_unreadable_inputs_raise_input_error(tmp_path, payload):
    p = tmp_path / "bad.csv"
    p.write_bytes(payload)
    with pytest.raises(InputError):
        read_table(p)


def test_zip_without_workbook_and_missing_paths(tmp_path):
    z = tmp_path / "z.xlsx"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(InputError, match="not an Excel workbook"):
        read_table(z)
    with pytest.raises(InputError, match="no such file"):
        read_table(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="directory"):
        read_table(tmp_path)


@pytest.mark.slow
def test_zip_bomb_refused(tmp_path):
    z = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 << 20))
    assert z.stat().st_size < 2 << 20
    with pytest.raises(InputError, match="inflates"):
        read_table(z)


def test_json_input(tmp_path):
    p = tmp_path / "r.json"
    p.write_text(json.dumps([{"a": 1, "b": "x"}, {"a": 2.5, "c": None}]))
    df = read_table(p)
    assert df["a"].tolist() == ["1", "2.5"] and df["c"].tolist() == ["", ""]


# ----------------------------------------------------------------- writing


@pytest.mark.parametrize("value,escaped", [
    ("=HYPERLINK(\"x\")", True), ("+cmd|' /C calc'!A0", True), ("-2+3", True), ("@SUM(A1)", True),
    ("\tx", True), ("-12.5", False), ("+8613812345678", False), ("12", False), ("abc", False), ("", False),
])
def test_formula_detection(value, escaped):
    assert is_formula_like(value) == escaped
    out = escape_formulas(pd.Series([value], dtype="str")).iloc[0]
    assert out == ("'" + value if escaped else value)


def test_write_csv_roundtrip_and_escape(tmp_path):
    df = pd.DataFrame({"name": ["张伟", "=1+1", "a,b"], "amount": [1.5, -12.5, 3.0], "phone": ["+8613812345678"] * 3})
    out = tmp_path / "o.csv"
    write_table(df, out)
    back = read_table(out)
    assert back["name"].tolist() == ["张伟", "'=1+1", "a,b"]
    assert back["amount"].tolist() == ["1.5", "-12.5", "3"]
    assert back["phone"].tolist() == ["+8613812345678"] * 3
    write_table(df, tmp_path / "bom.csv", bom=True)
    assert (tmp_path / "bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("ext", ["csv", "tsv", "xlsx", "json", "jsonl"])
def test_read_write_read_keeps_values_and_order(tmp_path, ext):
    src = tmp_path / "in.csv"
    src.write_text("导出标题\n\nid,name,phone\n007,张伟,13812345678\n008,=cmd,\n009,x,-12.5\n", encoding="utf-8")
    df = read_table(src)
    assert df.index.tolist() == [4, 5, 6]
    out = tmp_path / f"out.{ext}"
    write_table(df, out)
    back = read_table(out)
    assert back["id"].tolist() == ["007", "008", "009"]
    assert back["phone"].tolist() == ["13812345678", "", "-12.5"]
    assert back["name"].tolist()[0] == "张伟" and back["name"].tolist()[1] in ("=cmd", "'=cmd")


def test_write_xlsx_text_not_formula(tmp_path):
    df = pd.DataFrame({"name": ["=1+1", "x"], "n": [1, 2], "when": pd.to_datetime(["2024-03-05", "2024-03-06"])})
    out = tmp_path / "o.xlsx"
    write_table(df, out)
    ws = openpyxl.load_workbook(out).active
    assert ws["A2"].value == "=1+1" and ws["A2"].data_type == "s"
    assert ws["B2"].value == 1 and ws["C2"].is_date
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    assert ws["A1"].font.bold


def test_write_json_jsonl_tsv(tmp_path):
    df = pd.DataFrame({"a": ["x", "y"], "b": [1, None]})
    write_table(df, tmp_path / "o.json")
    assert json.loads((tmp_path / "o.json").read_text()) == [{"a": "x", "b": 1.0}, {"a": "y", "b": None}]
    write_table(df, tmp_path / "o.jsonl")
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 2
    write_table(df, tmp_path / "o.tsv")
    assert (tmp_path / "o.tsv").read_text().splitlines()[0] == "a\tb"


def test_write_refuses_input_and_bad_dirs(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("a\n1\n")
    before = src.read_bytes()
    df = read_table(src)
    with pytest.raises(OutputError):
        write_table(df, src, inputs=[src])
    assert src.read_bytes() == before
    with pytest.raises(OutputError):
        write_table(df, src / "x.csv")  # below a file
    write_table(df, tmp_path / "new" / "x.csv")  # a missing folder is created
    assert (tmp_path / "new" / "x.csv").is_file()
    with pytest.raises(UsageError):
        write_table(df, tmp_path / "x.ods")  # read, never written


def test_failed_write_keeps_previous_file(tmp_path):
    out = tmp_path / "report.xlsx"
    out.write_bytes(b"previous")

    class Boom:
        columns = ["a"]

        def __getitem__(self, k):
            raise RuntimeError("boom")

    with pytest.raises(Exception):
        write_workbook({"s": Boom()}, out)
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


def test_decode_text_gb18030_not_gbk():
    text, enc = decode_text("刘䶮".encode("gb18030"))
    assert text == "刘䶮" and enc == "gb18030"


def test_sniff_delimiter_ignores_title():
    assert sniff_delimiter("Report, 2024\na;b;c\n1;2;3\n4;5;6\n") == ";"


def test_totals_row_flagged_kept_and_droppable(tmp_path):
    from crmcli.io import drop_totals, totals_rows

    p = tmp_path / "t.csv"
    p.write_text("订单号,金额\nA1,100\nA2,50\n合计,150\n", encoding="utf-8")
    df = read_table(p)
    assert df.loc[4].tolist() == ["合计", "150"]  # the reader keeps it
    assert totals_rows(df) == [4]
    rest, dropped = drop_totals(df)
    assert dropped == [4] and rest.index.tolist() == [2, 3]


def test_rows_above_header_reported(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("Sales 2024,,\n,,\nid,name,amount\n1,Ann,5\n", encoding="utf-8")
    probs = source_info(read_table(p)).problems
    assert [(x["row"], x["code"]) for x in probs] == [(1, "skipped-row")]


def test_broken_utf8_refused_with_line(tmp_path):
    p = tmp_path / "b.csv"
    p.write_bytes("名字,备注\n张三,好\n".encode() * 5 + b"\xff,x\n")
    with pytest.raises(InputError, match="line 11"):
        read_table(p)


def test_xlsx_refuses_cell_longer_than_excel_allows(tmp_path):
    df = pd.DataFrame({"blob": ["x" * 40_000]}, dtype="str")
    with pytest.raises(OutputError, match="32,767"):
        write_table(df, tmp_path / "o.xlsx")
    assert not (tmp_path / "o.xlsx").exists()


def test_xlsx_refuses_more_rows_than_a_sheet_holds(tmp_path, monkeypatch):
    import crmcli.io as crmio

    monkeypatch.setattr(crmio.xlsx, "EXCEL_MAX_ROWS", 3)
    df = pd.DataFrame({"a": ["1", "2", "3"]}, dtype="str")
    with pytest.raises(OutputError, match="rows"):
        write_table(df, tmp_path / "o.xlsx")
    write_table(df.head(2), tmp_path / "o.xlsx")
    assert read_table(tmp_path / "o.xlsx")["a"].tolist() == ["1", "2"]


def test_unreadable_file_message(tmp_path, monkeypatch):
    import crmcli.io as crmio

    p = tmp_path / "locked.csv"
    p.write_text("a\n1\n")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(crmio.source, "open", denied, raising=False)
    with pytest.raises(InputError, match="permission denied"):
        read_table(p)


def test_totals_rows_flagged_in_large_frames():
    from crmcli.io.totals import flag_totals as _flag_totals

    n = 20_000
    df = pd.DataFrame({"a": [f"SO{i}" for i in range(n)], "b": ["x"] * n, "c": ["y"] * n}, dtype="str")
    df.index = pd.RangeIndex(2, n + 2)
    df.iloc[-1] = [" TOTAL: ", "", "9"]
    df.iloc[5] = ["", "", "合计："]
    df.iloc[9] = ["Sum", "full", "row"]      # a full row mid-table labelled Sum: not a totals row
    problems = []
    _flag_totals(df, problems)
    assert [p["row"] for p in problems] == [7, n + 1]
