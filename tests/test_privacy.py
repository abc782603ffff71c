"""crmcli.privacy as a library: masks, pseudonyms, the policy on tables, encryption, retention, the audit trail."""

from __future__ import annotations

import io
import json
import os

import pandas as pd
import pytest

from crmcli.errors import CrmError, InputError, UsageError
from crmcli.io import read_table, write_table
from crmcli.privacy import (AuditTrail, Privacy, Pseudonymizer, applied, decrypt_workbook, encrypt_workbook,
                            is_encrypted, is_pseudonym, mask_value, protect_table, prune_reports, recording,
                            shape_value)
from crmcli.privacy.kinds import column_kinds, key_kind
from crmcli.privacy.mask import KINDS

KEY = "test-key-0123456789abcdef0123456789"
ALL = frozenset(KINDS)


# --------------------------------------------------------------------------- masks


@pytest.mark.parametrize("value, kind, masked", [
    ("+8613812345678", "phone", "138****5678"),
    ("13812345678", "phone", "138****5678"),
    ("+447911123456", "phone", "+44 79** ***456"),
    ("+14155552671", "phone", "+1 41*-***-*671"),
    ("+8613812345678; +8613912345679", "phone", "138****5678; 139****5679"),
    ("138****5678", "phone", "138****5678"),
    ("zhangsan@qq.com", "email", "z***@qq.com"),
    ("张三", "name", "张*"),
    ("欧阳娜娜", "name", "欧***"),
    ("John Smith", "name", "J*** Smith"),
    ("Mary Ann Smith", "name", "M*** A*** Smith"),
    ("北京市朝阳区建国路88号SOHO现代城A座1201", "address", "北京市朝阳区***"),
    ("广东省深圳市南山区科技园科苑路15号", "address", "广东省深圳市南山区***"),
    ("幸福小区3栋2单元", "address", "***"),
    ("221B Baker Street, London NW1 6XE, UK", "address", "London, UK***"),
    ("100020", "postcode", "100***"),
    ("SW1A 1AA", "postcode", "SW1A ***"),
    ("110101199003071234", "national_id", "110***********1234"),
    ("1990-03-07", "birth_date", "1990-**-**"),
])
def test_mask_rules(value, kind, masked):
    assert mask_value(value, kind) == masked
    assert mask_value(masked, kind) == masked           # masking twice = once


def test_mask_keeps_empty_missing_and_pseudonyms():
    ps = Pseudonymizer(KEY).pseudonym("+8613812345678", "phone")
    for kind in KINDS:
        assert mask_value("", kind) == ""
        assert mask_value(None, kind) is None
        assert mask_value(ps, kind) == ps


def test_shapes_show_layout_not_values():
    assert shape_value("13812345678") == "1**********"
    assert shape_value("user@example.com", "email") == "u***@***.com"
    assert "3812" not in shape_value("+86 138 1234 5678")


def test_customer_keys_that_are_contacts_are_masked_ids_kept():
    assert key_kind("zoe.brown341@proton.me") == "email"
    assert key_kind("+8613812345678") == "phone"
    assert key_kind("张三") == "name" and key_kind("Zoe Brown") == "name"
    for ident in ("C10036", "10023", "tb_zhangsan88", "#1001"):
        assert key_kind(ident) is None
    df = pd.DataFrame({"customer_id": ["C10036", "zoe.brown341@proton.me", "+8613812345678"],
                       "monetary": [1.5, 2.5, 3.5]})
    out = protect_table(df, Privacy(mask=ALL))
    assert out["customer_id"].tolist() == ["C10036", "z***@proton.me", "138****5678"]
    assert out["monetary"].tolist() == [1.5, 2.5, 3.5]
    assert df["customer_id"].iloc[1] == "zoe.brown341@proton.me"   # the input is untouched


def test_columns_known_by_header_attrs_and_labels():
    df = pd.DataFrame({"联系电话": ["13812345678"], "Name": ["Zoe Brown"], "客户名称": ["张三"], "x": ["a"],
                       "邮箱": ["a@b.cn"], "金额": ["12"]})
    assert column_kinds(df) == {"联系电话": "phone", "Name": "name", "客户名称": "name", "邮箱": "email"}
    df.attrs["fields"] = {"x": "phone"}            # a --map'ped column, as Table.cleaned() says it
    assert column_kinds(df)["x"] == "phone"


def test_issue_lists_are_masked_per_row_and_in_messages():
    issues = pd.DataFrame({"row": [2, 3, 4], "column": ["电话", "邮箱", "客户ID"],
                           "field": ["phone", "email", "customer_id"],
                           "value": ["1381234567", "zhang@@qq.com", "13812345678"],
                           "code": ["invalid-phone", "invalid-email", "duplicate-id"], "severity": ["error"] * 3,
                           "message": ["not valid", "not valid", "customer_id 13812345678 already on row 2"],
                           "suggestion": ["", "", ""]})
    out = protect_table(issues, Privacy(mask=ALL))
    assert "1381234567" not in out["value"].iloc[0]
    assert "zhang@" not in out["value"].iloc[1]
    assert "13812345678" not in " ".join(out["message"]) and "138****5678" in out["message"].iloc[2]


