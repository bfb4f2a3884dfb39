"""SIC 2007 divisions and business size bands: the two axes of peer comparison.

Pure data and lookups; no Flask, no database.
"""

from __future__ import annotations

# Official SIC 2007 division titles: every manufacturing division (section C, 10-33) and a few
# others common among the programme's organisations.
SIC_DIVISIONS: dict[str, str] = {
    "01": "Crop and animal production, hunting and related service activities",
    "10": "Manufacture of food products",
    "11": "Manufacture of beverages",
    "12": "Manufacture of tobacco products",
    "13": "Manufacture of textiles",
    "14": "Manufacture of wearing apparel",
    "15": "Manufacture of leather and related products",
    "16": (
        "Manufacture of wood and of products of wood and cork, except furniture; "
        "manufacture of articles of straw and plaiting materials"
    ),
    "17": "Manufacture of paper and paper products",
    "18": "Printing and reproduction of recorded media",
    "19": "Manufacture of coke and refined petroleum products",
    "20": "Manufacture of chemicals and chemical products",
    "21": "Manufacture of basic pharmaceutical products and pharmaceutical preparations",
    "22": "Manufacture of rubber and plastic products",
    "23": "Manufacture of other non-metallic mineral products",
    "24": "Manufacture of basic metals",
    "25": "Manufacture of fabricated metal products, except machinery and equipment",
    "26": "Manufacture of computer, electronic and optical products",
    "27": "Manufacture of electrical equipment",
    "28": "Manufacture of machinery and equipment n.e.c.",
    "29": "Manufacture of motor vehicles, trailers and semi-trailers",
    "30": "Manufacture of other transport equipment",
    "31": "Manufacture of furniture",
    "32": "Other manufacturing",
    "33": "Repair and installation of machinery and equipment",
    "41": "Construction of buildings",
    "42": "Civil engineering",
    "43": "Specialised construction activities",
    "46": "Wholesale trade, except of motor vehicles and motorcycles",
    "62": "Computer programming, consultancy and related activities",
    "71": "Architectural and engineering activities; technical testing and analysis",
    "72": "Scientific research and development",
}

MANUFACTURING_DIVISIONS: frozenset[str] = frozenset(f"{n:02d}" for n in range(10, 34))


def _codes(*spans: tuple[int, int]) -> frozenset[str]:
    return frozenset(f"{n:02d}" for first, last in spans for n in range(first, last + 1))


# Every division that exists in SIC 2007 (88 of them): the numbering has gaps (04, 34, 40, ...),
# so "a two-digit number" is not enough to be a real division.
VALID_DIVISIONS: frozenset[str] = _codes(
    (1, 3), (5, 33), (35, 39), (41, 43), (45, 47), (49, 53), (55, 56), (58, 66),
    (68, 68), (69, 75), (77, 82), (84, 88), (90, 93), (94, 99),
)  # fmt: skip


def is_manufacturing(code: str | None) -> bool:
    return code in MANUFACTURING_DIVISIONS


def sector_name(code: str) -> str:
    """The official title of a SIC division, or "SIC division NN" when we do not hold it."""
    return SIC_DIVISIONS.get(code) or f"SIC division {code}"


# Size bands follow the UK's employee-count definitions; we apply them to FTE, which is what the
# benchmark asks for.
SIZE_BANDS: dict[str, str] = {
    "micro": "Micro (1–9)",
    "small": "Small (10–49)",
    "medium": "Medium (50–249)",
    "large": "Large (250+)",
}


def size_band_for_fte(fte: float | None) -> str | None:
    """The size band key for a number of full-time equivalent employees (None if unknown).

    Fractional FTE counts below the next band's threshold: 9.5 FTE is micro, 49.9 is small.
    """
    if fte is None:
        return None
    if fte <= 0:
        raise ValueError(f"FTE must be greater than 0, got {fte!r}")
    if fte < 10:
        return "micro"
    if fte < 50:
        return "small"
    if fte < 250:
        return "medium"
    return "large"
