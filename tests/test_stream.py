"""Streamed clean/validate (crmcli.stream) give what the whole-table commands give, batch size aside."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from benchmarks.gen_orders import make_orders, write_csv
from crmcli.cli import app
from crmcli.clean import clean_table, write_cleaned
from crmcli.io import write_table
from crmcli.stream import keys as stream_keys
from crmcli.stream import stream_table, streamable
from crmcli.validate import validate_table

HERE = Path(__file__).resolve().parent
PLATFORMS = HERE.parent / "examples" / "platforms"


def _issues(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return frame.sort_values(["row", "column", "code", "message"]).reset_index(drop=True)


def _same_as_whole(src: Path, tmp: Path, batch_rows: int) -> None:
    streamed = stream_table(src, output=str(tmp / "s.csv"), issues=str(tmp / "si.csv"), batch_rows=batch_rows,
                            defaults=False)
    whole = clean_table(src, defaults=False)
    write_cleaned(whole, tmp / "w.csv", issues_path=tmp / "wi.csv")
    assert (tmp / "s.csv").read_bytes() == (tmp / "w.csv").read_bytes()
    pd.testing.assert_frame_equal(_issues(tmp / "si.csv"), _issues(tmp / "wi.csv"))
    pd.testing.assert_frame_equal(streamed.summary.reset_index(drop=True), whole.summary.reset_index(drop=True),
                                  check_dtype=False)
    assert (streamed.errors, streamed.warnings) == (whole.errors, whole.warnings)
    assert streamed.batches > 1 or streamed.rows <= batch_rows


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    raw, truth = make_orders(6000, seed=11)
    folder = tmp_path_factory.mktemp("messy")
    write_csv(raw, folder / "gbk.csv", "gb18030")
    write_csv(raw, folder / "utf8.csv", "utf-8")
    return folder, truth


@pytest.mark.parametrize("name", ["gbk.csv", "utf8.csv"])
def test_messy_orders_stream_like_the_whole_table(messy, tmp_path, name):
    folder, truth = messy
    _same_as_whole(folder / name, tmp_path, batch_rows=700)
    # the orders exported twice are found across batches, naming their first copy
    issues = _issues(tmp_path / "si.csv")
    dups = issues[issues["code"] == "duplicate-row"]
    expected = {(pos + 2, f"same values as row {int(first) + 2}") for pos, first in enumerate(truth["dup_of"])
                if first >= 0}
    assert set(zip(dups["row"].astype(int), dups["message"])) == expected


@pytest.mark.parametrize("name", sorted(p.name for p in PLATFORMS.glob("*.csv")))
def test_platform_exports_stream_like_the_whole_table(name, tmp_path):
    _same_as_whole(PLATFORMS / name, tmp_path, batch_rows=7)


def test_hash_collisions_never_report_a_false_duplicate(messy, tmp_path):
    from crmcli.stream.keys import KeySettings

    folder, _ = messy
    # no bit of the hash kept: every row and every id gets the same hash, all are candidates, only real
    # duplicates survive
    streamed = stream_table(folder / "utf8.csv", issues=str(tmp_path / "si.csv"), batch_rows=1000,
                            keys=KeySettings(hash_bits=0))
    assert streamed.candidates >= 6000
    whole = validate_table(folder / "utf8.csv").issues
    got = _issues(tmp_path / "si.csv")
    for code in ("duplicate-row", "duplicate-id"):
        a = got[got["code"] == code][["row", "message"]].astype(str).reset_index(drop=True)
        b = whole[whole["code"] == code][["row", "message"]].astype(str).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b)


def test_key_index_finds_shared_hashes_only():
    idx = stream_keys.KeyIndex("k")
    idx.add(np.array([2, 3, 4]), np.array([5 << 32, 1 << 63, 7 << 32], dtype=np.uint64))
    idx.add(np.array([5, 6, 9]), np.array([7 << 32, 9 << 32, 5 << 32], dtype=np.uint64), np.array([1, 1, 0], bool))
    assert idx.candidates().tolist() == [4, 5]      # row 9 has no key: never a candidate
    assert idx.nbytes == 5 * 16                      # 16 bytes a keyed row (hash and row number)


def _dup_issues(path: Path) -> pd.DataFrame:
    got = pd.read_csv(path, dtype=str, keep_default_na=False)
    return got[got["code"].isin(["duplicate-row", "duplicate-id"])].reset_index(drop=True)


@pytest.fixture(scope="module")
def repeats(tmp_path_factory):
    """Orders with many repeated rows and ids: a third of the rows copied again further down, some
    copies with a changed amount (a repeated id, not a repeated row)."""
    raw, _ = make_orders(3000, seed=5)
    rng = np.random.default_rng(3)
    copies = raw.iloc[rng.choice(len(raw), 1000, replace=False)].copy()
    changed = rng.random(len(copies)) < 0.3
    copies.loc[changed, "金额"] = "12345.67"
    both = pd.concat([raw, copies, raw.iloc[:500]], ignore_index=True)
    folder = tmp_path_factory.mktemp("repeats")
    write_csv(both, folder / "r.csv", "utf-8")
    return folder / "r.csv"


@pytest.mark.parametrize("settings", [
    # collisions, everything spilled, several hash ranges
    {"hash_bits": 5, "part_bits": 2, "spill_bytes": 0, "part_rows": 64, "confirm_rows": 400},
    # a pass per part, parts sorted in sub-ranges
    {"hash_bits": 64, "part_bits": 3, "spill_bytes": 1000, "part_rows": 32, "confirm_rows": 1},
    # one part, two hash values
    {"hash_bits": 1, "part_bits": 0, "spill_bytes": 0, "part_rows": 100, "confirm_rows": 10},
])
def test_ranged_confirmation_gives_the_whole_tables_duplicates(repeats, tmp_path, settings):
    from crmcli.stream.keys import KeySettings

    streamed = stream_table(repeats, issues=str(tmp_path / "si.csv"), batch_rows=450, keys=KeySettings(**settings))
    got = _dup_issues(tmp_path / "si.csv")
    whole = validate_table(repeats).issues
    want = whole[whole["code"].isin(["duplicate-row", "duplicate-id"])].astype(str).reset_index(drop=True)
    assert len(want) > 1000 and set(want["code"]) == {"duplicate-row", "duplicate-id"}
    pd.testing.assert_frame_equal(got[list(want.columns)], want[list(want.columns)])
    # a pass per hash range: several when the parts hold more candidates than one pass takes
    assert (streamed.confirm_passes > 1) == (settings["part_bits"] > 0)
    default = stream_table(repeats, issues=str(tmp_path / "d.csv"), batch_rows=450)
    assert default.confirm_passes == 1
    pd.testing.assert_frame_equal(_dup_issues(tmp_path / "d.csv"), got)


def test_parquet_confirmation_picks_the_candidates_as_stored(repeats, tmp_path):
    """A Parquet file with typed columns (dates, numbers): the confirming passes pick the candidate rows
    from the stored columns before making them text, and find the whole table's duplicates."""
    from crmcli.stream.keys import KeySettings

    frame = pd.read_csv(repeats, dtype=str, keep_default_na=False)
    frame["金额"] = pd.to_numeric(frame["金额"], errors="coerce")
    frame["下单日期"] = pd.to_datetime(frame["下单日期"], errors="coerce", format="mixed")
    frame.to_parquet(tmp_path / "r.parquet")
    keys = KeySettings(hash_bits=5, part_bits=2, spill_bytes=0, part_rows=64, confirm_rows=400)
    streamed = stream_table(tmp_path / "r.parquet", issues=str(tmp_path / "si.csv"), batch_rows=450, keys=keys)
    assert streamed.confirm_passes > 1
    whole = validate_table(str(tmp_path / "r.parquet")).issues
    want = whole[whole["code"].isin(["duplicate-row", "duplicate-id"])].astype(str).reset_index(drop=True)
    assert len(want) > 1000
    got = _dup_issues(tmp_path / "si.csv")
    pd.testing.assert_frame_equal(got[list(want.columns)], want[list(want.columns)])


