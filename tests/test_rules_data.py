"""Addresses, value clusters, --merge-values, --fill-address, --infer-rules, and the planted mess of the bundled
examples (blank required cells, implausible dates, city/address mismatches, the Tmall channel written four ways)."""

from __future__ import annotations

import io
import tomllib

import pandas as pd
import pytest

from crmcli.clean import clean_table
from crmcli.io import read_table
from crmcli.rules import find_clusters, infer_rules, parse_places
from crmcli.validate import find_issues, validate_table

from .conftest import EXAMPLES

AS_OF = "2024-12-31"


def codes_at(issues: pd.DataFrame, codes) -> set[tuple[int, str, str]]:
    part = issues[issues["code"].isin(codes)]
    return set(zip(part["row"], part["column"], part["code"]))


# ----------------------------------------------------------------------------- the bundled examples

@pytest.mark.parametrize("name, offset", [("orders.xlsx", 2), ("orders_gb18030.csv", 0)])
def test_orders_examples_report_their_planted_mess(name, offset):
    res = validate_table(EXAMPLES / name, as_of=AS_OF)
    got = codes_at(res.issues, {"implausible-date", "missing-value"})
    # rows of orders_gb18030.csv; orders.xlsx has a title row and a blank row above its header
    want = {(7, "下单日期", "implausible-date"), (142, "下单日期", "implausible-date"),
            (7, "金额", "missing-value"), (142, "金额", "missing-value"), (207, "金额", "missing-value"),
            (192, "客户ID", "missing-value"), (192, "下单日期", "missing-value"), (206, "下单日期", "missing-value"),
            (234, "下单日期", "missing-value"), (254, "下单日期", "missing-value")}
    assert got == {(r + offset, c, code) for r, c, code in want}
    clusters = res.clusters
    tmall = clusters[clusters["canonical"] == "天猫"]
    assert set(tmall["variant"]) == {"天猫旗舰店", "Tmall", "tmall"} and set(tmall["merge"]) == {"yes"}
    assert clusters["canonical"].nunique() == 1 and set(clusters["column"]) == {"渠道"}


def test_customer_examples_report_addresses_and_blank_records():
    zh = validate_table(EXAMPLES / "customers_zh.csv").issues
    assert codes_at(zh, {"address-mismatch", "fillable-from-address", "missing-value"}) == {
        (8, "城市", "address-mismatch"),            # 城市 杭州, 地址 北京市…
        (16, "地址", "address-mismatch"),           # 广东省深圳市天河区…: 天河区 is in 广州
        (31, "城市", "fillable-from-address"),      # blank; the address says 深圳
        (63, "客户名称", "missing-value"),          # no name, phone or email
    }
    en = validate_table(EXAMPLES / "customers_en.csv", as_of=AS_OF).issues
    assert codes_at(en, {"address-mismatch", "implausible-date"}) == {
        (21, "Province", "address-mismatch"), (6, "Created", "implausible-date"), (10, "Created", "implausible-date")}


def test_cli_validate_on_the_example_exits_1_and_lists_the_cluster(run):
    res = run(["validate", EXAMPLES / "orders.xlsx", "--as-of", AS_OF])
    assert res.exit_code == 1
    assert "value clusters: 1" in res.stderr and "[values]" in res.stderr
    assert "天猫旗舰店 (9), Tmall (8), tmall (8)" in res.stderr


# ----------------------------------------------------------------------------- addresses

def test_parse_places():
    places = parse_places(["浙江省杭州市西湖区文三路1号", "上海市徐汇区漕溪北路88号", "广州天河区华夏路", "", "Flat 3, London"])
    assert (places[0].province, places[0].city, places[0].district) == ("浙江省", "杭州市", "西湖区")
    assert (places[1].province, places[1].city) == ("上海市", "上海市")
    assert (places[2].province, places[2].city, places[2].district) == ("广东省", "广州市", "天河区")
    assert not places[3].province and not places[4].province


