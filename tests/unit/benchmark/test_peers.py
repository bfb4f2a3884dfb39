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
    dominated,
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
    population = [org(i, "10", "small", v) for i, v in enumerate([0.0, 48.0, 50.0, 50.0, 51.0])]
    population.append(org(0, "10", "small", 52.0))
    group = choose_peer_group("10", "small", population)
    assert group.org_count == 5
    # overall values 48, 50, 50, 51, 52 (not 0): median 50, no quartiles under ten values
    assert group.overall == Stats(q1=None, median=50.0, q3=None)


def test_unknown_sector_or_size_skips_those_levels():
    population = orgs(1, 5, None, "small") + orgs(10, 5, "10", None)
    assert choose_peer_group(None, "small", population).level == "size"
    assert choose_peer_group("10", None, population).level == "sector"
    assert choose_peer_group(None, None, population).level == "programme"


def test_quartiles_are_inclusive_need_ten_values_and_are_whole_numbers():
    values = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0]
    population = [org(i, "10", "small", v) for i, v in enumerate(values)]
    group = choose_peer_group("10", "small", population)
    # inclusive quartiles 32.5, 55, 77.5 -> rounded half up to whole numbers
    assert group.overall == Stats(q1=33.0, median=55.0, q3=78.0)
    assert group.pillars == {"lean": Stats(q1=33.0, median=55.0, q3=78.0)}
    assert statistics.quantiles(values, n=4, method="inclusive") == [32.5, 55.0, 77.5]
    nine = choose_peer_group("10", "small", population[:9])
    assert nine.overall == Stats(q1=None, median=50.0, q3=None)


def test_a_median_of_five_is_rounded_half_up():
    five = [org(i, "10", "small", v) for i, v in enumerate([50.5, 10.0, 40.0, 20.0, 30.0])]
    assert choose_peer_group("10", "small", five).overall == Stats(q1=None, median=30.0, q3=None)
    six = [org(i, "10", "small", float(v)) for i, v in enumerate([20, 21, 22, 23, 24, 26])]
    assert choose_peer_group("10", "small", six).overall == Stats(q1=None, median=23.0, q3=None)


def test_dominance_rule_withholds_a_figure_one_business_would_move():
    # 50, 51, 52, 53, 90: distances from the median 52 are 2, 1, 0, 1, 38; 38 > half of 42.
    values = [50.0, 51.0, 52.0, 53.0, 90.0]
    assert dominated(values)
    population = [org(i, "10", "small", v) for i, v in enumerate(values)]
    group = choose_peer_group("10", "small", population)
    assert group.available and group.overall is None and group.pillars == {}
    # A spread shared by several businesses is shown.
    assert not dominated([40.0, 45.0, 50.0, 60.0, 70.0])
    assert not dominated([50.0] * 5)  # no spread at all: nobody dominates it


def test_pillar_answered_by_fewer_than_five_is_left_out():
    population = [org(i, "10", "small", 50.0, pillars={"lean": 50.0}) for i in range(5)]
    population[0] = org(0, "10", "small", 50.0, pillars={"lean": 50.0, "digital": 70.0})
    group = choose_peer_group("10", "small", population)
    assert set(group.pillars) == {"lean"}


def test_money_needs_ten_figures_and_is_shown_to_the_nearest_thousand():
    nine = [org(i, "10", "small", 50.0, gva=30_000.0 + i * 1_000) for i in range(9)]
    population = nine + orgs(10, 2, "10", "small")
    assert choose_peer_group("10", "small", population).gva_per_fte is None

    population.append(org(20, "10", "small", 50.0, gva=39_400.0))
    # GVA 30000..38000 and 39400: inclusive q1 32250, median 34500, q3 36750 -> £1,000s
    group = choose_peer_group("10", "small", population)
    assert group.gva_per_fte == Stats(q1=32_000.0, median=35_000.0, q3=37_000.0)


def test_four_planted_businesses_cannot_read_back_a_real_ones_scores():
    """Four made-up businesses placed around one real business: whichever of them asks, it is
    itself left out, so its group holds three fakes and the real one, and shows nothing.
    (Made-up businesses do not count at all until the programme has seen them: that rule is
    tested with the services.)"""
    real = org(99, "25", "small", 61.4, pillars={"lean": 61.4}, gva=41_234.0)
    fakes = [org(i, "25", "small", v, pillars={"lean": v}, gva=41_000.0) for i, v in
             enumerate([61.0, 61.0, 62.0, 62.0])]  # fmt: skip
    for asking in fakes:
        others = [f for f in fakes if f is not asking] + [real]
        group = choose_peer_group("25", "small", others)
        assert not group.available
        assert (group.overall, group.pillars, group.gva_per_fte) == (None, {}, None)


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
