"""Peer groups, distributions, SIC names and size bands. Pure: no app, no database."""

import dataclasses
import statistics

import pytest

from app.benchmark.peers import (
    MIN_GROUP,
    Distribution,
    OrgScore,
    PeerGroup,
    Stats,
    choose_peer_group,
    distribution,
)
from app.benchmark.sic import (
    MANUFACTURING_DIVISIONS,
    SIZE_BANDS,
    VALID_DIVISIONS,
    is_manufacturing,
    sector_name,
    size_band_for_fte,
)


def org(org_id, sector, size, overall, pillars=None, gva=None):
    return OrgScore(
        organisation_id=org_id,
        sector=sector,
        size_band=size,
        pillar_scores=pillars if pillars is not None else {"lean": overall},
        overall=overall,
        gva_per_fte=gva,
    )


def orgs(start, count, sector, size, overall=50.0):
    return [org(start + i, sector, size, overall) for i in range(count)]


def test_min_group_is_five():
    assert MIN_GROUP == 5


def test_sector_and_size_group_used_when_it_has_five():
    population = orgs(1, 5, "10", "small") + orgs(100, 3, "25", "medium")
    group = choose_peer_group("10", "small", population, sector_name=sector_name)
    assert group.available is True
    assert group.level == "sector_size"
    assert group.label == "Manufacture of food products, small businesses"
    assert group.org_count == 5


def test_group_of_four_falls_back_to_sector():
    population = (
        orgs(1, 4, "10", "small") + orgs(10, 1, "10", "medium") + orgs(20, 9, "25", "small")
    )
    group = choose_peer_group("10", "small", population, sector_name=sector_name)
    assert group.level == "sector"
    assert group.label == "Manufacture of food products"
    assert group.org_count == 5


def test_label_without_a_lookup_names_the_division():
    population = orgs(1, 4, "10", "small") + orgs(10, 1, "10", "medium")
    assert choose_peer_group("10", "small", population).label == "SIC division 10"
    lookup_knows_nothing = choose_peer_group("10", "small", population, sector_name=lambda c: None)
    assert lookup_knows_nothing.label == "SIC division 10"
    sector_size = choose_peer_group("10", "small", orgs(1, 5, "10", "small"))
    assert sector_size.label == "SIC division 10, small businesses"


def test_falls_back_to_size_band_when_sector_is_too_small():
    population = orgs(1, 4, "10", "small") + orgs(10, 4, "25", "small") + orgs(20, 2, "25", "large")
    group = choose_peer_group("10", "small", population, sector_name=sector_name)
    assert group.level == "size"
    assert group.label == "Small businesses"
    assert group.org_count == 8


def test_falls_back_to_whole_programme():
    population = orgs(1, 4, "10", "small") + orgs(10, 2, "25", "medium")
    group = choose_peer_group("10", "small", population, sector_name=sector_name)
    assert group.level == "programme"
    assert group.label == "All businesses in the programme"
    assert group.org_count == 6


def test_medium_label():
    group = choose_peer_group("99", "medium", orgs(1, 5, "25", "medium"))
    assert group.level == "size"
    assert group.label == "Medium-sized businesses"


def test_programme_of_four_is_unavailable_and_shows_nothing():
    group = choose_peer_group("10", "small", orgs(1, 4, "10", "small"))
    assert group == PeerGroup(
        available=False,
        level=None,
        label=None,
        org_count=4,
        pillars={},
        overall=None,
        gva_per_fte=None,
    )


def test_organisations_are_counted_once():
    # Five entries but four organisations: organisation 1 appears twice.
    population = [*orgs(1, 4, "10", "small"), org(1, "10", "small", 90.0)]
    group = choose_peer_group("10", "small", population)
    assert group.available is False
    assert group.org_count == 4


def test_last_entry_of_a_repeated_organisation_is_used():
    population = [org(1, "10", "small", 0.0), *orgs(2, 4, "10", "small", overall=50.0)]
    population.append(org(1, "10", "small", 100.0))
    group = choose_peer_group("10", "small", population)
    assert group.org_count == 5
    # overall values 50, 50, 50, 50, 100 (not 0): q1 = median = q3 = 50
    assert group.overall == Stats(q1=50.0, median=50.0, q3=50.0)


def test_unknown_sector_or_size_skips_those_levels():
    population = orgs(1, 5, None, "small") + orgs(10, 5, "10", None)
    assert choose_peer_group(None, "small", population).level == "size"
    assert choose_peer_group("10", None, population).level == "sector"
    assert choose_peer_group(None, None, population).level == "programme"


def test_quartiles_are_inclusive_on_a_known_set():
    values = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    population = [org(i, "10", "small", v) for i, v in enumerate(values)]
    group = choose_peer_group("10", "small", population)
    assert group.overall == Stats(q1=22.5, median=35.0, q3=47.5)
    assert group.pillars == {"lean": Stats(q1=22.5, median=35.0, q3=47.5)}
    # The default (exclusive) method would have given different quartiles.
    assert statistics.quantiles(values, n=4) == [17.5, 35.0, 52.5]