CELLS = st.one_of(st.none(), st.sampled_from(["", "张三", "a\x1fb", "1\x1f", "+8613800138000", " x", "é"]),
                  st.text(max_size=4))


@given(st.integers(1, 4).flatmap(lambda k: st.lists(st.lists(CELLS, min_size=k, max_size=k), max_size=30)))
def test_row_keys_are_each_cell_after_its_length(rows):
    """The confirming pass's exact keys: every cell after its length in characters, joined by \x1f (so no two
    different rows share one, whatever a cell holds), rows of blanks only left out."""
    width = len(rows[0]) if rows else 1
    frame = pd.DataFrame(rows or [], columns=[f"c{j}" for j in range(width)], dtype="str")
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    got = stream_keys.row_keys(frame)
    want = {i: "\x1f".join(f"{len(v or '')}\x1f{v or ''}" for v in row) for i, row in zip(frame.index, rows)
            if any(v for v in row)}
    assert dict(zip(got.index.tolist(), got.tolist())) == want
    assert got.index.tolist() == list(want)


def test_key_index_spills_only_hashes_and_rows_and_cleans_up(repeats, tmp_path, monkeypatch):
    import tempfile

    from crmcli.stream.keys import KeySettings, SpillFolder

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "t"))
    (tmp_path / "t").mkdir()
    seen: dict[str, bytes] = {}
    close = SpillFolder.close

    def snapshot(self):
        if self.path is not None:
            seen.update({p.name: p.read_bytes() for p in self.path.iterdir()})
        close(self)

    monkeypatch.setattr(SpillFolder, "close", snapshot)
    stream_table(repeats, output=str(tmp_path / "c.csv"), batch_rows=400, keys=KeySettings(spill_bytes=0))
    assert seen and not list((tmp_path / "t").iterdir())        # used, then removed
    text = (tmp_path / "c.csv").read_text(encoding="utf-8")
    names = {line.split(",")[2].strip('"') for line in text.splitlines()[1:50]}
    blob = b"".join(seen.values())
    assert all(len(b) % 8 == 0 for b in seen.values())
    assert not [n for n in names if n and n.encode("utf-8") in blob]   # no customer value in a temp file