# --------------------------------------------------------------------------- pseudonyms


def test_pseudonyms_stable_normalized_keyed_and_marked():
    a, b = Pseudonymizer(KEY), Pseudonymizer(KEY)
    p = a.pseudonym("+8613812345678", "phone")
    assert is_pseudonym(p) and p.startswith("ps_")
    assert b.pseudonym("138 1234 5678", "phone") == p == b.pseudonym("0086-138-1234-5678", "phone")
    assert a.pseudonym("Zhang@QQ.com", "email") == a.pseudonym("zhang@qq.com", "email")
    assert Pseudonymizer(KEY + "x").pseudonym("+8613812345678", "phone") != p
    assert a.pseudonym(p, "phone") == p                 # never hashed twice
    assert KEY not in repr(a) and KEY not in repr(Privacy(pseudonymize=("phone",), pseudonymizer=a))


def test_pseudonyms_refused_without_a_strong_key():
    with pytest.raises(UsageError):
        Pseudonymizer("")
    with pytest.raises(UsageError):
        Pseudonymizer("short")
    with pytest.raises(UsageError):
        Privacy(pseudonymize=("phone",))


def test_pseudonymized_values_pass_the_field_rules():
    from crmcli.fields import normalize_field

    p = Pseudonymizer(KEY)
    s = pd.Series([p.pseudonym("+8613812345678", "phone"), "13912345678"], dtype="str")
    res = normalize_field(s, "phone")
    assert res.codes.tolist() == ["", ""] and res.values.iloc[0] == s.iloc[0]
    e = pd.Series([p.pseudonym("a@b.cn", "email")], dtype="str")
    assert normalize_field(e, "email").codes.tolist() == [""]


# --------------------------------------------------------------------------- errors


def test_error_values_quoted_only_when_asked():
    exc = CrmError("no record with 电话 = {value}", values=("13812345678",))
    assert "13812345678" in exc.render()[0]
    hidden = exc.render(quote_values=False)[0]
    assert "13812345678" not in hidden and "(a value)" in hidden


# --------------------------------------------------------------------------- encryption


def test_encrypted_workbook_round_trip(tmp_path):
    import msoffcrypto

    df = pd.DataFrame({"客户名称": ["张三"], "联系电话": ["+8613812345678"], "金额": [12.5]})
    dest = tmp_path / "out.xlsx"
    write_table(df, dest, privacy=Privacy(password="s3cret 密码"))
    data = dest.read_bytes()
    assert is_encrypted(data) and not data.startswith(b"PK")
    assert "张三".encode("utf-8") not in data and b"8613812345678" not in data
    office = msoffcrypto.OfficeFile(io.BytesIO(data))
    office.load_key(password="s3cret 密码")
    plain = io.BytesIO()
    office.decrypt(plain)
    assert plain.getvalue().startswith(b"PK")
    back = read_table(dest, password="s3cret 密码")
    assert back["客户名称"].tolist() == ["张三"]
    with pytest.raises(InputError, match="password-protected"):
        read_table(dest)
    with pytest.raises(InputError, match="wrong password"):
        read_table(dest, password="nope")
    with applied(Privacy(password="s3cret 密码")):    # the policy's password reads it too
        assert read_table(dest)["联系电话"].tolist() == ["+8613812345678"]


def test_encrypt_decrypt_bytes():
    buf = io.BytesIO()
    from crmcli.io.xlsx import WorkbookWriter, write_frame
    from crmcli.io.xlsx_temp import open_workbook

    with open_workbook(buf) as wb:
        write_frame(WorkbookWriter(wb), "s", pd.DataFrame({"a": ["x"]}))
    enc = encrypt_workbook(buf.getvalue(), "pw")
    assert enc.startswith(b"\xd0\xcf\x11\xe0") and is_encrypted(enc)
    assert decrypt_workbook(enc, "pw", "t.xlsx") == buf.getvalue()


