"""crm dedupe: every output file, --explain, stdin, errors; CLI output equals the library call."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

import crmcli
from crmcli.dedupe import dedupe_table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from make_customers import generate  # noqa: E402


@pytest.fixture
def customers(tmp_path):
    frame = generate(300, seed=4).astype(str).drop(columns=["entity"])
    frame.insert(0, "客户ID", [f"C{i:04d}" for i in range(len(frame))])
    frame = frame.rename(columns={"name": "客户名称", "phone": "手机", "email": "邮箱", "city": "城市", "address": "地址"})
    path = tmp_path / "customers.csv"
    frame.to_csv(path, index=False)
    return path


def test_dedupe_writes_every_output(run, customers, tmp_path):
    res = run(["dedupe", customers, "--clusters", tmp_path / "c.csv", "--pairs", tmp_path / "p.csv",
               "--review", tmp_path / "r.csv"])
    assert res.exit_code == 0, res.stderr
    assert "pairs compared" in res.stderr
    merged = pd.read_csv(tmp_path / "customers.deduped.csv", dtype=str)
    lib = dedupe_table(crmcli.read_table(customers))
    assert len(merged) == len(lib.merged)
    assert merged["cluster_id"].tolist() == lib.merged["cluster_id"].astype(str).tolist()
    clusters = pd.read_csv(tmp_path / "c.csv", dtype=str, keep_default_na=False)
    assert len(clusters) == 300 and clusters["客户名称"].ne("").all()
    assert list(clusters.columns[-3:]) == ["cluster_id", "cluster_size", "match_score"]
    pairs = pd.read_csv(tmp_path / "p.csv")
    assert {"row_l", "row_r", "手机_sim", "手机_weight", "match_probability"} <= set(pairs.columns)
    assert (tmp_path / "r.csv").exists()


def test_dedupe_stdin_to_stdout_and_on(run, customers):
    res = run(["dedupe", "-", "--on", "客户名称:name,手机:phone", "--on", "邮箱", "-q"], input=customers.read_bytes())
    assert res.exit_code == 0, res.stderr
    assert res.stdout.splitlines()[0].startswith("cluster_id,cluster_size,客户ID")
    assert res.stderr == ""


def test_dedupe_explain_by_id(run, customers, tmp_path):
    run(["dedupe", customers, "--clusters", tmp_path / "c.csv", "-q"])
    clusters = pd.read_csv(tmp_path / "c.csv", dtype=str)
    big = clusters[clusters["cluster_size"].astype(int) > 1]
    a, b = big[big["cluster_id"] == big["cluster_id"].iloc[0]]["客户ID"].tolist()[:2]
    res = run(["dedupe", customers, "--explain", a, b, "--id", "客户ID"])
    assert res.exit_code == 0, res.stderr
    assert "(total)" in res.stdout and "match" in res.stdout and "手机" in res.stdout
    bad = run(["dedupe", customers, "--explain", "nope", b, "--id", "客户ID"])
    assert bad.exit_code == 2 and "no record" in bad.stderr


def test_dedupe_previous_keeps_ids(run, customers, tmp_path):
    run(["dedupe", customers, "--clusters", tmp_path / "c1.csv", "-q"])
    run(["dedupe", customers, "--clusters", tmp_path / "c2.csv", "--previous", tmp_path / "c1.csv", "-q",
         "-o", tmp_path / "m.csv"])
    one = pd.read_csv(tmp_path / "c1.csv", dtype=str)["cluster_id"]
    two = pd.read_csv(tmp_path / "c2.csv", dtype=str)["cluster_id"]
    assert one.tolist() == two.tolist()


def test_dedupe_usage_errors(run, customers):
    assert run(["dedupe", customers, "--on", "nope:name"]).exit_code == 2
    assert run(["dedupe", customers, "--threshold", "1.5"]).exit_code == 2
    assert run(["dedupe", customers, "--keep", "best"]).exit_code == 2
    assert run(["dedupe", customers.with_name("missing.csv")]).exit_code == 3


# ----------------------------------------------------------------------------- crm clean --dedupe


def test_clean_table_dedupe_merges_the_cleaned_rows(customers):
    from crmcli.clean import clean_table

    df = crmcli.read_table(customers)
    res = clean_table(df, dedupe=True)
    assert res.deduped is not None
    assert len(res.cleaned) == 300                       # cleaning keeps every row
    assert res.output is res.deduped.merged
    assert len(res.output) < 300                         # the generated set has duplicates
    lib = dedupe_table(res.cleaned, mapping=res.mapping)
    assert res.output["cluster_id"].tolist() == lib.merged["cluster_id"].tolist()
    # the merged rows carry the cleaned (normalized) phones, e.g. E.164
    phones = res.output["手机"][res.output["手机"] != ""]
    assert phones.str.split("; ").explode().str.startswith("+").all()
    plain = clean_table(df)
    assert plain.deduped is None and plain.output is plain.cleaned


def test_clean_dedupe_csv_output_is_merged_table(run, customers, tmp_path):
    res = run(["clean", customers, "--dedupe", "-o", tmp_path / "out.csv"])
    assert res.exit_code == 0, res.stderr
    assert "pairs compared" in res.stderr
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert {"cluster_id", "cluster_size", "source_rows", "provenance"} <= set(out.columns)
    assert len(out) == out["cluster_id"].nunique() < 300
    # every input row lands in exactly one merged row
    rows = out["source_rows"].str.split(";").explode().astype(int)
    assert sorted(rows) == list(range(2, 302))


def test_clean_dedupe_xlsx_has_clusters_sheet(run, customers, tmp_path):
    import openpyxl

    res = run(["clean", customers, "--dedupe", "-o", tmp_path / "out.xlsx"])
    assert res.exit_code == 0, res.stderr
    wb = openpyxl.load_workbook(tmp_path / "out.xlsx", read_only=True)
    assert wb.sheetnames[:2] == ["deduped", "clusters"] and {"issues", "summary"} <= set(wb.sheetnames)
    merged = pd.read_excel(tmp_path / "out.xlsx", sheet_name="deduped", dtype=str, engine="openpyxl")
    clusters = pd.read_excel(tmp_path / "out.xlsx", sheet_name="clusters", dtype=str, engine="openpyxl")
    assert len(clusters) == 300
    assert set(clusters["cluster_id"]) == set(merged["cluster_id"])


def test_clean_without_dedupe_is_unchanged(run, customers, tmp_path):
    res = run(["clean", customers, "-o", tmp_path / "out.csv"])
    assert res.exit_code == 0, res.stderr
    assert "cluster_id" not in pd.read_csv(tmp_path / "out.csv", dtype=str).columns


# ----------------------------------------------------------------------------- golden rows, totals, the model line


def test_totals_row_is_not_a_record(run, tmp_path):
    path = tmp_path / "with_totals.csv"
    path.write_text("客户名称,联系电话,邮箱,金额\n张三,13812345678,a@x.cn,100\n李四,13912345678,b@x.cn,200\n"
                    "张三 ,138 1234 5678,A@X.CN,50\n合计,,,350\n", encoding="utf-8")
    res = run(["dedupe", path, "-o", tmp_path / "out.csv"])
    assert res.exit_code == 0, res.stderr
    assert "left out 1 totals row(s): 5" in res.stderr
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert out["客户名称"].tolist() == ["张三", "李四"] and out["source_rows"].tolist() == ["2;4", "3"]
    assert out["联系电话"].tolist() == ["+8613812345678", "+8613912345678"]   # one number, E.164
    assert out["邮箱"].tolist() == ["a@x.cn", "b@x.cn"]                       # A@X.CN is the same address
    lib = dedupe_table(crmcli.read_table(path))
    assert lib.stats["totals_rows"] == [5] and 5 not in lib.clusters.index


def test_model_line_on_stderr(run, customers, tmp_path):
    for args in (["dedupe", customers, "-o", tmp_path / "a.csv"], ["clean", customers, "--dedupe", "-o", tmp_path / "b.csv"]):
        res = run(args)
        assert res.exit_code == 0, res.stderr
        model = [ln for ln in res.stderr.splitlines() if ln.startswith("model: ")]
        assert len(model) == 1 and "anchor pair" in model[0] and "prior" in model[0]


def test_deduped_sheets_are_typed(run, tmp_path, examples):
    import openpyxl

    res = run(["dedupe", examples / "customers_en.csv", "-o", tmp_path / "en.xlsx", "-q"])
    assert res.exit_code == 0, res.stderr
    ws = openpyxl.load_workbook(tmp_path / "en.xlsx").active
    header = [c.value for c in ws[1]]
    created = header.index("Created") + 1
    assert all(ws.cell(r, created).is_date for r in range(2, ws.max_row + 1))
    mobile = header.index("Mobile") + 1
    assert ws.cell(2, mobile).data_type == "s"                                 # phones stay text
    res = run(["clean", examples / "customers_en.csv", "--dedupe", "-o", tmp_path / "clean.xlsx"])
    assert res.exit_code == 0, res.stderr
    ws = openpyxl.load_workbook(tmp_path / "clean.xlsx")["deduped"]
    header = [c.value for c in ws[1]]
    assert ws.cell(2, header.index("Created") + 1).is_date
    assert ws.max_row == 41                                                    # 41 records, one duplicate
