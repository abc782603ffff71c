"""Organisation sites from several source lists, with known truth: the shape of dedupe.io's csv_example.

That public set (Chicago early-childhood sites scraped from four or five agency lists: Site name, Address,
Zip, Phone, Source…) is what this imitates, since it is not redistributable here: each *site* (a day-care
centre run by an agency, or a one-site provider) appears in one to four source lists, each list writing it
its own way:

- ``CPS_Early_Childhood_Portal_scrape.csv``: `` Agency - Site`` (sometimes `` / Agency`` again), no zip,
  ``1234 S Kedzie Ave`` or ``1234 S. Kedzie``, a 7-digit local phone; a site listed twice (two programs);
  public schools by their namesake alone (`` Sexton, Austin O.``);
- ``chapin_dfss_providers.csv``: ``AGENCY SITE`` upper case, ``1234 S KEDZIE AVENUE``, ``19TH STREET``, a zip;
- ``NAEYC_accreditation.csv``: the site's own name (``Christopher House-Rogers Park``, ``…, Inc.``),
  ``1234 South Kedzie Avenue Suite A``, a zip, sometimes another phone line, an email;
- ``head_start_locations.csv``: title case, the phone with its area code ``(773) 226-2649``, zips on some.

The hard part is the agencies: Chicago Youth Centers runs twenty sites, several share the central phone, two
sit on the same street a few numbers apart, and "Tots Express" is the name of two sites of two agencies.
``True Id`` is the truth (not a mapped header).

    python benchmarks/make_sites.py 1200 -o /tmp/sites.csv [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import string

import pandas as pd

AGENCIES = [  # (name, short name, how many sites it runs, relative)
    ("Chicago Youth Centers", "CYC", 6), ("Catholic Charities of the Archdiocese of Chicago", "Catholic Charities", 6),
    ("Henry Booth House", "Henry Booth", 6), ("YMCA of Metropolitan Chicago", "YMCA", 5),
    ("Marcy Newberry Association", "Marcy Newberry", 4), ("Easter Seals Society of Metropolitan Chicago", "Easter Seals", 3),
    ("Ada S. McKinley Community Services", "McKinley", 4), ("El Valor", "El Valor", 4),
    ("Christopher House", "Christopher House", 3), ("Salvation Army", "Sal Army", 3),
    ("Board Trustees-City Colleges of Chicago", "City Colleges", 3), ("Chicago Commons Association", "Chicago Commons", 3),
    ("Onward Neighborhood House", "Onward House", 2), ("Abraham Lincoln Centre", "Lincoln Centre", 2),
    ("Lutheran Social Services of Illinois", "LSSI", 2), ("Metropolitan Family Services", "Metro Family", 2),
    ("Chicago State University", "CSU", 3), ("Hull House Association", "Hull House", 3),
    ("Centers For New Horizons", "New Horizons", 2), ("Carole Robertson Center For Learning", "Carole Robertson", 2),
    ("Erie Neighborhood House", "Erie House", 1), ("St. Augustine College", "St. Augustine", 2),
    ("South East Asia Center", "SEAC", 1), ("Trinity Resources Unlimited, Inc.", "Trinity", 2),
]
NEIGHBOURHOODS = ("Rogers Park|Uptown|Logan Square|Pilsen|Roseland|Austin|Englewood|Woodlawn|Kenwood|Chatham|"
                  "Lakeview|Humboldt Park|Garfield Park|South Shore|Bridgeport|Little Village|Albany Park|Edgewater|"
                  "Ashburn|Brighton Park|Gage Park|Hegewisch|Lawndale|Morgan Park|Beverly|Avondale|Hermosa|"
                  "Portage Park|Chinatown|Bronzeville|Douglas|Oakland|Riverdale|Pullman|Hyde Park|Irving Park|"
                  "Belmont Cragin").split("|")
CENTRE_WORDS = ["Tiny Tots", "Little Learners", "Kiddie Kingdom", "Bright Beginnings", "Happy Holiday", "Rainbow",
                "Little Angels", "Busy Bees", "Sunshine", "Building Blocks", "Kids R Us", "Tots Express", "Jelly Bean",
                "Little Hands", "Precious Moments", "Learning Tree", "Wonder Years", "First Steps", "Alphabet",
                "Teddy Bear", "Love N Learn", "Growing Minds", "Stepping Stones", "Garden of Eden", "New Pisgah",
                "Little Tykes", "Itsy Bitsy", "Apple Tree", "Gingerbread House", "Shining Star", "Cuddle Care"]
CENTRE_KINDS = ["Day Care", "Child Care Center", "Academy", "Learning Center", "Early Learning Academy",
                "Child Development Center", "Nursery", "Preschool", "Head Start", "Family Center"]
PEOPLE = ["Sexton, Austin O.", "Ryder, William H.", "Stagg, Amos A.", "Yates, Richard", "Revere, Paul",
          "Ruggles, Martha M.", "Tanner, Henry O.", "Ward, Laura S.", "Whittier, John Greenleaf", "Stowe, Harriet Beecher",
          "Reavis, William Claude", "Young, Ella Flagg", "Shields, James", "Sherwood, Jessie", "Pickard, Josiah L.",
          "Perez, Manuel", "Robinson, Jackie R.", "Seward, William H.", "Williams, Daniel H.", "Thorp, James N.",
          "Hinton, Lula", "Kershaw, Joseph", "Dulles, John Foster", "Fiske, John", "Deneen, Charles", "Madison, James",
          "Guggenheim, Harry", "Gresham, Walter", "Bond, Carrie", "Morgan, Garrett", "Barton, Clara",
          "Bradwell, Myra", "Hoyne, Thomas", "Jordan, Barbara", "McKay, Claude", "Aldridge, Ira"]
CHURCHES = ["St. Kevin", "Our Lady of Lourdes", "St. Bronislava", "Our Lady of Tepeyac", "St. Joseph",
            "Holy Family", "St. John of God", "Immaculate Conception", "St. Mark", "Ebenezer", "Maria's Garden"]
STREETS = [("N", "Ogden", "Ave"), ("S", "Kedzie", "Ave"), ("W", "Roosevelt", "Rd"), ("W", "Bryn Mawr", "Ave"),
           ("W", "Van Buren", "St"), ("S", "Torrence", "Ave"), ("S", "Wentworth", "Ave"), ("S", "May", "St"),
           ("W", "Belmont", "Ave"), ("N", "Lamon", "Ave"), ("W", "Ainslie", "St"), ("S", "Edbrooke", "Ave"),
           ("W", "Wilson", "Ave"), ("E", "75th", "St"), ("S", "Racine", "Ave"), ("N", "Karlov", "Ave"),
           ("W", "61st", "St"), ("S", "Keeler", "Ave"), ("N", "Mason", "Ave"), ("W", "69th", "St"),
           ("N", "Harding", "Ave"), ("S", "Springfield", "Ave"), ("W", "Morse", "Ave"), ("E", "71st", "St"),
           ("N", "Hamlin", "Ave"), ("W", "Foster", "Ave"), ("W", "43rd", "St"), ("W", "Superior", "St"),
           ("W", "35th", "St"), ("W", "Garfield", "Blvd"), ("S", "Loomis", "Blvd"), ("W", "Marquette", "Rd"),
           ("W", "Devon", "Ave"), ("S", "Paulina", "St"), ("N", "Lawndale", "Ave"), ("W", "19th", "St"),
           ("W", "Pierce", "Ave"), ("S", "Cottage Grove", "Ave"), ("S", "Stony Island", "Ave"), ("S", "Ashland", "Ave"),
           ("N", "Greenview", "Ave"), ("S", "State", "St"), ("W", "North", "Ave"), ("W", "Division", "St"),
           ("S", "Michigan", "Ave"), ("S", "Wabash", "Ave"), ("N", "Clark", "St"), ("S", "Western", "Ave"),
           ("N", "Pulaski", "Rd"), ("W", "Lake", "St"), ("S", "Halsted", "St"), ("N", "Milwaukee", "Ave")]
LONG = {"N": "North", "S": "South", "E": "East", "W": "West", "Ave": "Avenue", "St": "Street", "Rd": "Road",
        "Blvd": "Boulevard"}
SOURCES = ["CPS_Early_Childhood_Portal_scrape.csv", "chapin_dfss_providers_2011_070212.csv",
           "NAEYC_accreditation.csv", "head_start_locations.csv"]
COVERAGE = [0.6, 0.45, 0.25, 0.25]


def _typo(rng: random.Random, s: str) -> str:
    letters = [i for i, c in enumerate(s) if c.isalpha()]
    if len(letters) < 4:
        return s
    i = rng.choice(letters[1:])
    return s[:i] + s[i + 1:] if rng.random() < 0.5 else s[:i] + rng.choice(string.ascii_lowercase) + s[i + 1:]


def _sites(rng: random.Random, n: int) -> list[dict]:
    sites: list[dict] = []
    weights = [w for _, _, w in AGENCIES]
    while len(sites) < n:
        r = rng.random()
        num = rng.randrange(1, 12000)
        street = rng.choice(STREETS)
        phone = f"{rng.randrange(200, 999)}{rng.randrange(10000):04d}"
        site = {"id": len(sites), "num": num, "street": street, "zip": f"606{rng.randrange(1, 62):02d}",
                "phone": phone, "agency": "", "short": "", "site": "", "email": ""}
        if r < 0.55:     # a site of a multi-site agency
            agency, short, _ = rng.choices(AGENCIES, weights)[0]
            site.update(agency=agency, short=short)
            site["site"] = rng.choice([rng.choice(NEIGHBOURHOODS), rng.choice(CENTRE_WORDS),
                                       f"{rng.choice(CENTRE_WORDS)} {rng.choice(CENTRE_KINDS)}", rng.choice(CHURCHES),
                                       f"{rng.choice(NEIGHBOURHOODS)} {rng.choice(CENTRE_KINDS)}"])
            same = [s for s in sites if s["agency"] == agency]
            if same and rng.random() < 0.25:           # the agency's central line
                site["phone"] = rng.choice(same)["phone"]
            if same and rng.random() < 0.1:            # a second building on the same street
                other = rng.choice(same)
                site["street"], site["num"] = other["street"], other["num"] + rng.choice([1, 2, 8, 10, 20])
        elif r < 0.7:    # a public school
            site.update(agency="Chicago Public Schools", short="CPS", site=rng.choice(PEOPLE))
            if any(s["site"] == site["site"] for s in sites):
                site["site"] = site["site"].split(",")[0] + " " + rng.choice(["Academy", "Elementary", "CPC"])
        else:            # a one-site provider
            site["site"] = f"{rng.choice(CENTRE_WORDS)} {rng.choice(CENTRE_KINDS)}"
        site["email"] = (f"{''.join(w[0] for w in site['site'].split() if w[0].isalpha()).lower()}"
                         f"{rng.randrange(100)}@{rng.choice(['aol.com', 'sbcglobal.net', 'gmail.com', 'yahoo.com'])}")
        sites.append(site)
    return sites


def _address(rng: random.Random, s: dict, style: str) -> str:
    d, name, kind = s["street"]
    num = s["num"]
    if style == "cps":
        dot = "." if rng.random() < 0.3 else ""
        out = f"{num} {d}{dot} {name} {kind if rng.random() < 0.8 else ''} ".replace("  ", " ")
        return out.lower() if rng.random() < 0.05 else out
    if style == "dfss":
        kind = LONG.get(kind, kind) if rng.random() < 0.5 else kind
        return f"{num} {d} {name} {kind} ".upper().replace("ST ", "STREET ", 1 if rng.random() < 0.2 else 0)
    if style == "naeyc":
        extra = rng.choice(["", "", "", "", " Suite A", " 1st Floor", " Building Z", " Lower level"])
        if rng.random() < 0.1:
            num = f"{num}-{(num + 4) % 100:02d}"
        return f"{num} {LONG[d]} {name} {LONG.get(kind, kind)}{extra}  "
    dot = "." if rng.random() < 0.5 else ""
    return f"{num} {d}{dot} {name} {kind}{dot}"


def _name(rng: random.Random, s: dict, style: str) -> str:
    site, agency, short = s["site"], s["agency"], s["short"]
    if agency == "Chicago Public Schools":
        if style == "dfss":
            return f"CHICAGO PUBLIC SCHOOLS {site}".upper()
        return f" {site}" if rng.random() < 0.6 else f" {site.split(',')[0]}"
    if style == "cps":
        if not agency:
            return f" {site} - {site}" if rng.random() < 0.3 else f" {site}"
        tail = f" / {short}" if rng.random() < 0.2 else ""
        return f" {agency} - {site}{tail}"
    if style == "dfss":
        return f"{agency} {site}".upper().strip()
    if style == "naeyc":
        base = rng.choice([site, f"{short}-{site}", f"{agency} {site}"]) if agency else site
        return f" {base}{', Inc.' if rng.random() < 0.1 else ''}"
    return (f"{agency} - {site}" if agency and rng.random() < 0.5 else site).title()


def _phone(rng: random.Random, s: dict, style: str) -> str:
    p = s["phone"]
    if rng.random() < 0.12:
        return ""
    if style == "naeyc" and rng.random() < 0.15:
        return f"{rng.randrange(200, 999)}{rng.randrange(10000):04d}"   # another line
    if style == "head":
        return f"(773) {p[:3]}-{p[3:]}" if rng.random() < 0.6 else f"773-{p[:3]}-{p[3:]}"
    return p


def generate(n: int, seed: int = 1) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    styles = ["cps", "dfss", "naeyc", "head"]
    for s in _sites(rng, n):
        chosen = [k for k in range(4) if rng.random() < COVERAGE[k]] or [rng.randrange(4)]
        for k in chosen:
            style = styles[k]
            for _ in range(2 if style == "cps" and rng.random() < 0.25 else 1):   # listed under two programs
                name = _name(rng, s, style)
                if rng.random() < 0.05:
                    name = _typo(rng, name)
                address = _address(rng, s, style)
                if rng.random() < 0.04:
                    address = _typo(rng, address)
                rows.append({
                    "True Id": s["id"], "Source": SOURCES[k], "Site name": name, "Address": address,
                    "Zip": "" if style == "cps" or (style == "head" and rng.random() < 0.4) else s["zip"],
                    "Phone": _phone(rng, s, style),
                    "Program Name": rng.choice(["Child Care", "Head Start", "Pre-K", ""]),
                    "Agency": s["agency"].upper() if style == "dfss" else "",
                    "Email Address": s["email"] if style == "naeyc" and rng.random() < 0.7 else "",
                })
    frame = pd.DataFrame(rows)
    frame.insert(0, "Id", range(len(frame)))
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")
    return frame


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int, nargs="?", default=1200)
    ap.add_argument("-o", "--output", default="sites.csv")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    generate(args.n, args.seed).to_csv(args.output, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