def test_nothing_plain_reaches_the_disk(tmp_path, monkeypatch):
    """The temp file beside the destination only ever receives the encrypted bytes; the xlsx temp folder goes."""
    import tempfile

    from crmcli.io import atomic

    written: list[bytes] = []
    real = atomic.atomic_write

    def spy(dest, write, **kw):
        def capture(fh):
            buf = io.BytesIO()
            write(buf)
            written.append(buf.getvalue())
            fh.write(buf.getvalue())
        return real(dest, capture, **kw)

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    import crmcli.io.xlsx as xlsx
    monkeypatch.setattr(xlsx, "atomic_write", spy)
    df = pd.DataFrame({"客户名称": ["张三"] * 500, "联系电话": ["+8613812345678"] * 500})
    write_table(df, tmp_path / "enc.xlsx", privacy=Privacy(password="pw"))
    assert written and all(b.startswith(b"\xd0\xcf\x11\xe0") for b in written)
    assert list(scratch.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["enc.xlsx", "tmp"]


# --------------------------------------------------------------------------- file modes


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield lambda m: os.umask(m)
    os.umask(old)


def test_personal_outputs_private_others_not(tmp_path, umask):
    people = pd.DataFrame({"phone": ["+8613812345678"], "n": [1]})
    totals = pd.DataFrame({"channel": ["天猫"], "revenue": [12.5]})
    for ext in ("csv", "xlsx", "json"):
        write_table(people, tmp_path / f"p.{ext}")
        write_table(totals, tmp_path / f"t.{ext}")
        assert (tmp_path / f"p.{ext}").stat().st_mode & 0o777 == 0o600
        assert (tmp_path / f"t.{ext}").stat().st_mode & 0o777 == 0o644
    write_table(people, tmp_path / "g.csv", privacy=Privacy(file_mode=0o640))
    assert (tmp_path / "g.csv").stat().st_mode & 0o777 == 0o640
    umask(0o077)                                        # a stricter umask wins
    write_table(people, tmp_path / "s.csv", privacy=Privacy(file_mode=0o640))
    write_table(totals, tmp_path / "s2.csv")
    assert (tmp_path / "s.csv").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "s2.csv").stat().st_mode & 0o777 == 0o600
    umask(0o022)
    loose = tmp_path / "old.csv"
    loose.write_text("x\n")
    loose.chmod(0o644)
    write_table(people, loose)                          # a personal output replacing a looser file
    assert loose.stat().st_mode & 0o777 == 0o600


# --------------------------------------------------------------------------- retention


def test_retention_keeps_exactly_n_and_only_its_own(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    for day in range(1, 11):
        (folder / f"report-2024-03-{day:02d}.xlsx").write_bytes(b"x")
    others = ["report-2024-13-01.xlsx", "other-2024-03-01.xlsx", "report-2024-03-01.csv", "report-latest.xlsx",
              "notes.txt"]
    for name in others:
        (folder / name).write_bytes(b"y")
    (folder / "report-2024-02-01.xlsx").symlink_to(folder / "notes.txt")
    (folder / "report-2024-02-02.xlsx").mkdir()
    template = str(folder / "report-{date}.xlsx")
    removed = prune_reports(template, 3, str(folder / "report-2024-03-10.xlsx"))
    kept = sorted(p.name for p in folder.iterdir() if p.name.startswith("report-2024-03") and p.suffix == ".xlsx")
    assert kept == ["report-2024-03-08.xlsx", "report-2024-03-09.xlsx", "report-2024-03-10.xlsx"]
    assert len(removed) == 7
    for name in others + ["report-2024-02-01.xlsx", "report-2024-02-02.xlsx"]:
        assert (folder / name).exists() or (folder / name).is_symlink(), name
    # a backfilled older report is kept; the N-1 newest others with it
    removed = prune_reports(template, 2, str(folder / "report-2024-03-08.xlsx"))
    assert sorted(p.name for p in folder.glob("report-2024-03-*.xlsx")) == ["report-2024-03-08.xlsx",
                                                                            "report-2024-03-10.xlsx"]


# --------------------------------------------------------------------------- audit


def test_audit_trail_records_reads_and_writes_not_values(tmp_path):
    src = tmp_path / "c.csv"
    src.write_text("姓名,电话\n张三,13812345678\n李四,13912345678\n", encoding="utf-8")
    trail = AuditTrail()
    with recording(trail):
        df = read_table(src)
        write_table(df, tmp_path / "o.csv")
    assert trail.inputs[0]["rows"] == 2 and trail.inputs[0]["bytes"] == src.stat().st_size
    import hashlib
    assert trail.inputs[0]["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert trail.outputs[0]["rows"] == 2 and trail.outputs[0]["mode"] == "0600"
    text = json.dumps(trail.inputs + trail.outputs, ensure_ascii=False)
    assert "张三" not in text and "13812345678" not in text


def test_basket_items_of_a_personal_field_are_masked_one_by_one(tmp_path):
    """Items are products as a rule; items of a personal field (``by="name"``) are masked like its column,
    each member of an item set on its own."""
    from crmcli.basket import find_associations

    src = tmp_path / "lines.csv"
    pd.DataFrame({"订单号": ["1", "1", "2", "2", "3", "3"], "下单时间": ["2024-01-01"] * 6,
                  "客户ID": ["a", "a", "b", "b", "c", "c"], "金额": [1] * 6,
                  "联系人": ["张三丰", "李四", "张三丰", "李四", "张三丰", "李四"]}).to_csv(src, index=False)
    found = find_associations(src, by="联系人", min_count=1)
    privacy = Privacy(mask=frozenset({"name"}))
    rules = protect_table(found.rules, privacy)
    assert sorted(rules["antecedent"]) == ["张**", "李*"] and found.rules["antecedent"].str.len().min() >= 2
    assert protect_table(found.itemsets, privacy)["itemset"].tolist()[-1] in ("张** + 李*", "李* + 张**")
    products = find_associations(src, by="订单号", min_count=1)     # not a personal field: as it is
    assert protect_table(products.itemsets, privacy)["itemset"].tolist() == products.itemsets["itemset"].tolist()
