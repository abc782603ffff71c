"""Make examples/shop_orders.csv: three years of a made-up online shop's orders, as a Shopify-style export.

    python examples/make_shop_orders.py

English headers (Order Number, Email, Billing Name, Phone, Paid at, Lineitem name, Lineitem quantity, Total,
Refunded Amount, Financial Status, Source, Currency), one row per order, date-times ("2023-11-24 10:15:03"),
a few partial refunds, refunded and voided orders (voided ones have no "Paid at"). Customers are keyed by their email; a third of them also give a (fictional, 555-01xx) phone
on every order.

The buying follows the BTYD story, so `crm clv` has something true to find: each customer buys at their
own rate (gamma across customers), may drop out after any purchase (beta across customers), and spends
around their own mean (gamma-gamma); new customers arrive faster every year; November (Black Friday)
and December sell more, January and February less — a season `crm forecast` can learn from three years.
Deterministic (seeded); writes only shop_orders.csv.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
START = dt.date(2022, 1, 1)
END = dt.date(2024, 12, 31)
MONTH_WEIGHT = {1: 0.7, 2: 0.75, 3: 0.9, 4: 0.95, 5: 1.0, 6: 0.95, 7: 0.9, 8: 0.95, 9: 1.0, 10: 1.05, 11: 1.7,
                12: 1.8}
FIRST = ["Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Grace", "Henry", "Chloe", "Jack", "Sofia",
         "Leo", "Isla", "Mason", "Zoe", "Owen", "Ella", "Ryan", "Wei", "Mei", "Hiro", "Aiko", "Priya", "Arjun"]
LAST = ["Smith", "Brown", "Wilson", "Taylor", "Clarke", "Walker", "Wright", "Hughes", "Green", "Hall", "Chen", "Wang",
        "Tanaka", "Sato", "Patel", "Singh", "Garcia", "Martin", "Lee", "Kim"]
DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "example.org"]
PRODUCTS = [("Pour-over coffee kit", 48.0), ("Single-origin beans 1 kg", 32.5), ("Ceramic mug", 18.0),
            ("Burr grinder", 129.0), ("Gift box", 65.0), ("Cold brew bottle", 24.0), ("Tea sampler", 29.0)]
SOURCES = ["web", "web", "web", "shopify_draft_order", "pos", "instagram"]
HEADER = ["Order Number", "Email", "Billing Name", "Phone", "Paid at", "Lineitem name", "Lineitem quantity", "Total",
          "Refunded Amount", "Financial Status", "Source", "Currency"]


def purchase_days(rng: random.Random, first: dt.date, rate: float, dropout: float) -> list[dt.date]:
    """Days of a customer's purchases: the first, then a seasonal Poisson process until they drop out."""
    days = [first]
    day = first
    top = max(MONTH_WEIGHT.values())
    while True:
        if rng.random() < dropout:  # drops out after this purchase
            return days
        while True:  # thinning: candidate times at the peak rate, kept with the month's weight
            day = day + dt.timedelta(days=max(1, round(rng.expovariate(rate * top))))
            if day > END:
                return days
            if rng.random() < MONTH_WEIGHT[day.month] / top:
                break
        days.append(day)


def main() -> None:
    rng = random.Random(20250301)
    span = (END - START).days
    rows = []
    customers = 0
    order_no = 1001
    seen_emails: set[str] = set()
    # arrivals: growing over the three years, seasonal like the sales
    for offset in range(span + 1):
        day = START + dt.timedelta(days=offset)
        arrivals = 0.45 * (1 + offset / 365) * MONTH_WEIGHT[day.month]
        for _ in range(_poisson(rng, arrivals)):
            customers += 1
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first.lower()}.{last.lower()}{rng.randint(1, 999)}@{rng.choice(DOMAINS)}"
            if email in seen_emails:
                continue
            seen_emails.add(email)
            phone = f"+1 {rng.choice(['415', '646', '312', '206'])}-555-01{rng.randint(0, 99):02d}" \
                if rng.random() < 0.33 else ""
            rate = rng.gammavariate(0.9, 1 / 30)       # purchases per day while alive (mean ~ one a month)
            dropout = rng.betavariate(1.2, 3.5)        # chance of leaving after each purchase
            scale = rng.gammavariate(3.0, 1.0) * 14    # the customer's own spending level
            for when in purchase_days(rng, day, rate, dropout):
                product, price = rng.choice(PRODUCTS)
                qty = 1 if rng.random() < 0.75 else rng.randint(2, 4)
                total = round(max(8.0, rng.gammavariate(4.0, scale / 4)) + price * 0.2 * (qty - 1), 2)
                status, refunded, paid = "paid", "0.00", True
                r = rng.random()
                if r < 0.03:
                    status, refunded = "partially_refunded", f"{round(total * rng.choice([0.2, 0.3, 0.5]), 2):.2f}"
                elif r < 0.045:
                    status, refunded = "refunded", f"{total:.2f}"
                elif r < 0.055:
                    status, paid = "voided", False
                stamp = dt.datetime.combine(when, dt.time(rng.randint(7, 23), rng.randint(0, 59), rng.randint(0, 59)))
                rows.append([f"#{order_no}", email, f"{first} {last}", phone,
                             stamp.strftime("%Y-%m-%d %H:%M:%S") if paid else "", product, str(qty),
                             f"{total:.2f}", refunded, status, rng.choice(SOURCES), "USD"])
                order_no += 1
    rows.sort(key=lambda r: (r[4] or "9999", r[0]))
    # the export ends on the last day of the year (so December is a complete month)
    rows.append([f"#{order_no}", "grace.hall77@example.org", "Grace Hall", "", "2024-12-31 21:04:11",
                 "Gift box", "1", "65.00", "0.00", "paid", "web", "USD"])
    with open(HERE / "shop_orders.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows)
    print(f"wrote shop_orders.csv: {len(rows)} orders, {customers} customers")


def _poisson(rng: random.Random, lam: float) -> int:
    threshold, k, prod = math.exp(-lam), 0, rng.random()
    while prod > threshold:
        k += 1
        prod *= rng.random()
    return k


if __name__ == "__main__":
    main()