def test_quartiles_of_five_and_half_up_rounding():
    five = [org(i, "10", "small", v) for i, v in enumerate([50.0, 10.0, 40.0, 20.0, 30.0])]
    assert choose_peer_group("10", "small", five).overall == Stats(q1=20.0, median=30.0, q3=40.0)

    six = [org(i, "10", "small", float(v)) for i, v in enumerate([0, 1, 2, 3, 4, 5])]
    # inclusive quartiles 1.25, 2.5, 3.75 -> 1.3, 2.5, 3.8
    assert choose_peer_group("10", "small", six).overall == Stats(q1=1.3, median=2.5, q3=3.8)


def test_pillar_answered_by_fewer_than_five_is_left_out():
    population = [org(i, "10", "small", 50.0, pillars={"lean": 50.0}) for i in range(5)]
    population[0] = org(0, "10", "small", 50.0, pillars={"lean": 50.0, "digital": 70.0})
    group = choose_peer_group("10", "small", population)
    assert set(group.pillars) == {"lean"}


def test_gva_stats_only_with_five_figures():
    four_with_gva = [org(i, "10", "small", 50.0, gva=30_000.0 + i * 1_000) for i in range(4)]
    population = four_with_gva + orgs(10, 2, "10", "small")
    assert choose_peer_group("10", "small", population).gva_per_fte is None

    population.append(org(20, "10", "small", 50.0, gva=45_250.5))
    # GVA figures 30000, 31000, 32000, 33000, 45250.5 -> q1 31000, median 32000, q3 33000
    group = choose_peer_group("10", "small", population)
    assert group.gva_per_fte == Stats(q1=31_000.0, median=32_000.0, q3=33_000.0)


def test_gva_stats_round_to_whole_pounds():
    gvas = [10_000.0, 20_000.0, 30_000.0, 40_000.0, 50_001.0, 60_000.0]
    population = [org(i, "10", "small", 50.0, gva=g) for i, g in enumerate(gvas)]
    # inclusive: q1 22500, median 35000, q3 = 40000 + 0.75 * 10001 = 47500.75 -> 47501
    group = choose_peer_group("10", "small", population)
    assert group.gva_per_fte == Stats(q1=22_500.0, median=35_000.0, q3=47_501.0)


def test_peer_group_carries_no_members():
    names = [f.name for f in dataclasses.fields(PeerGroup)]
    assert names == [
        "available",
        "level",
        "label",
        "org_count",
        "pillars",
        "overall",
        "gva_per_fte",
    ]
    group = choose_peer_group("10", "small", orgs(1, 6, "10", "small"))
    for value in dataclasses.asdict(group).values():
        assert not isinstance(value, (list, tuple, OrgScore))


def test_distribution_histogram_and_stats():
    overalls = [0.0, 19.9, 20.0, 55.0, 80.0, 100.0]
    population = [org(i, "10", "small", v, pillars={"lean": v}) for i, v in enumerate(overalls)]
    population[0] = org(0, "10", "small", 0.0, pillars={"lean": 0.0, "digital": 40.0})

    result = distribution(population, pillar_keys=["leadership", "lean", "digital"])

    expected = Distribution(
        count=6,
        q1=19.9,  # 19.925 before rounding
        median=37.5,
        q3=73.8,  # 73.75
        histogram={"0–20": 2, "20–40": 1, "40–60": 1, "60–80": 0, "80–100": 2},
    )
    assert result == {"leadership": None, "lean": expected, "digital": None, "overall": expected}
    assert list(result) == ["leadership", "lean", "digital", "overall"]


def test_distribution_of_four_organisations_is_empty():
    result = distribution(orgs(1, 4, "10", "small"))
    assert result == {"lean": None, "overall": None}


def test_distribution_refuses_scores_off_the_scale():
    population = [*orgs(1, 4, "10", "small"), org(9, "10", "small", 100.5)]
    with pytest.raises(ValueError, match="out of range"):
        distribution(population)


def test_sic_divisions():
    assert sector_name("10") == "Manufacture of food products"
    assert sector_name("33") == "Repair and installation of machinery and equipment"
    assert sector_name("62") == "Computer programming, consultancy and related activities"
    assert sector_name("99") == "SIC division 99"
    assert len(MANUFACTURING_DIVISIONS) == 24
    assert len(VALID_DIVISIONS) == 88  # SIC 2007 has 88 divisions
    assert {"04", "34", "40", "44", "48", "54", "57", "67", "76", "83", "89"}.isdisjoint(
        VALID_DIVISIONS
    )
    assert is_manufacturing("25") is True
    assert is_manufacturing("46") is False
    assert is_manufacturing(None) is False


@pytest.mark.parametrize(
    ("fte", "band"),
    [
        (None, None),
        (0.5, "micro"),
        (9.9, "micro"),
        (10, "small"),
        (49.9, "small"),
        (50, "medium"),
        (249, "medium"),
        (250, "large"),
    ],
)
def test_size_band_for_fte(fte, band):
    assert size_band_for_fte(fte) == band


def test_size_band_refuses_zero_fte():
    with pytest.raises(ValueError, match="FTE must be greater than 0"):
        size_band_for_fte(0)


def test_size_band_labels():
    assert SIZE_BANDS == {
        "micro": "Micro (1–9)",
        "small": "Small (10–49)",
        "medium": "Medium (50–249)",
        "large": "Large (250+)",
    }