def test_a_file_of_one_row_repeated_is_confirmed_in_bounded_passes(tmp_path):
    from crmcli.stream.keys import KeySettings

    src = tmp_path / "same.csv"
    src.write_text("订单号,客户,金额\n" + "SO1,张伟,¥10.00\n" * 2500 + "SO2,李娜,20\n" + "SO1,张伟,10.5\n",
                   encoding="utf-8")
    streamed = stream_table(src, issues=str(tmp_path / "i.csv"), batch_rows=300,
                            keys=KeySettings(spill_bytes=0, part_rows=100, confirm_rows=50))
    got = _dup_issues(tmp_path / "i.csv")
    assert (got["code"] == "duplicate-row").sum() == 2499
    assert got.loc[got["code"] == "duplicate-row", "message"].eq("same values as row 2").all()
    ids = got[got["code"] == "duplicate-id"]
    assert ids["row"].tolist() == ["2503"] and ids["value"].tolist() == ["SO1"]
    assert "row 2" in ids["message"].iloc[0]
    assert streamed.candidates == 2500 + 2501        # the repeated rows, and the rows of the repeated id


def test_ragged_rows_blank_lines_and_title_rows_keep_their_row_numbers(tmp_path):
    lines = ["月度订单导出", "订单号,客户名称,联系电话,下单日期,金额"]
    for i in range(40):
        lines.append(f"A{i},张三{i},138{i:08d},2024-03-{i % 28 + 1:02d},{i}.50")
        if i == 5:
            lines.append("")                                   # a blank line
        if i == 9:
            lines.append("A9x,李四,13800000000")                # too few cells
        if i == 20:
            lines.append('A20x,"王五\n二行",13800000000,2024-01-01,1,extra')  # too many, a quoted newline
    src = tmp_path / "ragged.csv"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    streamed = stream_table(src, output=str(tmp_path / "s.csv"), issues=str(tmp_path / "si.csv"), batch_rows=6,
                            defaults=False)
    whole = clean_table(src, defaults=False)
    got = pd.read_csv(tmp_path / "s.csv", dtype=str, keep_default_na=False)
    assert len(got) == len(whole.cleaned) == streamed.rows
    # the same rows, the same values (the whole table keeps the extra cell in a new column)
    assert got["订单号"].tolist() == whole.cleaned["订单号"].tolist()
    issues = _issues(tmp_path / "si.csv")
    ragged = issues[issues["code"] == "ragged-row"]
    w = whole.issues[whole.issues["code"] == "ragged-row"]
    assert ragged["row"].astype(int).tolist() == w["row"].tolist()
    assert "extra" in ragged["message"].iloc[-1]          # the extra cell is named, not lost
    bad = issues[issues["code"] != "ragged-row"][["row", "column", "code"]].astype(str).reset_index(drop=True)
    wb = whole.issues[whole.issues["code"] != "ragged-row"][["row", "column", "code"]].astype(str)
    pd.testing.assert_frame_equal(bad, wb.reset_index(drop=True))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_batches_of_chosen_rows_are_those_rows_as_read(tmp_path, fmt):
    # the confirming pass reads only the candidate rows: each must be the row a full pass gives,
    # ragged rows, blank lines and quoted newlines around them included
    from crmcli.stream import open_source

    lines = ["订单号,客户名称,联系电话,下单日期,金额"]
    for i in range(60):
        lines.append(f"A{i},张三{i},138{i:08d},2024-03-{i % 28 + 1:02d},{i}.50")
        if i in (5, 30):
            lines.append("")
        if i == 9:
            lines.append("A9x,李四,13800000000")
        if i == 20:
            lines.append('A20x,"王五\n二行",13800000000,2024-01-01,1,extra')
    src = tmp_path / "r.csv"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if fmt == "parquet":
        stream_table(src, output=str(tmp_path / "r.parquet"))
        src = tmp_path / "r.parquet"
    source = open_source(src, batch_rows=7)
    source.threads = False      # (what stream_table does on a ragged row)
    whole = pd.concat(list(source.batches()))
    for wanted in ([2, 3, 12, 13, 23, 24, 25, 40], [int(whole.index[-1])], [9999], []):
        got = list(source.batches(rows=np.array(wanted, dtype=np.int64)))
        expect = whole[whole.index.isin(wanted)]
        if not len(expect):
            assert not got or all(len(f) == 0 for f in got)
            continue
        both = pd.concat(got)
        pd.testing.assert_frame_equal(both, expect)
        assert all(len(f) for f in got)                  # no empty batch between the chosen rows


