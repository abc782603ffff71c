"""Countries as exports write them (``GB``, ``GBR``, ``United Kingdom``, ``英国``) → ISO 3166 alpha-2.

Used to give each row's phone number its own region when the table has a country column
(a Shopify ``Billing Country``, a WooCommerce ``Country Code (Billing)``): ``+44 7700 900123``
and ``07700 900123`` on a ``United Kingdom`` row are both ``+447700900123``. Names come from
pycountry's ISO 3166 data (codes, English names, official and common names, and its Chinese
translations), plus the everyday forms it does not list (``UK``, ``USA``, ``England``, ``大陆``).
"""

from __future__ import annotations

import functools
import gettext
import re
import unicodedata

import numpy as np
import pandas as pd

_FOLD = re.compile(r"[\W_]+", re.UNICODE)

#: Everyday names ISO 3166 does not list, folded as :func:`_key` folds them.
ALIASES = {
    "uk": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "northernireland": "GB", "greatbritain": "GB",
    "britain": "GB", "usa": "US", "us": "US", "america": "US", "unitedstatesofamerica": "US", "ussa": "US",
    "southkorea": "KR", "korea": "KR", "northkorea": "KP", "russia": "RU", "vietnam": "VN", "iran": "IR",
    "syria": "SY", "laos": "LA", "bolivia": "BO", "venezuela": "VE", "tanzania": "TZ", "moldova": "MD",
    "taiwan": "TW", "macau": "MO", "uae": "AE", "holland": "NL", "czechia": "CZ", "turkey": "TR",
    "中国大陆": "CN", "大陆": "CN", "内地": "CN", "中国内地": "CN", "中华人民共和国": "CN", "台湾": "TW",
    "中国台湾": "TW", "香港": "HK", "中国香港": "HK", "澳门": "MO", "中国澳门": "MO", "韩国": "KR", "南韩": "KR",
    "朝鲜": "KP", "美國": "US", "英國": "GB", "俄罗斯": "RU", "越南": "VN",
}


def _key(text: object) -> str:
    return _FOLD.sub("", unicodedata.normalize("NFKC", str(text)).casefold())


@functools.cache
def _names() -> dict[str, str]:
    """Folded name or code -> alpha-2 code."""
    import pycountry

    out: dict[str, str] = {}
    translations = []
    for lang in ("zh_CN", "zh_TW", "zh_HK"):
        try:
            translations.append(gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang]))
        except OSError:
            continue
    for c in pycountry.countries:
        code = c.alpha_2
        names = [c.alpha_2, c.alpha_3, c.name, getattr(c, "official_name", None), getattr(c, "common_name", None)]
        for t in translations:
            for n in (c.name, getattr(c, "common_name", None)):
                if n:
                    names.append(t.gettext(n))
        for n in names:
            if n:
                out.setdefault(_key(n), code)
    for alias, code in ALIASES.items():
        out.setdefault(_key(alias), code)
    return out


def country_code(text: object) -> str | None:
    """The ISO 3166 alpha-2 code a country cell names, or None (blank, unknown)."""
    if text is None:
        return None
    key = _key(text)
    return _names().get(key) if key else None


def row_regions(country: pd.Series, default: str) -> np.ndarray:
    """Each row's phone region: the code its country cell names, else ``default`` (object array)."""
    values = country.astype("str").fillna("")
    uniques, codes = np.unique(values.to_numpy(dtype=object), return_inverse=True)
    resolved = np.array([country_code(u) or default for u in uniques], dtype=object)
    return resolved[codes] if len(values) else np.array([], dtype=object)