@pytest.mark.parametrize("row, code", [
    ("张三,北京,北京市朝阳区建国路1号", None),
    ("张三,北京市,北京朝阳区建国路1号", None),                  # 北京 / 北京市: one city
    ("张三,上海,北京市朝阳区建国路1号", "address-mismatch"),
    ("张三,,浙江省杭州市西湖区文三路1号", "fillable-from-address"),
    ("张三,杭州,杭州市天河区华夏路1号", "address-mismatch"),     # a Guangzhou district in Hangzhou
    ("张三,杭州,文三路1号", None),                              # no place in the address: nothing to say
])
def test_address_consistency(row, code):
    issues = find_issues(read_table(f"客户名称,城市,地址\n{row}\n".encode()))
    got = set(issues["code"]) & {"address-mismatch", "fillable-from-address"}
    assert got == ({code} if code else set())


def test_province_column_and_postcodes():
    text = ("客户名称,省份,城市,邮编,地址\n"
            "张三,浙江省,杭州,310012,浙江省杭州市西湖区文三路1号\n"
            "李四,江苏省,杭州,310012,浙江省杭州市西湖区文三路2号\n"
            "王五,浙江省,杭州,100020,浙江省杭州市西湖区文三路3号\n")
    issues = find_issues(read_table(text.encode()))
    got = codes_at(issues, {"address-mismatch", "postcode-mismatch"})
    assert (3, "省份", "address-mismatch") in got and (4, "邮编", "postcode-mismatch") in got
    assert not any(r == 2 for r, _c, _k in got)


def test_fill_address_in_clean(run, tmp_path):
    text = "客户名称,城市,地址\n张三,,浙江省杭州市西湖区文三路1号\n李四,上海,上海市徐汇区漕溪北路88号\n"
    res = clean_table(read_table(text.encode()), fill_address=True)
    assert res.cleaned["城市"].tolist() == ["杭州", "上海"]          # written as the column writes cities
    assert res.filled["城市"] == 1
    src = tmp_path / "c.csv"
    src.write_text(text, encoding="utf-8")
    out = run(["clean", src, "--fill-address", "-o", tmp_path / "out.csv"])
    assert out.exit_code == 0 and "filled from addresses" in out.stderr
    assert src.read_text(encoding="utf-8") == text                       # the input is never changed


# ----------------------------------------------------------------------------- value clusters

def test_key_collisions_and_neighbours():
    clusters = find_clusters(["天猫", "天猫旗舰店", "Tmall", "tmall ", "京东", "京東", "JD", "门店"],
                             [50, 9, 8, 8, 30, 2, 3, 10], field="channel")
    by = {c.canonical: c for c in clusters}
    assert set(by["天猫"].variants) == {"天猫旗舰店", "Tmall", "tmall "} and by["天猫"].merge
    assert set(by["京东"].variants) == {"京東", "JD"}                 # traditional → simplified; a platform name
    assert "门店" not in by
    near = find_clusters(["Acme Trading", "Acme Tradng", "Other Co"], [10, 1, 5], field="company")
    assert len(near) == 1 and not near[0].merge                       # one edit apart: for review, not merged


def test_real_places_that_sound_alike_stay_apart():
    assert find_clusters(["泰州", "台州", "福州", "抚州"], [5, 5, 5, 5], field="city") == []


def test_merge_values_and_the_values_table(run, tmp_path):
    text = "订单号,金额,渠道\n" + "".join(f"SO{i},10,{c}\n" for i, c in enumerate(
        ["天猫"] * 5 + ["天猫旗舰店", "Tmall", "京东", "JD.com", "京东自营"]))
    data = read_table(text.encode())
    res = clean_table(data, merge_values=True)
    assert res.cleaned["渠道"].tolist() == ["天猫"] * 7 + ["京东"] * 3
    assert res.merged == {"渠道": 4}
    kept = clean_table(data)
    assert kept.cleaned["渠道"].tolist()[5:7] == ["天猫旗舰店", "Tmall"]  # without --merge-values: only reported
    named = clean_table(data, values={"渠道": {"阿里天猫": ["天猫", "天猫旗舰店"]}})
    assert named.cleaned["渠道"].tolist()[:6] == ["阿里天猫"] * 6
    src = tmp_path / "o.csv"
    src.write_text(text, encoding="utf-8")
    out = run(["clean", src, "--merge-values", "-o", tmp_path / "out.csv"])
    assert "merged values: 4 cells changed (渠道 4)" in out.stderr
    out = run(["clean", src, "-o", tmp_path / "out2.csv"])
    assert "--merge-values rewrites them" in out.stderr


