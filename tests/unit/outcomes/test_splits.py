"""The dashboard's splits: by quarter (with the cumulative share of each target), by network,
and the chart's lines."""

from datetime import date
from decimal import Decimal

from app.extensions import db
from app.outcomes import services, splits
from app.outcomes.models import EventNetwork
from app.outcomes.report import build_report
from tests.factories import make_organisation, make_user, organiser
from tests.factories_checkin import make_registration
from tests.factories_outcomes import admit, claim_data, dated_event, declare, make_programme


def test_quarters_networks_and_chart(app):
    boss = organiser()
    programme = make_programme(boss)
    north = services.create_network(boss, "North")
    services.create_network(boss, "South")
    a, b = make_organisation("Alpha Ltd"), make_organisation("Bravo Ltd")
    spring = dated_event(date(2026, 2, 10), 9, hours=8)  # Q1, North
    summer = dated_event(date(2026, 5, 12), 9, hours=6)  # Q2, no network
    db.session.add(EventNetwork(event_id=spring.id, network_id=north.id))
    admit(make_registration(spring, make_user(organisation=a)))
    admit(make_registration(summer, make_user(organisation=a)))
    admit(make_registration(summer, make_user(organisation=b)))
    declare(programme, a, signed_on=date(2026, 1, 20))
    member = make_user(organisation=a)
    for kind, on, extra in (("jobs", date(2026, 3, 1), {"quantity": Decimal(19)}),
                            ("jobs", date(2026, 8, 1), {"quantity": Decimal(38)}),
                            ("product", date(2026, 5, 1), {})):  # fmt: skip
        claim = services.record_claim(
            member, programme, a, claim_data(kind, occurred_on=on, **extra)
        )
        services.review_claim(boss, claim, "verified", "ok")
    report = build_report(programme)

    quarters = splits.by_quarter(report, today=date(2026, 8, 15))
    assert [q.label for q in quarters] == ["2026 Q1", "2026 Q2", "2026 Q3"]
    assert [q.hours for q in quarters] == [8, 12, 0]
    assert [q.newly_assisted for q in quarters] == [0, 1, 0]  # 14 hours on 12 May
    assert [q.verified["jobs_fte"] for q in quarters] == [19, 0, 38]
    assert [q.cumulative_percent["jobs_fte"] for q in quarters] == [5.0, 5.0, 15.0]
    assert [q.cumulative_percent["new_products"] for q in quarters] == [0, 1.0, 1.0]

    networks = {n.name: n for n in splits.by_network(report, {north.id: "North", 99: "South"})}
    assert (networks["North"].hours, len(networks["North"].businesses)) == (8, 1)
    assert networks["North"].assisted == 1
    assert (networks["No network"].hours, networks["No network"].assisted) == (12, 1)
    assert networks["South"].hours == 0

    lines = {line.key: line for line in splits.chart(report, quarters)}
    assert set(lines) == {"jobs_fte", "start_ups", "collaborations", "new_products"}
    assert lines["jobs_fte"].last_percent == 15.0
    assert lines["jobs_fte"].points.split()[-1] == f"600.0,{220 - 0.15 * 220:.1f}"