def test_a_failed_background_write_is_raised_and_nothing_is_left(tmp_path, monkeypatch):
    from crmcli.stream.pipe import Behind

    behind = Behind()
    behind.submit(lambda: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        behind.wait()
    # in a streamed clean: the output is discarded, the error is the writer's
    import pyarrow.parquet as pq_mod

    def broken(self, table, *a, **k):
        raise OSError("No space left on device")

    monkeypatch.setattr(pq_mod.ParquetWriter, "write_table", broken)
    src = tmp_path / "o.csv"
    src.write_text("订单号,金额\n" + "".join(f"A{i},{i}.5\n" for i in range(50)), encoding="utf-8")
    with pytest.raises(OSError, match="No space"):
        stream_table(src, output=str(tmp_path / "o.parquet"), batch_rows=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.csv"]


def test_parquet_out_is_typed_and_reads_back(messy, tmp_path):
    folder, _ = messy
    stream_table(folder / "utf8.csv", output=str(tmp_path / "c.parquet"), batch_rows=2500)
    table = pq.read_table(tmp_path / "c.parquet")
    types = {f.name: str(f.type) for f in table.schema}
    assert types["金额"] == "decimal128(18, 2)"
    assert types["下单日期"].startswith(("timestamp", "date32"))
    assert types["联系电话"] == "large_string" and types["订单号"] == "large_string"
    whole = clean_table(folder / "utf8.csv")
    amounts = table.column("金额").to_pylist()
    parsed = whole.normalized["金额"].parsed.to_numpy()
    bad = whole.normalized["金额"].bad
    for got, want, b in zip(amounts, parsed, bad):
        if b or np.isnan(want):
            assert got is None            # invalid (its text is in the issues) or empty
        else:
            assert float(got) == round(float(want), 2)
    assert table.column("联系电话").to_pylist() == whole.cleaned["联系电话"].tolist()
    # a cleaned Parquet file is an input like any other: cleaning it again changes no valid value
    again = clean_table(tmp_path / "c.parquet")
    assert again.cleaned["联系电话"].tolist() == whole.cleaned["联系电话"].tolist()
    assert streamable(tmp_path / "c.parquet") == "parquet"


def test_parquet_stream_equals_parquet_whole(tmp_path):
    frame = pd.DataFrame({"客户ID": ["C1", "C2", "C1", "C3"], "手机": ["138 0013 8000", "1.38E+10", "13800138000", ""],
                          "下单日期": pd.to_datetime(["2024-03-05", "2024-03-06", "2024-03-05", None]),
                          "金额": [12.5, 3.0, 12.5, None]})
    frame.to_parquet(tmp_path / "in.parquet")
    _same_as_whole(tmp_path / "in.parquet", tmp_path, batch_rows=2)


def test_cli_streams_and_says_so(messy, tmp_path):
    folder, _ = messy
    out = tmp_path / "c.csv"
    r = CliRunner().invoke(app, ["clean", str(folder / "utf8.csv"), "-o", str(out), "--engine", "duckdb",
                                 "--fail-on", "error"])
    assert r.exit_code == 1, r.output
    assert "batch" in r.stderr and out.exists()
    r = CliRunner().invoke(app, ["validate", str(folder / "utf8.csv"), "--engine", "duckdb", "--issues",
                                 str(tmp_path / "i.parquet")])
    assert r.exit_code == 1 and "rows checked" in r.stderr
    assert pq.read_table(tmp_path / "i.parquet").num_rows > 0
    # an xlsx output cannot stream: read whole, and said
    r = CliRunner().invoke(app, ["clean", str(folder / "utf8.csv"), "-o", str(tmp_path / "c.xlsx"),
                                 "--engine", "duckdb"])
    assert r.exit_code == 0 and "in memory" in r.stderr
    r = CliRunner().invoke(app, ["clean", str(folder / "utf8.csv"), "--engine", "nope"])
    assert r.exit_code == 2


def test_failed_stream_leaves_nothing_behind(tmp_path):
    src = tmp_path / "bad.csv"
    src.write_bytes("订单号,金额\n".encode() + b"A1,1\n" * 10 + "A2,２\n".encode("gb18030") + b"\xff\xfe,1\n" * 3)
    with pytest.raises(Exception):
        stream_table(src, output=str(tmp_path / "out.csv"), issues=str(tmp_path / "i.csv"), batch_rows=2,
                     read=None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_pick_rows_takes_the_wanted_rows_of_a_batch_in_any_row_order():
    import pyarrow as pa

    from crmcli.stream.source import member_mask, pick_rows

    rng = np.random.default_rng(7)
    for t in range(500):
        rows = np.sort(rng.choice(200, int(rng.integers(0, 50)), replace=False)).astype(np.int64)
        if t % 3 == 0:
            rows = rng.permutation(rows)
        wanted = np.sort(rng.choice(300, int(rng.integers(0, 80)), replace=False)).astype(np.int64)
        cols, got = pick_rows([pa.array(rows)], rows, wanted)
        keep = np.isin(rows, wanted)
        assert member_mask(rows, wanted).tolist() == keep.tolist()
        assert got.tolist() == rows[keep].tolist() and cols[0].to_pylist() == rows[keep].tolist()


#: Checks that compare rows across the whole file (other than repeated rows and ids): not run in batches.
WHOLE_FILE_CODES = {"outlier-amount", "duplicate-value", "value-variant", "similar-value"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_rules_required_and_default_checks_run_on_every_batch(messy, tmp_path, lang):
    """The rules, the required fields, the default checks (as of a day) and the messages' language are the
    whole-table run's on every batch; only the checks that need every row are left out, and said."""
    from crmcli.issue_text import localize_issues
    from crmcli.rules import parse_rules

    folder, _ = messy
    rules = parse_rules({"渠道": {"enum": ["天猫", "京东", "抖音"]}, "金额": {"min": 0, "max": 5000},
                         "数量": {"max": 10}})
    checks = dict(rules=rules, required=("phone",), as_of="2024-06-30", lang=lang)
    streamed = stream_table(folder / "utf8.csv", issues=str(tmp_path / "s.csv"), batch_rows=700, **checks)
    whole = validate_table(folder / "utf8.csv", **checks)
    expect = whole.issues[~whole.issues["code"].isin(WHOLE_FILE_CODES)]
    # the issues file is written for its language, as crm validate writes the whole table's
    write_table(localize_issues(expect, lang), tmp_path / "w.csv")
    got, want = _issues(tmp_path / "s.csv"), _issues(tmp_path / "w.csv")
    if lang == "zh":
        assert "problem" in got.columns and "与第" in " ".join(got["message"])
    assert {"not-in-enum", "out-of-range", "missing-value", "duplicate-row"} <= set(got["code"])
    pd.testing.assert_frame_equal(got, want)
    assert (streamed.errors + streamed.warnings) == len(expect)
    assert any("outlier amounts" in n for n in streamed.notes)


def test_the_clis_notes_spell_options_as_the_user_set_them(messy, tmp_path, monkeypatch):
    """A library note naming an option (``{opt:NAME}``) is printed with the flag, not the placeholder."""
    import crmcli.stream.run as run

    folder, _ = messy
    monkeypatch.setattr(run, "STREAM_LEAVES_OUT", run.STREAM_LEAVES_OUT + " (or leave {opt:engine} out)")
    r = CliRunner().invoke(app, ["validate", str(folder / "utf8.csv"), "--engine", "duckdb", "--fail-on", "never"])
    assert r.exit_code == 0, r.output
    assert "(or leave --engine out)" in r.stderr and "{opt:" not in r.stderr
    r = CliRunner().invoke(app, ["validate", str(folder / "utf8.csv"), "--fail-on", "never"],
                           env={"CRM_ENGINE": "duckdb"})
    assert "(or leave CRM_ENGINE out)" in r.stderr
