"""Customer lists with a FEW planted duplicates (one in 60, two in 200, five in 1,000) and known truth.

Unlike ``make_customers.py`` (30 % of people repeated), these lists are what an analyst meets first: almost
every record is a different person, one to five are repeated, written another way — spacing and case in
the name (``韩嘉怡 `` / ``韩 嘉怡`` / ``SMITH, John``), the phone formatted differently (``+86 138 1234 5678``,
``138-1234-5678``, ``0086…``, full-width digits), the email in capitals or missing, a shortened address.
Originals carry the usual mess too (landlines, a truncated phone, a full-width ＠), and a few very common
names (张伟, 王芳, John Smith) are given to *different* people, who must stay apart.

``entity`` is the truth (not a mapped header, so dedupe ignores it).

    python benchmarks/make_lists.py 200 --duplicates 2 -o /tmp/list.csv [--seed 1] [--lang zh|en]
"""

from __future__ import annotations

import argparse
import random

import pandas as pd
from make_customers import CITIES, COMMON, DOMAINS, EN_FIRST, EN_LAST, GIVEN, PREFIX, ROADS, SURNAMES

HEADERS = {"zh": {"name": "客户名称", "phone": "联系电话", "email": "邮箱", "city": "城市", "address": "地址"},
           "en": {"name": "Name", "phone": "Phone", "email": "Email", "city": "City", "address": "Address"}}
EN_STREETS = ["High Street", "Station Road", "Main St", "Park Avenue", "Church Lane", "Mill Road", "King Street",
              "Victoria Rd", "Green Lane", "Manor Way", "Queens Road", "School Lane"]
EN_CITIES = ["London", "Leeds", "Bristol", "Manchester", "Glasgow", "Cardiff", "York", "Bath", "Leicester"]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _name(rng: random.Random, lang: str) -> str:
    if rng.random() < 0.06:   # a very common name, given to different people
        return rng.choice([c for c in COMMON if (" " in c) == (lang == "en")])
    if lang == "en":
        return f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _person(rng: random.Random, pid: int, lang: str) -> dict[str, str]:
    name = _name(rng, lang)
    phone = rng.choice(PREFIX) + f"{rng.randrange(10**8):08d}"
    if lang == "en":
        first, last = name.lower().split(" ", 1)
        user = rng.choice([f"{first}.{last}{pid}", f"{first[0]}{last}{pid}", f"{first}{pid}", f"{last}.{first[:1]}{pid}"])
        city = rng.choice(EN_CITIES)
        address = f"{rng.randrange(1, 300)} {rng.choice(EN_STREETS)}"
    else:
        user = rng.choice([f"u{pid}", f"user{1000 + pid}", f"{pid}x{rng.randrange(100)}"])
        city, prov, shi = rng.choice(CITIES)
        address = f"{prov}{shi if shi != prov else ''}{rng.choice(ROADS)}{rng.randrange(1, 999)}号"
    rec = {"name": name, "phone": phone, "email": f"{user}@{rng.choice(DOMAINS)}", "city": city, "address": address}
    r = rng.random()   # the mess originals carry too
    if r < 0.04:
        rec["phone"] = f"0{rng.choice(['10', '21', '571', '20'])}-{rng.randrange(6000_0000, 8999_9999)}"   # a landline
    elif r < 0.06:
        rec["phone"] = phone[:7]   # truncated by a spreadsheet
    elif r < 0.09:
        rec["email"] = rec["email"].replace("@", "＠")
    elif r < 0.12:
        rec["email"] = ""
    return rec


def _rewrite_name(rng: random.Random, name: str) -> str:
    if " " in name:
        first, last = name.split(" ", 1)
        return rng.choice([name.upper(), name.lower(), f"{last}, {first}", f"{last.upper()}, {first}", f" {name}",
                           f"{first}  {last}", f"Mr {name}" if rng.random() < 0.5 else f"Ms {name}"])
    return rng.choice([name + " ", " " + name, " ".join(name), name[0] + " " + name[1:], name + "先生",
                       name + "女士", f" {name} "])


def _rewrite_phone(rng: random.Random, p: str) -> str:
    if not p.isdigit() or len(p) != 11:
        return p
    return rng.choice([f"+86 {p[:3]} {p[3:7]} {p[7:]}", f"{p[:3]}-{p[3:7]}-{p[7:]}", f"0086{p}", f"{p[:3]} {p[3:7]} {p[7:]}",
                       p.translate(FULL_WIDTH), f"({p[:3]}) {p[3:]}", f"+86-{p}", f"{p}.0"])


def duplicate_of(rng: random.Random, rec: dict[str, str]) -> dict[str, str]:
    """The same person written another way: name spacing/case, phone formatting, email case or missing…"""
    d = dict(rec)
    d["name"] = _rewrite_name(rng, d["name"]) if rng.random() < 0.8 else d["name"]
    d["phone"] = _rewrite_phone(rng, d["phone"]) if rng.random() < 0.8 else d["phone"]
    r = rng.random()
    if r < 0.3:
        d["email"] = d["email"].upper()
    elif r < 0.55 and d["phone"]:
        d["email"] = ""                       # a missing email
    elif r < 0.65 and d["email"]:
        d["phone"] = ""                       # or a missing phone
    if rng.random() < 0.3:
        d["address"] = d["address"].replace("号", "").replace(" ", "  ", 1) if rng.random() < 0.5 else ""
    if rng.random() < 0.15:
        d["city"] = ""
    return d


def make_list(n: int, duplicates: int, seed: int = 1, lang: str = "zh") -> pd.DataFrame:
    """``n`` records of which ``duplicates`` repeat another person (each a different one); shuffled."""
    if not 0 <= duplicates <= n // 2:
        raise ValueError("duplicates must be between 0 and n/2")
    rng = random.Random(seed)
    people = [_person(rng, pid, lang) for pid in range(n - duplicates)]
    rows = [{"entity": pid, **p} for pid, p in enumerate(people)]
    for pid in rng.sample(range(len(people)), duplicates):
        rows.append({"entity": pid, **duplicate_of(rng, people[pid])})
    rng.shuffle(rows)
    frame = pd.DataFrame(rows).rename(columns=HEADERS[lang])
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")   # as read_table numbers rows (Excel)
    return frame


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int)
    ap.add_argument("--duplicates", type=int, default=1)
    ap.add_argument("-o", "--output", default="list.csv")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lang", choices=["zh", "en"], default="zh")
    args = ap.parse_args()
    make_list(args.n, args.duplicates, args.seed, args.lang).to_csv(args.output, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
