"""Generate N customer records (zh and en names) with known duplicates and same-name strangers.

Each person gets a name, a mobile, an email, a city and an address; 30 % of people appear again
one to three times, written another way (phone as ``+86 138 1234 5678`` / ``0086-…`` / a float,
email in upper case, ``张伟先生`` / ``张 伟`` / ``Smith, John`` / ``Mr John Smith`` / a typo,
a shortened address, a blank field, sometimes a second phone or email). A pool of very common
names (张伟, 王芳, 李娜, John Smith, …) is given to many *different* people: they must stay apart.
The ``entity`` column is the ground truth (it is not mapped to a field, so dedupe ignores it).

    python benchmarks/make_customers.py 10000 -o /tmp/customers.csv [--seed 1] [--headers zh|en]
"""

from __future__ import annotations

import argparse
import random

import pandas as pd

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ("伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 浩 宇航 嘉怡 子轩 梓涵 欣怡 "
         "浩然 一诺 雨桐 俊杰 思远 晓东 建国 海燕 玉兰 文博 志强 佳琪 诗涵 博文 天佑 明轩 紫萱 若曦").split()
EN_FIRST = ("James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara Richard "
            "Susan Joseph Jessica Thomas Sarah Charles Karen Emma Olivia Liam Noah Ava Sophia Mia Ethan "
            "Lucas Amelia Harper Logan Chloe Grace Henry Leo Zoe Nora Owen Ruby").split()
EN_LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
           "Wilson Anderson Taylor Thomas Moore Jackson Martin Lee Thompson White Harris Clark Lewis "
           "Walker Young Allen King Wright Scott Green Baker Adams Nelson Hill Campbell Mitchell Carter").split()
COMMON = ["张伟", "王芳", "李娜", "王伟", "李伟", "刘洋", "John Smith", "Mary Johnson"]
CITIES = [("北京", "北京市", "北京市"), ("上海", "上海市", "上海市"), ("广州", "广东省", "广州市"),
          ("深圳", "广东省", "深圳市"), ("杭州", "浙江省", "杭州市"), ("成都", "四川省", "成都市"),
          ("南京", "江苏省", "南京市"), ("武汉", "湖北省", "武汉市"), ("西安", "陕西省", "西安市")]
ROADS = "人民路 中山路 解放路 建设路 和平路 科技园南路 华夏路 长江路 黄河路 新华路 文化路 胜利路 青年路 学府路".split()
PREFIX = "130 131 132 135 136 137 138 139 150 151 152 155 157 158 159 166 177 180 181 186 187 188 189 198".split()
DOMAINS = ["qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com", "example.cn"]


def _person(rng: random.Random, pid: int) -> dict:
    if rng.random() < 0.08:
        name = rng.choice(COMMON)
    elif rng.random() < 0.75:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    else:
        name = f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"
    city, prov, shi = rng.choice(CITIES)
    phone = rng.choice(PREFIX) + f"{rng.randrange(10**8):08d}"
    user = f"u{pid}{rng.choice(['', '.cn', '_x', '88'])}"
    return {"name": name, "phone": phone, "email": f"{user}@{rng.choice(DOMAINS)}", "city": city,
            "address": f"{prov}{shi if shi != prov else ''}{rng.choice(ROADS)}{rng.randrange(1, 999)}号",
            "prov": prov, "shi": shi}


def _phone_variant(rng: random.Random, p: str) -> str:
    return rng.choice([p, f"+86 {p[:3]} {p[3:7]} {p[7:]}", f"0086-{p}", f"{p}.0", f"{p[:3]}-{p[3:7]}-{p[7:]}",
                       f"({p[:3]}) {p[3:]}", "".join(chr(ord(c) + 0xFEE0) for c in p)])


def _name_variant(rng: random.Random, name: str) -> str:
    if " " in name:
        first, last = name.split(" ", 1)
        opts = [f"{last}, {first}", f"Mr {name}", name.upper(), f"{first} {last[:-1]}{last[-1] * 2}", name.lower()]
    else:
        opts = [name + rng.choice(["先生", "女士"]), " ".join(name), name, f" {name} "]
    return rng.choice(opts)


def _address_variant(rng: random.Random, p: dict) -> str:
    a = p["address"]
    return rng.choice([a, a.replace(p["prov"], "", 1), a.replace("号", ""), a + rng.choice(["", "3楼", "B座"]),
                       a.replace("路", "路 ", 1)])


def generate(n: int, seed: int = 1) -> pd.DataFrame:
    rng = random.Random(seed)
    rows, pid = [], 0
    while len(rows) < n:
        p = _person(rng, pid)
        rows.append({"entity": pid, "name": p["name"], "phone": p["phone"], "email": p["email"],
                     "city": p["city"], "address": p["address"]})
        if rng.random() < 0.3:
            for _ in range(rng.choice([1, 1, 1, 2, 3])):
                phone = _phone_variant(rng, p["phone"])
                email = p["email"].upper() if rng.random() < 0.2 else p["email"]
                if rng.random() < 0.12:          # a new phone, same email
                    phone = rng.choice(PREFIX) + f"{rng.randrange(10**8):08d}"
                elif rng.random() < 0.12:        # a new email, same phone
                    email = f"v{pid}@{rng.choice(DOMAINS)}"
                rec = {"entity": pid, "name": _name_variant(rng, p["name"]), "phone": phone, "email": email,
                       "city": p["city"], "address": _address_variant(rng, p)}
                for f in ("phone", "email", "address", "city"):
                    if rng.random() < 0.1:
                        rec[f] = ""
                if not rec["phone"] and not rec["email"]:
                    rec["phone"] = p["phone"]
                rows.append(rec)
        pid += 1
    frame = pd.DataFrame(rows[:n])
    order = list(range(len(frame)))
    rng.shuffle(order)
    return frame.iloc[order].reset_index(drop=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int)
    ap.add_argument("-o", "--output", default="customers.csv")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--headers", choices=["zh", "en"], default="zh")
    args = ap.parse_args()
    frame = generate(args.n, args.seed)
    if args.headers == "zh":
        frame = frame.rename(columns={"name": "客户名称", "phone": "手机", "email": "邮箱", "city": "城市",
                                      "address": "地址"})
    else:
        frame = frame.rename(columns=str.title)
    frame.to_csv(args.output, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
