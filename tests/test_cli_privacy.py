"""Privacy through the CLI: masked reports and outputs (every cell, every sheet, stderr), pseudonyms, encrypted
workbooks, file modes, retention, the audit log, and nothing about people on stderr."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from crmcli.normalize import normalize_table

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
KEY = "a-test-pseudonym-key-0123456789abcdef"
PERSONAL = ("phone", "email", "name", "address")


def personal_values(*paths: Path) -> set[str]:
    """Every phone, email, name and address of the inputs, as written and normalized (the digits of a phone too)."""
    found: set[str] = set()
    for path in paths:
        t = normalize_table(str(path))
        for header, fld in t.mapping.items():
            if fld not in PERSONAL:
                continue
            for col in (t.frame[header], t.normalized[header].values):
                for v in col.tolist():
                    v = str(v).strip()
                    if len(v) >= 2 and "*" not in v:
                        found.add(v)
                        if fld == "phone":
                            digits = re.sub(r"\D", "", v)
                            if len(digits) >= 11:
                                found.add(digits[-11:])
    return found


def leaks(texts: list[str], values: set[str]) -> list[tuple[str, str]]:
    """(value, text) for every personal value found in a text: whole cells for short values, substrings for long."""
    # long values by their first five characters: each text is scanned once, not once per value
    heads: dict[str, list[str]] = {}
    for v in values:
        if len(v) >= 5:
            heads.setdefault(v[:5], []).append(v)
    out = []
    for text in texts:
        found = {text} if text in values else set()
        for i in range(len(text) - 4):
            for v in heads.get(text[i:i + 5], ()):
                if text.startswith(v, i):
                    found.add(v)
        out += [(v, text) for v in sorted(found)]
    return out


def workbook_cells(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path, read_only=True)
    cells = []
    for ws in wb.worksheets:
        cells.append(ws.title)
        for row in ws.iter_rows(values_only=True):
            cells += [str(v) for v in row if v is not None]
    return cells


@pytest.fixture
def cfg(tmp_path):
    """The examples and their crm.toml in a scratch folder."""
    folder = tmp_path / "ex"
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns("reports", "*.cleaned.*"))
    return folder


def set_privacy(toml: Path, line: str) -> None:
    """Set a key in the [privacy] section crm init wrote (its keys commented) into a crm.toml."""
    text = toml.read_text(encoding="utf-8")
    assert "\n[privacy]\n" in text
    toml.write_text(text.replace("\n[privacy]\n", f"\n[privacy]\n{line}\n", 1), encoding="utf-8")


def _report_inputs(folder: Path) -> list[Path]:
    return [folder / n for n in ("orders.xlsx", "customers_en.csv", "leads.csv", "campaigns.csv")]


# --------------------------------------------------------------------------- masking


def test_masked_report_holds_no_phone_email_or_name(run, cfg, tmp_path):
    values = personal_values(*_report_inputs(cfg))
    assert len(values) > 200
    plain = tmp_path / "plain.xlsx"
    res = run(["report", "--config", cfg / "crm.toml", "-o", plain])
    assert res.exit_code == 0, res.stderr
    assert leaks(workbook_cells(plain), values)        # the check can fail: a plain report has them
    masked = tmp_path / "masked.xlsx"
    res = run(["report", "--config", cfg / "crm.toml", "-o", masked, "--mask"])
    assert res.exit_code == 0, res.stderr
    cells = workbook_cells(masked)
    assert leaks(cells, values) == []
    assert leaks(res.stderr.splitlines(), values) == []
    assert any(re.fullmatch(r"1\d\d\*{4}\d{4}", c) for c in cells)        # phones are there, masked
    # numbers never change with masking: every number cell, at the same place
    a, b = openpyxl.load_workbook(plain, read_only=True), openpyxl.load_workbook(masked, read_only=True)
    numbers = 0
    for wa, wb in zip(a.worksheets, b.worksheets):
        for ra, rb in zip(wa.iter_rows(values_only=True), wb.iter_rows(values_only=True)):
            for va, vb in zip(ra, rb):
                if isinstance(va, (int, float)):
                    assert va == vb
                    numbers += 1
    assert numbers > 500


def test_mask_from_crm_toml_and_per_kind(run, cfg, tmp_path):
    toml = cfg / "crm.toml"
    set_privacy(toml, 'mask = ["phone"]')
    out = tmp_path / "r.xlsx"
    assert run(["report", "--config", toml, "-o", out]).exit_code == 0
    cells = workbook_cells(out)
    phones = {v for v in personal_values(cfg / "customers_en.csv") if re.fullmatch(r"\+?\d{11,13}", v)}
    assert leaks(cells, phones) == []
    assert leaks(cells, personal_values(*_report_inputs(cfg)) - phones)   # names and emails were not asked for
    res = run(["report", "--config", toml, "-o", out, "--no-mask"])
    assert res.exit_code == 0 and leaks(workbook_cells(out), phones)


@pytest.mark.parametrize("ext", ["csv", "xlsx", "json", "jsonl", "tsv"])
def test_masked_rfm_every_format(run, tmp_path, ext):
    src = EXAMPLES / "shop_orders.csv"                       # no customer id: customers are keyed by email
    values = personal_values(src)
    out = tmp_path / f"rfm.{ext}"
    res = run(["rfm", src, "-o", out, "--mask"])
    assert res.exit_code == 0, res.stderr
    texts = workbook_cells(out) if ext == "xlsx" else out.read_text(encoding="utf-8").split('"')
    assert leaks(texts, values) == []
    plain = tmp_path / f"plain.{ext}"
    assert run(["rfm", src, "-o", plain]).exit_code == 0
    assert leaks(workbook_cells(plain) if ext == "xlsx" else plain.read_text(encoding="utf-8").split('"'), values)


def test_masked_dedupe_outputs_and_explain(run, tmp_path):
    src = EXAMPLES / "customers_zh.csv"
    values = personal_values(src)
    merged, clusters, review = (tmp_path / n for n in ("m.xlsx", "c.csv", "r.csv"))
    res = run(["dedupe", src, "-o", merged, "--clusters", clusters, "--review", review, "--mask"])
    assert res.exit_code == 0, res.stderr
    assert leaks(workbook_cells(merged), values) == []
    assert leaks(clusters.read_text(encoding="utf-8").replace('"', "").replace("\n", ",").split(","), values) == []
    assert leaks(res.stderr.splitlines(), values) == []
    res = run(["dedupe", src, "--explain", "2", "3", "--mask"])
    assert res.exit_code == 0 and leaks(res.stdout.split(), values) == []


def test_masked_clean_xlsx_issues_and_stderr(run, tmp_path):
    src = EXAMPLES / "customers_zh.csv"
    values = personal_values(src)
    out, issues = tmp_path / "c.xlsx", tmp_path / "i.csv"
    res = run(["clean", src, "-o", out, "--issues", issues, "--mask"])
    assert res.exit_code == 0
    assert leaks(workbook_cells(out), values) == []
    assert leaks(issues.read_text(encoding="utf-8").split(","), values) == []
    res = run(["validate", src, "--mask"])
    assert res.exit_code == 1 and leaks(res.stderr.split(), values) == []


def output_texts(path: Path) -> list[str]:
    """Every cell of an output: a workbook's cells, or a text file's fields."""
    if path.suffix == ".xlsx":
        return workbook_cells(path)
    return re.split(r'[",\n\t]+', path.read_text(encoding="utf-8"))


SALES = EXAMPLES / "order_lines.csv"          # 客户名称, 手机号 and 销售员 on every line


@pytest.mark.slow
@pytest.mark.parametrize("args", [
    ["basket", SALES], ["basket", SALES, "--window", "30"], ["metrics", SALES, "--team"],
    ["metrics", SALES, "--group", "name"], ["metrics", SALES, "--group", "phone"],
    ["pivot", SALES, "--rows", "name", "--cols", "category"], ["pivot", SALES, "--rows", "phone"],
    ["rfm", SALES], ["clv", EXAMPLES / "shop_orders.csv"], ["pipeline", EXAMPLES / "opportunities.csv"],
    ["clean", SALES], ["dedupe", SALES],
], ids=lambda a: " ".join(str(x).replace(str(EXAMPLES) + "/", "") for x in a))
@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_every_command_masks_its_outputs_and_stderr(run, tmp_path, args, ext):
    """The commands merged since (basket, pipeline, metrics --team, crosstabs) and every table grouped by a
    personal field: no phone or name of the input in any output cell or on stderr, the numbers unchanged."""
    values = personal_values(args[1])
    plain, masked = tmp_path / f"plain.{ext}", tmp_path / f"masked.{ext}"
    res = run([*args, "-o", plain])
    assert res.exit_code == 0, res.stderr
    res = run([*args, "-o", masked, "--mask"])
    assert res.exit_code == 0, res.stderr
    assert leaks(output_texts(masked), values) == []
    assert leaks(re.split(r"[\s│┃|]+", res.stderr), values) == []
    grouped = any(a in ("--group", "--rows") for a in args) or args[0] in ("clean", "dedupe", "clv")
    if grouped:                                  # the scan can fail: the plain output has them
        assert leaks(output_texts(plain), values)
    if ext == "csv":                             # numbers never change: the same table, personal columns aside
        a, b = pd.read_csv(plain), pd.read_csv(masked)
        assert a.shape == b.shape
        numeric = [c for c in b.select_dtypes("number").columns if c in a.select_dtypes("number").columns]
        assert numeric or args[0] in ("clean", "dedupe")
        pd.testing.assert_frame_equal(a[numeric], b[numeric])


# --------------------------------------------------------------------------- quiet about people


def test_redact_and_quiet_print_no_cell_values(run):
    src = EXAMPLES / "customers_zh.csv"
    values = personal_values(src)
    plain = run(["validate", src])
    assert leaks(plain.stderr.split(), values)               # shown by default, as before
    for args in (["validate", src, "--redact"], ["inspect", src, "--redact"], ["clean", src, "-o", "-", "--redact"],
                 ["dedupe", src, "-o", "-", "--redact"], ["validate", src, "-q"]):
        res = run(args)
        assert leaks(res.stderr.split(), values) == [], args
    res = run(["validate", src, "-q"])
    assert res.stderr == ""
    shapes = run(["inspect", src, "--redact"]).stderr
    assert "1**********" in shapes and "u***@***.com" in shapes
    res = run(["inspect", src, "--redact", "--json"])
    assert leaks(res.stdout.replace('"', " ").split(), values) == []


def test_error_quotes_a_value_only_at_a_terminal(run):
    src = EXAMPLES / "customers_zh.csv"
    res = run(["dedupe", src, "--id", "联系电话", "--explain", "13800000000", "18929902364"])
    assert res.exit_code == 2
    assert "13800000000" not in res.stderr and "(a value)" in res.stderr


def test_redact_from_environment(run):
    res = run(["validate", EXAMPLES / "customers_zh.csv"], env={"CRM_REDACT": "1"})
    assert " value " not in res.stderr.splitlines()[-7]


# --------------------------------------------------------------------------- pseudonyms


def test_pseudonyms_stable_across_runs_and_keyed(run, tmp_path):
    src = EXAMPLES / "shop_orders.csv"
    outs = []
    for i, key in enumerate((KEY, KEY, KEY + "-other")):
        out = tmp_path / f"rfm{i}.csv"
        res = run(["rfm", src, "-o", out, "--pseudonymize", "customer_id,phone,email"],
                  env={"CRM_PSEUDONYM_KEY": key})
        assert res.exit_code == 0, res.stderr
        outs.append(pd.read_csv(out, dtype=str))
    ids = outs[0]["customer_id"]
    assert ids.str.fullmatch(r"ps_[0-9a-f]{20}").all()
    assert ids.tolist() == outs[1]["customer_id"].tolist()
    assert not set(ids) & set(outs[2]["customer_id"])
    assert outs[0]["monetary"].tolist() == outs[2]["monetary"].tolist()


def test_pseudonyms_need_a_key_never_from_argv(run, tmp_path):
    src = EXAMPLES / "shop_orders.csv"
    res = run(["rfm", src, "-o", tmp_path / "x.csv", "--pseudonymize", "email"], env={"CRM_PSEUDONYM_KEY": ""})
    assert res.exit_code == 2 and "key" in res.stderr and not (tmp_path / "x.csv").exists()
    res = run(["rfm", src, "--pseudonymize", "email", "--pseudonym-key", KEY])
    assert res.exit_code == 2 and "no such option" in res.stderr
    keyfile = tmp_path / "k"
    keyfile.write_text(KEY + "\n")
    keyfile.chmod(0o600)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert run(["rfm", src, "-o", a, "--pseudonymize", "email", "--pseudonym-key-file", keyfile]).exit_code == 0
    assert run(["rfm", src, "-o", b, "--pseudonymize", "email"], env={"CRM_PSEUDONYM_KEY": KEY}).exit_code == 0
    assert a.read_text() == b.read_text()                   # the same key from a file or the environment


def test_dedupe_previous_on_pseudonymized_clusters(run, tmp_path):
    src = EXAMPLES / "customers_zh.csv"
    env = {"CRM_PSEUDONYM_KEY": KEY}
    first, second = tmp_path / "c1.csv", tmp_path / "c2.csv"
    flags = ["--pseudonymize", "phone,email,name"]
    assert run(["dedupe", src, "-o", tmp_path / "m.csv", "--clusters", first, *flags], env=env).exit_code == 0
    c1 = pd.read_csv(first, dtype=str)
    for col in ("联系电话", "客户名称"):    # every filled cell pseudonymized (one example record has neither)
        filled = c1[col].dropna()
        assert len(filled) >= 60 and filled.str.startswith("ps_").all()
    # renumber the earlier ids so keeping them shows
    c1["cluster_id"] = (pd.to_numeric(c1["cluster_id"]) + 100).astype(str)
    c1.to_csv(first, index=False)
    res = run(["dedupe", src, "-o", tmp_path / "m2.csv", "--clusters", second, "--previous", first, *flags], env=env)
    assert res.exit_code == 0, res.stderr
    c2 = pd.read_csv(second, dtype=str)
    assert c2["cluster_id"].tolist() == c1["cluster_id"].tolist()


def test_dedupe_and_matching_on_pseudonymized_inputs(run, tmp_path):
    env = {"CRM_PSEUDONYM_KEY": KEY}
    flags = ["--pseudonymize", "customer_id,phone,email,name"]
    # customers: duplicates found on pseudonymized phones/emails as on the real ones (exact agreement)
    src = EXAMPLES / "customers_zh.csv"
    pseud = tmp_path / "customers.ps.csv"
    assert run(["clean", src, "-o", pseud, *flags], env=env).exit_code == 0
    assert run(["dedupe", pseud, "-o", tmp_path / "d.csv", "--clusters", tmp_path / "dc.csv"]).exit_code == 0
    assert (pd.read_csv(tmp_path / "dc.csv", dtype=str)["cluster_size"].astype(int) > 1).any()
    # leads and campaigns matched to orders: all pseudonymized, or only the leads (the run has the key)
    orders, leads, camps = EXAMPLES / "orders.xlsx", EXAMPLES / "leads.csv", EXAMPLES / "campaigns.csv"
    p_orders, p_leads, p_camps = (tmp_path / n for n in ("o.csv", "l.csv", "c.csv"))
    for a, b in ((orders, p_orders), (leads, p_leads), (camps, p_camps)):
        assert run(["clean", a, "-o", b, *flags], env=env).exit_code == 0
    assert pd.read_csv(p_leads, dtype=str)["联系电话"].dropna().str.startswith("ps_").all()

    def sheets(*args, **kw):
        out = tmp_path / "k.xlsx"
        res = run(["metrics", *args, "-o", out], **kw)
        assert res.exit_code == 0, res.stderr
        return pd.read_excel(out, sheet_name=None, engine="openpyxl")

    def same(a, b):
        assert list(a) == list(b)
        for name in a:
            pd.testing.assert_frame_equal(a[name], b[name])

    raw = sheets(orders, "--leads", leads, "--campaigns", camps, "--as-of", "2024-12-31")
    assert {"funnel", "campaigns"} <= set(raw)
    both = sheets(p_orders, "--leads", p_leads, "--campaigns", p_camps, "--as-of", "2024-12-31")
    mixed = sheets(orders, "--leads", p_leads, "--campaigns", p_camps, "--as-of", "2024-12-31", "--pseudonymize",
                   "customer_id", env=env)
    same(raw, both)
    same(raw, mixed)
    unmatched = sheets(orders, "--leads", p_leads, "--campaigns", p_camps, "--as-of", "2024-12-31")
    assert not unmatched["funnel"].equals(raw["funnel"])   # without the key, raw orders cannot meet pseudonyms


# --------------------------------------------------------------------------- encrypted workbooks


def test_encrypted_report_opens_with_the_password_only(run, cfg, tmp_path):
    import msoffcrypto

    pw = tmp_path / "pw.txt"
    pw.write_text("客户资料 2024!\n", encoding="utf-8")
    out = tmp_path / "enc.xlsx"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    res = run(["report", "--config", cfg / "crm.toml", "-o", out, "--password-file", pw, "--mask"],
              env={"TMPDIR": str(scratch)})
    assert res.exit_code == 0, res.stderr
    data = out.read_bytes()
    assert data.startswith(b"\xd0\xcf\x11\xe0") and b"xl/worksheets" not in data
    with pytest.raises(Exception):
        openpyxl.load_workbook(out)
    office = msoffcrypto.OfficeFile(io.BytesIO(data))
    office.load_key(password="客户资料 2024!")
    plain = io.BytesIO()
    office.decrypt(plain)
    assert "Summary" in openpyxl.load_workbook(plain).sheetnames or "概览" in openpyxl.load_workbook(plain).sheetnames
    bad = msoffcrypto.OfficeFile(io.BytesIO(data))
    bad.load_key(password="wrong")
    with pytest.raises(Exception):
        bad.decrypt(io.BytesIO())
    assert list(scratch.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["enc.xlsx", "ex", "pw.txt", "tmp"]


def test_encrypted_inputs_read_with_the_same_options(run, tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("pw-1234\n")
    enc = tmp_path / "rfm.xlsx"
    assert run(["rfm", EXAMPLES / "orders.xlsx", "-o", enc, "--password-file", pw]).exit_code == 0
    res = run(["inspect", enc, "--password-file", pw])
    assert res.exit_code == 0 and "customer_id" in res.stderr
    res = run(["inspect", enc], env={"CRM_XLSX_PASSWORD": "pw-1234"})
    assert res.exit_code == 0
    res = run(["inspect", enc])
    assert res.exit_code == 3 and "password-protected" in res.stderr
    res = run(["inspect", enc], env={"CRM_XLSX_PASSWORD": "nope"})
    assert res.exit_code == 3 and "wrong password" in res.stderr
    out = tmp_path / "plain.csv"
    res = run(["clean", enc, "-o", out, "--password-file", pw])
    assert res.exit_code == 0 and "unencrypted" in res.stderr and out.read_text(encoding="utf-8").count("\n") > 40
    page = tmp_path / "report.html"
    res = run(["report", EXAMPLES / "orders.xlsx", "-o", page, "--password-file", pw])
    assert res.exit_code == 0 and "report.html is written unencrypted" in res.stderr and page.exists()


# --------------------------------------------------------------------------- file modes


def test_cli_file_modes(run, tmp_path, cfg):
    old = os.umask(0o022)
    try:
        assert run(["rfm", EXAMPLES / "orders.xlsx", "-o", tmp_path / "r.csv"]).exit_code == 0
        assert run(["pivot", EXAMPLES / "orders.xlsx", "--rows", "channel", "--values", "amount",
                    "-o", tmp_path / "p.csv"]).exit_code == 0
        assert (tmp_path / "r.csv").stat().st_mode & 0o777 == 0o600
        assert (tmp_path / "p.csv").stat().st_mode & 0o777 == 0o644
        assert run(["report", "--config", cfg / "crm.toml", "-o", tmp_path / "rep.xlsx"]).exit_code == 0
        assert (tmp_path / "rep.xlsx").stat().st_mode & 0o777 == 0o600
        assert run(["report", "--config", cfg / "crm.toml", "-o", tmp_path / "rep.html"]).exit_code == 0
        assert (tmp_path / "rep.html").stat().st_mode & 0o777 == 0o600   # the page shows customers too
        res = run(["rfm", EXAMPLES / "orders.xlsx", "-o", tmp_path / "g.csv"], env={"CRM_FILE_MODE": "0640"})
        assert res.exit_code == 0 and (tmp_path / "g.csv").stat().st_mode & 0o777 == 0o640
        os.umask(0o077)
        assert run(["rfm", EXAMPLES / "orders.xlsx", "-o", tmp_path / "s.csv"],
                   env={"CRM_FILE_MODE": "0644"}).exit_code == 0
        assert (tmp_path / "s.csv").stat().st_mode & 0o777 == 0o600
        assert run(["rfm", EXAMPLES / "orders.xlsx"], env={"CRM_FILE_MODE": "rw"}).exit_code == 2
    finally:
        os.umask(old)


# --------------------------------------------------------------------------- retention


def test_report_keeps_exactly_n(run, cfg):
    toml = cfg / "crm.toml"
    set_privacy(toml, "keep = 3")
    reports = cfg / "reports"
    reports.mkdir(exist_ok=True)
    (reports / "summary-2024-01-01.xlsx").write_bytes(b"not ours")
    (reports / "report-final.xlsx").write_bytes(b"not dated")
    days = ["2024-12-01", "2024-12-05", "2024-12-10", "2024-12-15", "2024-12-20"]
    for day in days:
        res = run(["report", "--config", toml, "--as-of", day, "-q"])
        assert res.exit_code == 0, res.stderr
    dated = sorted(p.name for p in reports.glob("report-*-*-*.xlsx"))
    assert dated == [f"report-{d}.xlsx" for d in days[-3:]]
    assert (reports / "summary-2024-01-01.xlsx").exists() and (reports / "report-final.xlsx").exists()
    res = run(["report", "--config", toml, "--as-of", "2024-12-21", "--keep", "1"])
    assert "removed 3 older report(s)" in res.stderr
    assert sorted(p.name for p in reports.glob("report-*-*-*.xlsx")) == ["report-2024-12-21.xlsx"]


# --------------------------------------------------------------------------- audit log


def test_audit_log_lines_hold_no_cell_values(run, tmp_path, cfg):
    log = tmp_path / "logs" / "audit.jsonl"
    src = EXAMPLES / "customers_zh.csv"
    assert run(["clean", src, "-o", tmp_path / "c.xlsx", "--log", log]).exit_code == 0
    assert run(["report", "--config", cfg / "crm.toml", "-o", tmp_path / "r.xlsx", "--log", log, "--mask"]).exit_code == 0
    assert run(["validate", tmp_path / "missing.csv", "--log", log]).exit_code == 3
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    first, report, failed = (json.loads(x) for x in lines)
    assert first["command"] == "clean" and first["exit_code"] == 0
    assert first["inputs"] == [{"name": str(src), "bytes": src.stat().st_size,
                                "sha256": hashlib.sha256(src.read_bytes()).hexdigest(),
                                "rows": len(pd.read_csv(src, dtype=str))}]
    assert first["outputs"][0]["path"].endswith("c.xlsx") and first["outputs"][0]["mode"] == "0600"
    assert {"time", "command", "inputs", "outputs", "exit_code"} <= set(first)
    assert len(report["inputs"]) == 4 and report["privacy"]["mask"]
    assert failed["exit_code"] == 3 and failed["outputs"] == []
    values = personal_values(src, *_report_inputs(cfg))
    assert leaks(re.split(r'[",:{}\[\] ]+', log.read_text(encoding="utf-8")), values) == []
    assert log.stat().st_mode & 0o777 == 0o600
    res = run(["validate", src, "--log", tmp_path / "c.xlsx" / "x"])
    assert res.exit_code == 4
