"""The demo's benchmark results: enough for peer comparison, a baseline and a re-assessment
for the demo delegate's business, and site-visit hosts strong on their visits' themes."""

from datetime import timedelta

from sqlalchemy import select

from app.auth.models import User
from app.benchmark import services
from app.benchmark.impact import programme_impact
from app.benchmark.models import BenchmarkResponse
from app.benchmark.results import results_for
from app.demo import benchmark as demo_benchmark
from app.demo import seed_demo
from app.events.models import Event
from app.extensions import db


def _org_of(email: str):
    return db.session.execute(select(User).where(User.email == email)).scalar_one().organisation


def test_every_demo_organisation_has_a_current_benchmark(app):
    assert seed_demo() is True
    responses = list(db.session.execute(select(BenchmarkResponse)).scalars())
    orgs = {r.organisation_id for r in responses}
    assert len(orgs) == 15
    # The 14 delegates' businesses: latest, and a baseline a year back; the visit host: one.
    assert len(responses) == 29
    assert all(r.status == "submitted" and r.band for r in responses)
    assert all(services.has_valid_benchmark(org_id) for org_id in orgs)
    assert len({r.overall_score for r in responses}) >= 10  # varied


def test_demo_shows_the_programme_impact_on_the_workshops_pillars(app):
    seed_demo()
    rows = {row.key: row for row in programme_impact()}
    for pillar in ("lean", "quality"):
        took_part, did_not = rows[pillar].took_part, rows[pillar].did_not
        assert (took_part.organisations, did_not.organisations) == (8, 6)
        assert took_part.mean > did_not.mean > 0
    assert rows["people"].took_part.organisations == 0


def test_demo_delegate_has_a_baseline_and_a_recent_reassessment(app):
    seed_demo()
    org = _org_of("delegate@example.com")
    first, latest = services.baseline(org.id), services.latest_submitted(org.id)
    assert first.id != latest.id
    assert timedelta(days=320) < latest.submitted_at - first.submitted_at < timedelta(days=340)
    results = results_for(latest)
    assert results.overall_change is not None and results.overall_change > 0
    # Its own business left out, SIC 25 has four others; seven other small businesses make
    # the group: medians, but no quartiles or money figures (those need ten).
    assert results.peer.available and results.peer.level == "size"
    assert results.peer.org_count == 7
    assert results.peer.overall is not None and results.peer.overall.q1 is None
    assert results.peer_gva_median is None
    assert results.recommendations, "the demo delegate should be shown what to do next"


def test_site_visit_hosts_score_75_or_more_on_their_visits_pillars(app):
    seed_demo()
    visits = db.session.execute(
        select(Event).where(Event.kind == "site_visit", Event.host_organisation_id.is_not(None))
    ).scalars()
    checked = 0
    for visit in visits:
        latest = services.latest_submitted(visit.host_organisation_id)
        for pillar in visit.pillars:
            assert latest.pillar_scores[pillar] >= 75, (visit.slug, pillar)
            checked += 1
    assert checked == 8  # three upcoming visits and the innovation centre's past one


def test_demo_answers_are_deterministic():
    import random

    targets = dict(demo_benchmark.DELEGATE_PROFILE)
    first = demo_benchmark._answers(random.Random(7), targets, ("lean",))
    second = demo_benchmark._answers(random.Random(7), targets, ("lean",))
    assert first == second
    assert all(first[k] in (3, 4) for k in first if k.startswith("lean."))
