"""Benchmark services against the database: drafts, submission, validity, history, peer
groups, recommendations and the organiser's aggregates."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import signals
from app.auth.models import Organisation
from app.benchmark import services
from app.benchmark.comparison import peer_group_for
from app.benchmark.models import BenchmarkResponse
from app.benchmark.overview import export_rows, programme_overview
from app.benchmark.questionnaire import current_questionnaire
from app.benchmark.recommendations import recommendations
from app.benchmark.results import chart_data, results_for
from app.checkin.models import CheckIn
from app.events.models import EventKind, EventStatus, SessionKind
from app.extensions import db
from app.timeutil import utcnow
from tests.factories import make_event, make_organisation, make_session, make_user, organiser
from tests.factories_benchmark import answers_at, make_peers, make_submission, pillar_form
from tests.factories_checkin import make_registration

Q = current_questionnaire()


def _count() -> int:
    return db.session.execute(select(func.count()).select_from(BenchmarkResponse)).scalar_one()


def _complete_draft(user, level="2"):
    draft = services.start_draft(user)
    for pillar in Q.pillars:
        services.save_pillar(user, draft, pillar.key, pillar_form(pillar.key, level))
    return draft


# --- validity and history ------------------------------------------------------------------


def test_no_benchmark_is_not_valid(app):
    org = make_organisation()
    assert services.has_valid_benchmark(org.id) is False
    assert services.has_valid_benchmark(None) is False
    assert services.latest_submitted(org.id) is None
    assert services.baseline(org.id) is None


def test_a_draft_does_not_count(app):
    user = make_user(organisation=make_organisation())
    _complete_draft(user)
    assert services.has_valid_benchmark(user.organisation_id) is False


def test_valid_for_365_days(app):
    now = utcnow()
    response = make_submission(submitted_at=now - timedelta(days=364, hours=23))
    org_id = response.organisation_id
    assert services.has_valid_benchmark(org_id, now=now) is True
    assert services.has_valid_benchmark(org_id, now=now + timedelta(hours=2)) is False
    assert services.is_valid(response, now) is True
    assert services.valid_until(response) == response.submitted_at + timedelta(days=365)


def test_history_latest_and_baseline(app):
    now = utcnow()
    org = make_organisation()
    first = make_submission(org, submitted_at=now - timedelta(days=300), level=1)
    second = make_submission(org, submitted_at=now - timedelta(days=5), level=3)
    make_submission(submitted_at=now)  # another organisation's
    assert services.latest_submitted(org.id).id == second.id
    assert services.baseline(org.id).id == first.id
    assert [r.id for r in services.history(org.id)] == [second.id, first.id]


def test_colleague_relies_on_the_same_benchmark(app):
    org = make_organisation()
    make_submission(org)
    colleague = make_user(organisation=org)
    assert services.has_valid_benchmark(colleague.organisation_id) is True


# --- organisation step ---------------------------------------------------------------------


def test_set_organisation_creates_one_with_sector_and_size(app):
    user = make_user()
    org = services.set_organisation(user, "Acme Castings Ltd", "", "24", "micro")
    assert (org.name, org.sector, org.size_band) == ("Acme Castings Ltd", "24", "micro")
    assert user.organisation_id == org.id


def test_set_organisation_asks_to_join_by_companies_house_number_and_keeps_its_sector(app):
    existing = make_organisation("Anglia Widgets Ltd", companies_house_number="01234567",
                                 sector="28", size_band="medium")  # fmt: skip
    user = make_user()
    org = services.set_organisation(user, "Anglia Widgets", "0123 4567", "10", "micro")
    assert org.id == existing.id and user.organisation_id is None  # a request to join
    assert (org.sector, org.size_band) == ("28", "medium")


def test_set_organisation_fills_only_missing_fields(app):
    org = make_organisation(sector=None, size_band="small")
    user = make_user(organisation=org)
    assert services.organisation_needs(user) == ["sector"]
    services.set_organisation(user, sector="25", size_band="large")
    assert (org.sector, org.size_band) == ("25", "small")
    assert services.organisation_needs(user) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "X Ltd", "sector": "04", "size_band": "small"}, "sector"),
        ({"name": "X Ltd", "sector": "25", "size_band": "huge"}, "size_band"),
        ({"name": "  ", "sector": "25", "size_band": "small"}, "name"),
        ({"name": "X Ltd", "companies_house_number": "12", "sector": "25",
          "size_band": "small"}, "companies_house_number"),
        ({"name": "X Ltd", "sector": None, "size_band": "small"}, "sector"),
    ],
)  # fmt: skip
def test_set_organisation_refusals_write_nothing(app, kwargs, field):
    user = make_user()
    with pytest.raises(services.BenchmarkError) as caught:
        services.set_organisation(user, **kwargs)
    assert field in caught.value.errors
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(Organisation)).scalar_one() == 0


# --- drafts --------------------------------------------------------------------------------


def test_start_draft_needs_an_organisation(app):
    with pytest.raises(services.BenchmarkError, match="which business"):
        services.start_draft(make_user())


def test_start_draft_resumes_the_same_draft(app):
    user = make_user(organisation=make_organisation())
    draft = services.start_draft(user)
    assert draft.status == "draft"
    assert draft.questionnaire_version == Q.version
    assert len(draft.public_id) >= 20
    assert services.start_draft(user).id == draft.id
    assert services.current_draft(user).id == draft.id


def test_save_pillar_stores_levels_and_dont_know(app):
    user = make_user(organisation=make_organisation())
    draft = services.start_draft(user)
    keys = Q.pillar("lean").question_keys
    form = {keys[0]: "4", keys[1]: "dk", **{k: "1" for k in keys[2:]}}
    services.save_pillar(user, draft, "lean", form)
    assert draft.answers == {keys[0]: 4, keys[1]: None, **{k: 1 for k in keys[2:]}}


def test_moving_forward_needs_every_answer_and_writes_nothing(app):
    user = make_user(organisation=make_organisation())
    draft = services.start_draft(user)
    keys = Q.pillar("lean").question_keys
    with pytest.raises(services.BenchmarkError) as caught:
        services.save_pillar(user, draft, "lean", {keys[0]: "3"})
    assert set(caught.value.errors) == set(keys[1:])
    assert draft.answers == {}


def test_going_back_keeps_partial_answers(app):
    user = make_user(organisation=make_organisation())
    draft = services.start_draft(user)
    keys = Q.pillar("lean").question_keys
    services.save_pillar(user, draft, "lean", {keys[0]: "3"}, require_complete=False)
    assert draft.answers == {keys[0]: 3}
    assert "lean" in services.unanswered(draft)


@pytest.mark.parametrize("bad", ["5", "-1", "2.5", "yes", "4 "])
def test_values_off_the_scale_are_refused_even_when_saving_partially(app, bad):
    user = make_user(organisation=make_organisation())
    draft = services.start_draft(user)
    keys = Q.pillar("lean").question_keys
    data = {keys[0]: "3", keys[1]: bad}
    if bad == "4 ":
        # Surrounding spaces are tolerated, so this one is accepted.
        services.save_pillar(user, draft, "lean", data, require_complete=False)
        assert draft.answers == {keys[0]: 3, keys[1]: 4}
        return
    with pytest.raises(services.BenchmarkError) as caught:
        services.save_pillar(user, draft, "lean", data, require_complete=False)
    assert list(caught.value.errors) == [keys[1]]
    assert draft.answers == {}


def test_unknown_pillar_is_refused(app):
    user = make_user(organisation=make_organisation())
    draft = services.start_draft(user)
    with pytest.raises(services.BenchmarkError, match="no such section"):
        services.save_pillar(user, draft, "marketing", {})


def test_someone_elses_draft_cannot_be_changed(app):
    org = make_organisation()
    owner, colleague = make_user(organisation=org), make_user(organisation=org)
    draft = services.start_draft(owner)
    with pytest.raises(services.BenchmarkError, match="not yours"):
        services.save_pillar(colleague, draft, "lean", pillar_form("lean", "2"))
    with pytest.raises(services.BenchmarkError, match="not yours"):
        services.submit(colleague, draft)


def test_metrics_are_cleaned_and_purchases_above_turnover_warn(app):
    user = make_user(organisation=make_organisation())
    draft = services.start_draft(user)
    warnings = services.save_metrics(
        user, draft, {"turnover_gbp": "1,000,000", "purchases_gbp": "1200000", "fte": "10"}
    )
    assert draft.metrics["turnover_gbp"] == 1_000_000
    assert draft.metrics["purchases_gbp"] == 1_200_000
    assert draft.metrics["fte"] == 10.0
    assert len(warnings) == 1 and "more than annual turnover" in warnings[0]
    assert services.metric_warnings(draft) == [
        "Bought-in goods and services are more than turnover; please check both figures."
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("fte", "0", "must be more than 0"),
        ("turnover_gbp", "-5", "cannot be negative"),
        ("turnover_gbp", "1e12", "enter a number"),
        ("export_share_pct", "140", "percentage from 0 to 100"),
        ("turnover_gbp", "999999999999", "looks too large"),
    ],
)
def test_bad_metrics_are_refused_and_nothing_is_written(app, field, value, message):
    user = make_user(organisation=make_organisation())
    draft = services.start_draft(user)
    services.save_metrics(user, draft, {"fte": "12"})
    with pytest.raises(services.BenchmarkError) as caught:
        services.save_metrics(user, draft, {field: value})
    assert message in caught.value.errors[field]
    assert draft.metrics["fte"] == 12.0


# --- submission ----------------------------------------------------------------------------


def test_submit_scores_records_versions_and_sends_the_signal(app):
    user = make_user(organisation=make_organisation())
    draft = _complete_draft(user, "3")
    services.save_metrics(
        user, draft, {"turnover_gbp": "2000000", "purchases_gbp": "1100000", "fte": "20"}
    )
    received = []

    def receiver(sender, **kwargs):
        received.append((sender, kwargs))

    signals.benchmark_submitted.connect(receiver)
    try:
        response = services.submit(user, draft)
    finally:
        signals.benchmark_submitted.disconnect(receiver)
    assert response.status == "submitted"
    assert response.pillar_scores == dict.fromkeys(Q.pillar_keys, 75.0)
    assert response.overall_score == 75.0
    assert response.band == "Established"
    assert response.gva_per_fte == 45_000.0  # (2,000,000 - 1,100,000) / 20
    assert (response.questionnaire_version, response.scoring_version) == (Q.version, "1")
    assert response.submitted_at is not None
    assert received == [(user.organisation, {"actor": user, "response": response})]
    assert services.has_valid_benchmark(user.organisation_id) is True
    assert services.current_draft(user) is None


def test_submit_refuses_unanswered_questions(app):
    user = make_user(organisation=make_organisation())
    draft = services.start_draft(user)
    services.save_pillar(user, draft, "lean", pillar_form("lean", "2"))
    with pytest.raises(services.BenchmarkError, match="Leadership & strategy"):
        services.submit(user, draft)
    assert draft.status == "draft"


def test_double_submission_is_refused(app):
    user = make_user(organisation=make_organisation())
    draft = _complete_draft(user)
    services.submit(user, draft)
    with pytest.raises(services.BenchmarkError, match="already been submitted"):
        services.submit(user, draft)
    assert _count() == 1


def test_a_racing_second_submission_changes_nothing(app):
    """The status changes with a conditional UPDATE: a request holding a stale copy of the
    draft (still 'draft' in its memory) is refused."""
    user = make_user(organisation=make_organisation())
    draft = _complete_draft(user)
    db.session.commit()
    services.submit(user, draft)
    db.session.commit()
    submitted_at = draft.submitted_at
    draft.status = "draft"  # what a second request loaded before the first committed
    db.session.expunge(draft)
    with pytest.raises(services.BenchmarkError, match="already been submitted"):
        services.submit(user, draft)
    db.session.rollback()
    stored = db.session.get(BenchmarkResponse, draft.id)
    assert stored.status == "submitted" and stored.submitted_at == submitted_at


def test_submit_fills_the_organisation_from_metrics(app):
    org = make_organisation(sector=None, size_band=None)
    user = make_user(organisation=org)
    draft = _complete_draft(user)
    services.save_metrics(user, draft, {"fte": "60"})
    services.submit(user, draft)
    assert (org.sector, org.size_band, org.fte) == (None, "medium", 60.0)


def test_the_sector_figure_is_the_businesss_own_never_typed_again(app):
    org = make_organisation(sector="25")
    user = make_user(organisation=org)
    draft = _complete_draft(user)
    # A typed sector is ignored: the business's record says 25.
    services.save_metrics(user, draft, {"sic_division": "10", "fte": "12"})
    assert draft.metrics["sic_division"] == "25"


def test_reassessment_keeps_history(app):
    user = make_user(organisation=make_organisation())
    first = services.submit(user, _complete_draft(user, "1"), now=utcnow() - timedelta(days=300))
    second = services.submit(user, _complete_draft(user, "3"))
    assert first.id != second.id
    assert services.baseline(user.organisation_id).id == first.id
    assert services.latest_submitted(user.organisation_id).id == second.id


# --- privacy of results --------------------------------------------------------------------


def test_only_members_and_organisers_see_a_response(app):
    response = make_submission()
    member = make_user(organisation=response.organisation)
    outsider = make_user(organisation=make_organisation())
    loner = make_user()
    assert services.response_for_viewer(response.public_id, member) is response
    assert services.response_for_viewer(response.public_id, organiser()) is response
    assert services.response_for_viewer(response.public_id, outsider) is None
    assert services.response_for_viewer(response.public_id, loner) is None
    assert services.response_for_viewer(str(response.id), member) is None
    assert services.response_for_viewer("x" * 100, member) is None


def test_a_draft_has_no_results(app):
    user = make_user(organisation=make_organisation())
    draft = services.start_draft(user)
    assert services.response_for_viewer(draft.public_id, user) is None


# --- peer comparison and results -----------------------------------------------------------


def test_peer_group_of_four_others_shows_nothing(app):
    peers = make_peers(4, level=3)
    mine = make_submission(make_organisation(sector="25", size_band="small"), level=1)
    group = peer_group_for(mine)
    assert group.available is False
    assert group.org_count == 4  # the business itself is never in its own group
    results = results_for(mine)
    assert all(row.peer_median is None for row in results.rows)
    assert chart_data(results)["peer_median"] is None
    assert len(peers) == 4


def test_peer_group_of_five_others_shows_medians_but_no_quartiles(app):
    make_peers(5, level=3)
    mine = make_submission(make_organisation(sector="25", size_band="small"), level=1)
    results = results_for(mine)
    assert results.peer.level == "sector_size"
    assert results.peer.org_count == 5
    # Five others at 75: the median is 75; quartiles need ten.
    assert {row.peer_median for row in results.rows} == {75.0}
    assert {(row.peer_q1, row.peer_q3) for row in results.rows} == {(None, None)}
    assert chart_data(results)["peer_median"] == [75.0] * 8


def test_only_businesses_the_programme_has_seen_count(app):
    unseen = [make_submission(make_organisation(sector="25", size_band="small"), level=4)
              for _ in range(6)]  # fmt: skip
    mine = make_submission(make_organisation(sector="25", size_band="small"), level=1)
    assert peer_group_for(mine).available is False
    # Four ticked by an organiser and one with a member admitted at an event: five seen.
    for response in unseen[:4]:
        response.organisation.verified_at = utcnow()
    event = make_event()
    member = make_user(organisation=unseen[4].organisation)
    registration = make_registration(event, user=member)
    db.session.add(CheckIn(registration_id=registration.id, event_id=event.id,
                           checked_in_at=utcnow()))  # fmt: skip
    db.session.flush()
    group = peer_group_for(mine)
    assert group.available and group.org_count == 5
    assert group.overall.median == 100.0


def test_peer_group_falls_back_to_sector_then_size_then_programme(app):
    make_peers(3, sector="25", size_band="medium")
    make_peers(2, sector="25", size_band="micro")
    mine = make_submission(make_organisation(sector="25", size_band="small", verified_at=utcnow()))
    assert peer_group_for(mine).level == "sector"
    org2 = make_organisation(sector="10", size_band="medium")
    make_peers(2, sector="10", size_band="large")
    other = make_submission(org2)
    # Others in sector 10: 2; medium: 3; the whole programme: 8.
    assert peer_group_for(other).level == "programme"
    assert peer_group_for(other).label == "All businesses in the programme"


def test_peer_group_uses_each_organisations_latest_submission(app):
    now = utcnow()
    orgs = [make_organisation(sector="25", size_band="small", verified_at=now) for _ in range(5)]
    for org in orgs:
        make_submission(org, level=0, submitted_at=now - timedelta(days=200))
        make_submission(org, level=4, submitted_at=now - timedelta(days=2))
    mine = make_submission(make_organisation(sector="25", size_band="small"), level=1)
    group = peer_group_for(mine)
    assert group.org_count == 5
    assert group.pillars["lean"].median == 100.0


def test_results_show_change_since_baseline_and_dont_know(app):
    now = utcnow()
    org = make_organisation()
    make_submission(org, level=1, submitted_at=now - timedelta(days=330))
    later = make_submission(org, level=2, submitted_at=now, lean=None)
    results = results_for(later)
    assert results.baseline is not None
    assert results.overall_change == pytest.approx(later.overall_score - 25.0)
    lean = next(row for row in results.rows if row.key == "lean")
    assert (lean.score, lean.baseline, lean.change) == (0.0, 25.0, -25.0)
    assert results.dont_know == [q.text for q in Q.pillar("lean").questions]
    assert results.weakest == ["lean"]
    first = results_for(services.baseline(org.id))
    assert first.baseline is None and first.overall_change is None
    assert first.is_latest is False and first.recommendations == []


def test_money_compared_only_when_ten_peers_gave_figures_to_the_nearest_thousand(app):
    figures = {"turnover_gbp": 1_000_000, "purchases_gbp": 500_000, "fte": 10.0}
    make_peers(9, metrics=figures)
    make_peers(1)
    mine = make_submission(make_organisation(sector="25", size_band="small"), metrics=figures)
    assert results_for(mine).peer_gva_median is None
    make_peers(1, metrics=figures)
    results = results_for(mine)
    assert results.gva_per_fte == 50_000.0
    assert results.peer_gva_median == 50_000.0


# --- recommendations -----------------------------------------------------------------------


def test_recommends_the_three_weakest_pillars(app):
    org = make_organisation()
    make_submission(org, level=3, lean=0, people=1, digital=1, automation=2)
    recs = recommendations(org.id)
    assert [r.pillar for r in recs] == ["lean", "people", "digital"]
    assert recs[0].score == 0.0
    assert recs[0].reasons == ["one of your three lowest-scoring pillars"]


def test_recommends_pillars_far_below_the_peer_upper_quartile(app):
    make_peers(10, level=4)
    org = make_organisation(sector="25", size_band="small")
    # Everything at 3 (75) except lean at 0: every pillar is 25 below the peers' 100.
    make_submission(org, level=3, lean=0)
    recs = recommendations(org.id)
    assert [r.pillar for r in recs] == ["lean"] + [k for k in Q.pillar_keys if k != "lean"]
    lean = recs[0]
    assert lean.reasons == [
        "one of your three lowest-scoring pillars",
        "100 points below the upper quartile of your peers",
    ]
    assert recs[-1].reasons == ["25 points below the upper quartile of your peers"]


def test_no_recommendations_without_a_benchmark_or_when_all_top(app):
    assert recommendations(make_organisation().id) == []
    org = make_organisation()
    make_submission(org, level=4)
    assert recommendations(org.id) == []


def test_recommended_events_and_sessions(app):
    org = make_organisation()
    make_submission(org, level=4, lean=1)
    workshop = make_event(kind=EventKind.WORKSHOP, pillars=["lean"], title="Lean workshop")
    make_event(kind=EventKind.WORKSHOP, pillars=["people"], title="People workshop")
    make_event(kind=EventKind.WORKSHOP, pillars=["lean"], status=EventStatus.DRAFT)
    make_event(kind=EventKind.WORKSHOP, pillars=["lean"], starts_in=timedelta(days=-3))
    conference = make_event(kind=EventKind.CONFERENCE, pillars=["lean"], title="Conference")
    conference.agenda_published_at = utcnow()
    talk = make_session(conference, title="Flow talk", pillars=["lean"], kind=SessionKind.TALK)
    make_session(conference, title="Draft talk", pillars=["lean"], publish=False)
    make_session(conference, title="Other talk", pillars=["digital"])
    cancelled = make_session(conference, title="Cancelled", pillars=["lean"])
    cancelled.published = {**cancelled.published, "status": "cancelled"}
    recs = recommendations(org.id)
    assert [r.pillar for r in recs] == ["lean"]
    items = [(i.kind, i.title) for i in recs[0].items]
    assert items == [("workshop", "Lean workshop"), ("session", "Flow talk")]
    assert recs[0].items[0].event_slug == workshop.slug
    assert recs[0].items[1].session_id == talk.id


def test_site_visits_prefer_hosts_strong_in_that_pillar(app):
    org = make_organisation()
    make_submission(org, level=4, quality=0)
    weak_host, strong_host = make_organisation(), make_organisation()
    make_submission(weak_host, level=4, quality=2)  # 50 on quality
    make_submission(strong_host, level=3)  # 75 on quality
    earlier = make_event(
        kind=EventKind.SITE_VISIT, pillars=["quality"], host_organisation_id=weak_host.id,
        starts_in=timedelta(days=10), title="Visit weak",
    )  # fmt: skip
    make_event(
        kind=EventKind.SITE_VISIT, pillars=["quality"], host_organisation_id=strong_host.id,
        starts_in=timedelta(days=40), title="Visit strong",
    )  # fmt: skip
    make_event(kind=EventKind.SITE_VISIT, pillars=["quality"], title="Visit no host",
               starts_in=timedelta(days=20))  # fmt: skip
    items = recommendations(org.id)[0].items
    assert [(i.title, i.exemplar_host) for i in items] == [
        ("Visit strong", True),
        ("Visit weak", False),
        ("Visit no host", False),
    ]
    assert earlier.starts_at < items[0].starts_at


# --- organiser aggregates ------------------------------------------------------------------


def test_programme_overview_counts_and_five_organisation_rule(app):
    now = utcnow()
    organisations = [make_organisation() for _ in range(4)]
    users = [make_user(organisation=o) for o in organisations]
    make_user(organisation=organisations[0])  # a colleague, also covered
    make_user()  # a delegate without an organisation
    for org, user in zip(organisations, users, strict=True):
        make_submission(org, user, level=2)
    stale = make_organisation()
    make_submission(stale, submitted_at=now - timedelta(days=400))
    make_submission(organisations[0], users[0], level=3, submitted_at=now)
    overview = programme_overview(organiser())
    assert overview.organisations_completed == 4
    assert overview.organisations_ever == 5
    assert overview.organisations_total == 5
    assert overview.submissions == 6
    assert overview.reassessed == 1
    # Delegates: 4 submitters + colleague + loner + stale org's submitter = 7; 5 covered.
    assert (overview.delegates_completed, overview.delegates_total) == (5, 7)
    assert overview.distribution["lean"] is not None
    assert overview.distribution["lean"].count == 5
    assert overview.bands == {"Foundation": 0, "Developing": 4, "Established": 1, "Advanced": 0}


def test_programme_overview_hides_groups_of_four(app):
    make_peers(4)
    overview = programme_overview(organiser())
    assert all(value is None for value in overview.distribution.values())
    assert overview.bands is None


def test_overview_and_export_are_for_organisers_only(app):
    delegate = make_user(organisation=make_organisation())
    with pytest.raises(services.BenchmarkError):
        programme_overview(delegate)
    with pytest.raises(services.BenchmarkError):
        export_rows(delegate)


def test_export_rows_pair_latest_with_baseline(app, count_queries):
    now = utcnow()
    org = make_organisation("Zeta Ltd")
    first = make_submission(org, level=1, submitted_at=now - timedelta(days=200))
    latest = make_submission(org, level=3, submitted_at=now)
    other = make_submission(make_organisation("Alpha Ltd"))
    make_peers(5)
    actor = organiser()
    db.session.commit()
    actor_role = actor.role  # loaded before counting
    with count_queries() as queries:
        rows = export_rows(actor)
    assert actor_role == "organiser"
    assert len(queries) == 2  # the rows, then every submitter in one query
    assert [r.organisation.name for r in rows][:1] == ["Alpha Ltd"]
    zeta = next(r for r in rows if r.organisation.name == "Zeta Ltd")
    assert (zeta.first.id, zeta.latest.id, zeta.submissions) == (first.id, latest.id, 2)
    alpha = rows[0]
    assert alpha.first.id == alpha.latest.id == other.id


def test_answers_helper_matches_questionnaire(app):
    assert set(answers_at(1)) == set(Q.question_keys)
