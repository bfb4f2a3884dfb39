"""Peer comparison: aggregate statistics over other organisations' latest benchmark scores.

Pure: the caller loads one OrgScore per organisation (its latest submitted benchmark) and these
functions only ever return aggregates; a PeerGroup never carries its members.

What a delegate sees is under statistical disclosure control (docs/peer-disclosure.md):
the group is other businesses only (the caller leaves the delegate's own out); a median needs
MIN_GROUP (5) values, quartiles MIN_QUARTILES (10), money figures MIN_MONEY (10); scores are
rounded to whole numbers and money to the nearest £1,000; and a figure is withheld when one
business accounts for more than half of the group's spread (`dominated`).

Quartiles use statistics.quantiles(n=4, method="inclusive"): the data are treated as the whole
population rather than a sample, so the quartiles always lie within the observed range
(for 10, 20, 30, 40, 50, 60 they are 22.5, 35 and 47.5). The organisers' programme-wide
distribution is not rounded (1 dp, like the scores).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from app.benchmark.scoring import round_score

MIN_GROUP = 5  # other businesses in a group, and values behind a median
MIN_QUARTILES = 10  # values behind a lower or upper quartile
MIN_MONEY = 10  # values behind a money figure (value added per employee)
DOMINANCE_SHARE = 0.5  # one business's share of the spread above which nothing is shown
MONEY_STEP = 1000  # money is shown to the nearest £1,000

Level = Literal["sector_size", "sector", "size", "programme"]
FALLBACK_ORDER: tuple[Level, ...] = ("sector_size", "sector", "size", "programme")

HISTOGRAM_BANDS: tuple[str, ...] = ("0–20", "20–40", "40–60", "60–80", "80–100")

_SIZE_NOUNS = {
    "micro": "micro businesses",
    "small": "small businesses",
    "medium": "medium-sized businesses",
    "large": "large businesses",
}


@dataclass(frozen=True)
class OrgScore:
    organisation_id: Hashable
    sector: str | None  # SIC division, e.g. "10"
    size_band: str | None  # a key of sic.SIZE_BANDS
    pillar_scores: Mapping[str, float]
    overall: float
    gva_per_fte: float | None = None


@dataclass(frozen=True)
class Stats:
    q1: float | None  # None with fewer than MIN_QUARTILES values
    median: float
    q3: float | None


@dataclass(frozen=True)
class PeerGroup:
    available: bool
    level: Level | None  # None when unavailable
    label: str | None  # e.g. "Manufacture of food products, small businesses"
    org_count: int  # distinct organisations in the group (in the programme, if unavailable)
    # Pillars with fewer than MIN_GROUP scores in the group, or dominated, are left out.
    pillars: dict[str, Stats] = field(default_factory=dict)
    overall: Stats | None = None
    gva_per_fte: Stats | None = None  # only when MIN_MONEY members gave GVA figures


@dataclass(frozen=True)
class Distribution:
    count: int
    q1: float
    median: float
    q3: float
    histogram: dict[str, int]  # HISTOGRAM_BANDS label -> organisations; 20 counts in "20–40"


def choose_peer_group(
    target_sector: str | None,
    target_size_band: str | None,
    population: Iterable[OrgScore],
    sector_name: Callable[[str], str | None] | None = None,
) -> PeerGroup:
    """The narrowest group with at least MIN_GROUP distinct organisations, trying in order:
    same sector and size band, same sector, same size band, the whole programme.

    ``population`` holds each *other* organisation's latest scores (never the target's own:
    a business is not compared with itself, and its own score must not move the figures); if
    an organisation appears twice only its last entry is used. ``sector_name`` turns a SIC
    division into a name for the label (e.g. sic.sector_name); without it, or when it returns
    nothing, the label says "SIC division 10".
    """
    members = _one_per_organisation(population)
    candidates: dict[Level, list[OrgScore]] = {}
    if target_sector is not None and target_size_band is not None:
        candidates["sector_size"] = [
            m for m in members if m.sector == target_sector and m.size_band == target_size_band
        ]
    if target_sector is not None:
        candidates["sector"] = [m for m in members if m.sector == target_sector]
    if target_size_band is not None:
        candidates["size"] = [m for m in members if m.size_band == target_size_band]
    candidates["programme"] = members

    for level in FALLBACK_ORDER:
        group = candidates.get(level)
        if group is not None and len(group) >= MIN_GROUP:
            return PeerGroup(
                available=True,
                level=level,
                label=_label(level, target_sector, target_size_band, sector_name),
                org_count=len(group),
                pillars=_pillar_stats(group),
                overall=protected_stats([m.overall for m in group]),
                gva_per_fte=protected_stats(
                    [m.gva_per_fte for m in group if m.gva_per_fte is not None], money=True
                ),
            )
    return PeerGroup(available=False, level=None, label=None, org_count=len(members))


def dominated(values: Sequence[float]) -> bool:
    """The dominance rule: True when one business accounts for more than half of the group's
    spread, the spread being the sum of every value's distance from the median. Such a value
    (an outlier, or a planted group huddled around one real business) would move or reveal
    the figure on its own, so none is shown."""
    middle = statistics.median(values)
    distances = [abs(v - middle) for v in values]
    total = sum(distances)
    return total > 0 and max(distances) > DOMINANCE_SHARE * total


def protected_stats(values: Sequence[float], money: bool = False) -> Stats | None:
    """The median (and quartiles, with enough values) a delegate may see, or None."""
    if len(values) < (MIN_MONEY if money else MIN_GROUP) or dominated(values):
        return None
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    show = _to_thousand if money else _whole
    quartiles = len(values) >= MIN_QUARTILES
    return Stats(
        q1=show(q1) if quartiles else None,
        median=show(median),
        q3=show(q3) if quartiles else None,
    )


def _whole(value: float) -> float:
    return float(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _to_thousand(value: float) -> float:
    return _whole(value / MONEY_STEP) * MONEY_STEP


def distribution(
    population: Iterable[OrgScore], pillar_keys: Sequence[str] | None = None
) -> dict[str, Distribution | None]:
    """Programme-wide spread for the organiser view: pillar key -> Distribution, then
    "overall" -> Distribution; None wherever fewer than MIN_GROUP organisations have a score.

    Pillars come from ``pillar_keys`` if given (so a pillar nobody has answered still appears),
    otherwise in the order first seen in the population.
    """
    members = _one_per_organisation(population)
    keys = list(pillar_keys) if pillar_keys is not None else _pillar_keys(members)
    result: dict[str, Distribution | None] = {
        key: _distribution([m.pillar_scores[key] for m in members if key in m.pillar_scores])
        for key in keys
    }
    result["overall"] = _distribution([m.overall for m in members])
    return result


# --- helpers -------------------------------------------------------------------------------


def _one_per_organisation(population: Iterable[OrgScore]) -> list[OrgScore]:
    latest: dict[Hashable, OrgScore] = {}
    for member in population:
        latest.pop(member.organisation_id, None)  # keep the order of the last occurrence
        latest[member.organisation_id] = member
    return list(latest.values())


def _pillar_keys(members: Sequence[OrgScore]) -> list[str]:
    return list(dict.fromkeys(key for m in members for key in m.pillar_scores))


def _pillar_stats(members: Sequence[OrgScore]) -> dict[str, Stats]:
    result = {}
    for key in _pillar_keys(members):
        stats = protected_stats([m.pillar_scores[key] for m in members if key in m.pillar_scores])
        if stats is not None:
            result[key] = stats
    return result


def _round(value: float, places: int) -> float:
    if places == 1:
        return round_score(value)
    exact = Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return float(exact)


def _stats(values: Sequence[float], places: int = 1) -> Stats | None:
    if len(values) < MIN_GROUP:
        return None
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return Stats(q1=_round(q1, places), median=_round(median, places), q3=_round(q3, places))


def _distribution(values: Sequence[float]) -> Distribution | None:
    stats = _stats(values)
    if stats is None:
        return None
    counts = [0] * len(HISTOGRAM_BANDS)
    for value in values:
        if not 0 <= value <= 100:
            raise ValueError(f"score out of range 0..100: {value!r}")
        counts[min(int(value // 20), len(HISTOGRAM_BANDS) - 1)] += 1
    return Distribution(
        count=len(values),
        q1=stats.q1,
        median=stats.median,
        q3=stats.q3,
        histogram=dict(zip(HISTOGRAM_BANDS, counts, strict=True)),
    )


def _label(
    level: Level,
    sector: str | None,
    size_band: str | None,
    sector_name: Callable[[str], str | None] | None,
) -> str:
    if level == "programme":
        return "All businesses in the programme"
    sector_label = None
    if sector is not None:
        sector_label = (sector_name(sector) if sector_name else None) or f"SIC division {sector}"
    size_label = _SIZE_NOUNS.get(size_band or "", f"{size_band} businesses")
    if level == "sector_size":
        return f"{sector_label}, {size_label}"
    if level == "sector":
        return f"{sector_label}"
    return size_label[0].upper() + size_label[1:]