def test_values_table_in_crm_toml(run, tmp_path, monkeypatch):
    (tmp_path / "o.csv").write_text("订单号,金额,渠道\nSO1,10,门店\nSO2,10,线下\n", encoding="utf-8")
    (tmp_path / "crm.toml").write_text('[values.channel]\n"线下门店" = ["门店", "线下"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out = run(["clean", "o.csv", "-o", "out.csv"])
    assert out.exit_code == 0, out.stderr
    assert pd.read_csv(tmp_path / "out.csv")["渠道"].tolist() == ["线下门店", "线下门店"]
    (tmp_path / "crm.toml").write_text('[values.channel]\n"线下门店" = "门店"\n', encoding="utf-8")
    out = run(["clean", "o.csv", "-o", "out.csv"])
    assert out.exit_code == 2 and "values" in out.stderr


# ----------------------------------------------------------------------------- --infer-rules

def test_infer_rules_writes_a_file_that_validates(run, tmp_path):
    res = run(["validate", EXAMPLES / "orders.xlsx", "--infer-rules", "--as-of", AS_OF])
    assert res.exit_code == 0, res.stderr
    rules = tomllib.loads(res.stdout)
    assert rules["order_id"]["pattern"] == "SO\\d{8}" and rules["order_id"]["required"] is True
    assert set(rules["channel"]["enum"]) == {"天猫", "京东", "抖音", "线下门店", "微信小程序"}
    assert rules["quantity"] == {"type": "number", "required": True, "min": 1, "max": 3}
    assert str(rules["order_date"]["min"]) == "2023-01-02"           # the implausible dates are left out
    assert "required" not in rules["order_date"]                      # 98.8 % filled: commented out
    path = tmp_path / "rules.toml"
    path.write_text(res.stdout, encoding="utf-8")
    again = run(["validate", EXAMPLES / "orders.xlsx", "--rules", path, "--as-of", AS_OF, "-o", "-", "-q"])
    issues = pd.read_csv(io.StringIO(again.stdout), dtype=str, keep_default_na=False)
    assert set(issues[issues["code"] == "not-in-enum"]["value"]) == {"天猫旗舰店", "Tmall", "tmall"}


def test_infer_rules_library_on_unmapped_columns():
    text = "会员等级,积分,备注\n" + "".join(f"{g},{p},\n" for g, p in [("金卡", 10), ("银卡", 20)] * 30)
    table = validate_table(read_table(text.encode())).table
    rules = tomllib.loads(infer_rules(table))
    assert rules["会员等级"]["enum"] == ["金卡", "银卡"]
    assert rules["积分"]["type"] == "number" and rules["积分"]["min"] == 10 and rules["积分"]["max"] == 20
    assert "备注" not in rules


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cli_address_and_cluster_checks_with_excel_rows(run, tmp_path, fmt):
    from .test_rules import write_inputs

    header = ["客户名称", "省份", "城市", "邮编", "地址", "来源渠道"]
    rows = [["张三", "浙江省", "杭州", "310012", "浙江省杭州市西湖区文三路1号", "天猫"],
            ["李四", "江苏省", "杭州", "310012", "浙江省杭州市西湖区文三路2号", "天猫"],       # province mismatch
            ["王五", "浙江省", "杭州", "100020", "浙江省杭州市西湖区文三路3号", "天猫旗舰店"],  # postcode; variant
            ["赵六", "上海市", "", "200030", "上海市徐汇区漕溪北路88号", "Tmall"],              # fillable; variant
            ["钱七", "广东省", "深圳", "518000", "广东省深圳市天河区华夏路1号", "京东"]]         # district of 广州
    path, header_row = write_inputs(tmp_path, header, rows, name="customers")[fmt]
    res = run(["validate", path, "-o", "-", "-q", "--fail-on", "never", "--map", "channel=来源渠道"])
    assert res.exit_code == 0, res.stderr
    issues = pd.read_csv(io.StringIO(res.stdout), dtype=str, keep_default_na=False)
    issues["row"] = issues["row"].astype(int)
    got = codes_at(issues, {"address-mismatch", "postcode-mismatch", "fillable-from-address", "value-variant"})
    assert got == {(r + header_row, c, code) for r, c, code in [
        (2, "省份", "address-mismatch"), (3, "邮编", "postcode-mismatch"), (3, "来源渠道", "value-variant"),
        (4, "城市", "fillable-from-address"), (4, "来源渠道", "value-variant"), (5, "地址", "address-mismatch")]}
