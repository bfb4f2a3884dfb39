"""The benchmark's routes through the test client: taking it, bad input, results and their
privacy, the return to registration, and the organiser's overview and export."""

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import signals
from app.auth.models import MembershipRequest, Organisation, User
from app.benchmark import services
from app.benchmark.models import BenchmarkResponse
from app.benchmark.questionnaire import current_questionnaire
from app.extensions import db
from app.timeutil import utcnow
from tests.conftest import csrf_token_from
from tests.factories import make_event, make_organisation, make_user, organiser
from tests.factories_benchmark import make_peers, make_submission, pillar_form

Q = current_questionnaire()


def _responses() -> list[BenchmarkResponse]:
    db.session.expire_all()  # see what the requests committed
    return list(db.session.execute(select(BenchmarkResponse)).scalars())


def _delegate(**org_kw) -> User:
    user = make_user(organisation=make_organisation(**org_kw))
    db.session.commit()
    return user


def _flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


def _fill_all_pillars(client, value="2"):
    for pillar in Q.pillars:
        response = client.post(
            f"/benchmark/step/{pillar.key}",
            data={**pillar_form(pillar.key, value), "action": "next"},
        )
        assert response.status_code == 302


def _draft(user_id) -> BenchmarkResponse:
    db.session.expire_all()
    return db.session.execute(
        select(BenchmarkResponse).where(BenchmarkResponse.submitted_by_id == user_id)
    ).scalar_one()


# --- index -----------------------------------------------------------------------------------


def test_index_for_visitors_explains_and_offers_sign_in(client):
    response = client.get("/benchmark?next=/events/x/register")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Sign in or create an account" in html
    assert "/auth/login?next=/benchmark?next%3D/events/x/register" in html


def test_index_for_a_delegate_without_benchmark_offers_to_start(client, login):
    login(_delegate(name="Wensum Widgets Ltd"))
    html = client.get("/benchmark").get_data(as_text=True)
    assert "Wensum Widgets Ltd" in html
    assert "has not completed the benchmark yet" in html
    assert "Start the benchmark" in html


def test_index_shows_current_benchmark_and_history(client, login):
    org = make_organisation()
    user = make_user(organisation=org)
    make_submission(org, user, level=1, submitted_at=utcnow() - timedelta(days=300))
    latest = make_submission(org, user, level=3)
    db.session.commit()
    login(user)
    html = client.get("/benchmark").get_data(as_text=True)
    assert f"/benchmark/results/{latest.public_id}" in html
    assert "Established</strong> (75.0 out of 100)" in html
    assert "Take it again" in html
    assert "Baseline" in html


def test_index_with_next_and_a_valid_benchmark_offers_to_continue(client, login):
    org = make_organisation()
    user = make_user(organisation=org)
    make_submission(org, user)
    db.session.commit()
    login(user)
    html = client.get("/benchmark?next=/events/conf/register").get_data(as_text=True)
    assert 'href="/events/conf/register">Carry on' in html


@pytest.mark.parametrize(
    "bad", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]
)
def test_index_ignores_a_next_that_is_not_a_local_path(client, login, bad):
    org = make_organisation()
    user = make_user(organisation=org)
    make_submission(org, user)
    db.session.commit()
    login(user)
    html = client.get("/benchmark", query_string={"next": bad}).get_data(as_text=True)
    assert "Carry on" not in html
    assert "evil.example" not in html


# --- the organisation step -------------------------------------------------------------------


def test_start_requires_sign_in(client):
    response = client.post("/benchmark/start")
    assert response.status_code == 302
    assert "/auth/login" in response.location
    assert _responses() == []


def test_delegate_without_organisation_is_asked_for_it_first(client, login):
    user = make_user()
    db.session.commit()
    login(user)
    response = client.post("/benchmark/start")
    assert response.location.endswith("/benchmark/organisation")
    html = client.get("/benchmark/organisation").get_data(as_text=True)
    assert "Business name" in html and "Sector (SIC division)" in html
    assert _responses() == []

    response = client.post(
        "/benchmark/organisation",
        data={"name": "Loddon Laser Ltd", "companies_house_number": "", "sector": "25",
              "size_band": "micro"},
    )  # fmt: skip
    assert response.status_code == 302
    assert response.location.endswith(f"/benchmark/step/{Q.pillar_keys[0]}")
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.organisation.name, user.organisation.sector) == ("Loddon Laser Ltd", "25")
    assert user.organisation.size_band == "micro"
    assert [r.status for r in _responses()] == ["draft"]


def test_naming_an_existing_business_asks_to_join_it(client, login, outbox):
    existing = make_organisation("Loddon Laser Ltd", sector="25", size_band="small")
    make_user(email="admin@loddon.example", organisation=existing, is_business_admin=True)
    user = make_user()
    db.session.commit()
    login(user)
    response = client.post(
        "/benchmark/organisation",
        data={"name": "loddon  laser ltd", "sector": "10", "size_band": "large"},
    )
    assert response.status_code == 302 and response.location == "/benchmark"
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.organisation_id is None  # a request, not a membership
    [request] = db.session.execute(select(MembershipRequest)).scalars().all()
    assert (request.organisation_id, request.status) == (existing.id, "pending")
    assert (existing.sector, existing.size_band) == ("25", "small")  # untouched
    page = client.get("/benchmark").text
    assert "Waiting to join Loddon Laser Ltd" in page
    assert [m["To"] for m in outbox] == ["admin@loddon.example"]


def test_organisation_step_asks_only_for_what_is_missing(client, login):
    user = _delegate(sector=None, size_band="small")
    login(user)
    assert client.post("/benchmark/start").location.endswith("/benchmark/organisation")
    html = client.get("/benchmark/organisation").get_data(as_text=True)
    assert "Sector (SIC division)" in html and "Step 1 of 11" in html
    assert "Business name" not in html and "Size (full-time" not in html
    client.post("/benchmark/organisation", data={"sector": "22"})
    db.session.expire_all()
    assert db.session.get(User, user.id).organisation.sector == "22"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "sector": "25", "size_band": "small"}, "Enter your business name."),
        ({"name": "A Ltd", "sector": "04", "size_band": "small"}, "Choose your sector from"),
        ({"name": "A Ltd", "sector": "25", "size_band": "giant"}, "Choose a size band from"),
        ({"name": "A Ltd", "sector": "", "size_band": "small"}, "Choose your sector."),
        ({"name": "A Ltd", "companies_house_number": "12", "sector": "25", "size_band": "small"},
         "Companies House number is 8 characters"),
        ({"name": "A" * 201, "sector": "25", "size_band": "small"}, "cannot be longer than 200"),
    ],
)  # fmt: skip
def test_organisation_step_bad_input_writes_nothing(client, login, data, message):
    user = make_user()
    db.session.commit()
    login(user)
    response = client.post("/benchmark/organisation", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.execute(select(func.count()).select_from(Organisation)).scalar_one() == 0
    assert _responses() == []


# --- pillar steps ----------------------------------------------------------------------------


def test_step_shows_every_answer_as_a_radio_with_dont_know_and_progress(client, login):
    login(_delegate())
    client.post("/benchmark/start")
    html = client.get("/benchmark/step/lean").get_data(as_text=True)
    pillar = Q.pillar("lean")
    for question in pillar.questions:
        assert question.text in html
        for answer in question.answers:
            assert answer.replace("'", "&#39;") in html
        assert f'name="{question.key}" id="{question.key.replace(".", "-")}-dk" value="dk"' in html
    assert html.count("Don’t know") == len(pillar.questions)
    assert "Step 3 of 11" in html
    assert 'aria-valuenow="20"' in html


def test_forward_needs_every_answer_and_says_which(client, login):
    user = _delegate()
    login(user)
    client.post("/benchmark/start")
    keys = Q.pillar("lean").question_keys
    response = client.post("/benchmark/step/lean", data={keys[0]: "3", "action": "next"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Please answer every question" in html
    assert html.count("Choose an answer.") == len(keys) - 1
    assert 'value="3" checked' in html  # what was chosen is kept on the page
    assert _draft(user.id).answers == {}


@pytest.mark.parametrize("bad", ["5", "-1", "two", "1.0"])
def test_off_scale_answer_is_refused_whatever_the_action(client, login, bad):
    user = _delegate()
    login(user)
    client.post("/benchmark/start")
    for action in ("next", "back", "save"):
        data = {**pillar_form("lean", "2"), Q.pillar("lean").question_keys[0]: bad}
        response = client.post("/benchmark/step/lean", data={**data, "action": action})
        assert response.status_code == 400
        assert "Choose one of the answers shown." in response.get_data(as_text=True)
    assert _draft(user.id).answers == {}


def test_forward_saves_and_moves_to_the_next_pillar(client, login):
    user = _delegate()
    login(user)
    client.post("/benchmark/start")
    response = client.post(
        "/benchmark/step/lean", data={**pillar_form("lean", "dk"), "action": "next"}
    )
    assert response.location.endswith("/benchmark/step/quality")
    assert _draft(user.id).answers == dict.fromkeys(Q.pillar("lean").question_keys)
    html = client.get("/benchmark/step/lean").get_data(as_text=True)
    assert html.count('value="dk" checked') == len(Q.pillar("lean").questions)


def test_back_keeps_partial_answers_and_goes_to_the_previous_step(client, login):
    user = _delegate()
    login(user)
    client.post("/benchmark/start")
    first_key = Q.pillar("lean").question_keys[0]
    response = client.post("/benchmark/step/lean", data={first_key: "1", "action": "back"})
    assert response.location.endswith(f"/benchmark/step/{Q.pillar_keys[0]}")
    assert _draft(user.id).answers == {first_key: 1}
    response = client.post(f"/benchmark/step/{Q.pillar_keys[0]}", data={"action": "back"})
    assert response.location.endswith("/benchmark")


def test_save_and_resume_where_you_left_off(client, login):
    user = _delegate()
    login(user)
    client.post("/benchmark/start")
    client.post(
        f"/benchmark/step/{Q.pillar_keys[0]}",
        data={**pillar_form(Q.pillar_keys[0], "2"), "action": "next"},
    )
    response = client.post("/benchmark/step/lean", data={"action": "save"})
    assert response.location.endswith("/benchmark")
    assert ("success", "Saved. Come back to this page at any time to carry on.") in _flashes(client)
    html = client.get("/benchmark").get_data(as_text=True)
    assert "Carry on where you left off" in html
    assert "4 questions answered so far" in html
    # Resuming goes to the first pillar with unanswered questions, with the same draft.
    assert client.post("/benchmark/start").location.endswith("/benchmark/step/lean")
    assert len(_responses()) == 1


def test_unknown_step_is_404_and_bad_action_is_400(client, login):
    login(_delegate())
    client.post("/benchmark/start")
    assert client.get("/benchmark/step/marketing").status_code == 404
    response = client.post("/benchmark/step/lean", data={"action": "delete"})
    assert response.status_code == 400


def test_steps_without_a_draft_send_you_to_the_start(client, login):
    login(_delegate())
    for url in ("/benchmark/step/lean", "/benchmark/metrics", "/benchmark/review"):
        response = client.get(url)
        assert response.status_code == 302 and response.location.endswith("/benchmark")
    assert _responses() == []


def test_steps_require_sign_in(client):
    for url in ("/benchmark/step/lean", "/benchmark/metrics", "/benchmark/review"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.location


# --- metrics, review, submit -----------------------------------------------------------------


def test_metrics_step_is_optional(client, login):
    user = _delegate()
    login(user)
    client.post("/benchmark/start")
    html = client.get("/benchmark/metrics").get_data(as_text=True)
    assert "Step 10 of 11" in html
    # The sector is asked once, about the business, not again among the figures.
    assert 'name="sic_division"' not in html
    for field in Q.metrics:
        if field.kind != "sic":
            assert f'name="{field.key}"' in html
    response = client.post("/benchmark/metrics", data={"action": "next"})
    assert response.location.endswith("/benchmark/review")
    expected = dict.fromkeys(f.key for f in Q.metrics)
    expected["sic_division"] = user.organisation.sector  # from the business's record
    assert expected["sic_division"]
    assert _draft(user.id).metrics == expected


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("fte", "0", "Full-time equivalent employees must be more than 0."),
        ("turnover_gbp", "-100", "Annual turnover cannot be negative."),
        ("turnover_gbp", "lots", "Annual turnover: enter a number"),
        ("on_time_delivery_pct", "101", "On-time delivery must be a percentage from 0 to 100."),
        ("purchases_gbp", "1000000000000", "looks too large"),
    ],
)
def test_bad_metrics_are_refused_with_a_message(client, login, field, value, message):
    user = _delegate()
    login(user)
    client.post("/benchmark/start")
    response = client.post("/benchmark/metrics", data={field: value, "action": "next"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert f'value="{value}"' in html
    assert _draft(user.id).metrics == {}


def test_purchases_above_turnover_are_allowed_but_flagged(client, login):
    user = _delegate()
    login(user)
    client.post("/benchmark/start")
    response = client.post(
        "/benchmark/metrics",
        data={"turnover_gbp": "500000", "purchases_gbp": "600000", "fte": "5", "action": "next"},
    )
    assert response.status_code == 302
    assert any("Please check both figures" in m for c, m in _flashes(client) if c == "warning")
    html = client.get("/benchmark/review").get_data(as_text=True)
    assert "Bought-in goods and services are more than turnover" in html
    assert _draft(user.id).metrics["purchases_gbp"] == 600_000


def test_review_names_unanswered_pillars_and_submit_refuses_them(client, login):
    user = _delegate()
    login(user)
    client.post("/benchmark/start")
    client.post("/benchmark/step/lean", data={**pillar_form("lean", "2"), "action": "next"})
    html = client.get("/benchmark/review").get_data(as_text=True)
    assert "Some questions are still unanswered" in html
    assert "Not answered" in html
    assert "Submit benchmark</button>" in html and "disabled" in html
    draft = _draft(user.id)
    response = client.post("/benchmark/submit", data={"response": draft.public_id})
    assert response.location.endswith("/benchmark/review")
    assert any("still unanswered" in m for _, m in _flashes(client))
    assert _draft(user.id).status == "draft"


def test_complete_journey_submits_scores_signals_and_shows_results(client, login):
    user = _delegate()
    login(user)
    client.get("/benchmark?next=/events/conf/register")
    client.post("/benchmark/start")
    _fill_all_pillars(client, "3")
    client.post(
        "/benchmark/metrics",
        data={"turnover_gbp": "3000000", "purchases_gbp": "1500000", "fte": "30",
              "action": "next"},
    )  # fmt: skip
    review = client.get("/benchmark/review").get_data(as_text=True)
    assert "£3,000,000" in review
    draft = _draft(user.id)
    received = []

    def receiver(sender, **kwargs):
        received.append((sender.id, kwargs["actor"].id, kwargs["response"].id))

    signals.benchmark_submitted.connect(receiver)
    try:
        response = client.post("/benchmark/submit", data={"response": draft.public_id})
    finally:
        signals.benchmark_submitted.disconnect(receiver)
    assert response.status_code == 302
    assert response.location.endswith(
        f"/benchmark/results/{draft.public_id}?next=/events/conf/register"
    )
    assert received == [(user.organisation_id, user.id, draft.id)]
    stored = _draft(user.id)
    assert (stored.status, stored.overall_score, stored.band) == ("submitted", 75.0, "Established")
    assert stored.gva_per_fte == 50_000.0

    html = client.get(response.location).get_data(as_text=True)
    # Nothing was waiting for this benchmark: no banner about places, a way back.
    assert 'data-testid="places-banner"' not in html
    assert 'href="/events/conf/register">Carry on' in html
    assert 'id="benchmark-chart"' in html and 'id="benchmark-table"' in html
    assert "£50,000" in html
    assert "This is your baseline" in html
    # The remembered destination is used once.
    assert "Carry on" not in client.get("/benchmark").get_data(as_text=True)


def test_double_submission_writes_nothing_more(client, login):
    user = _delegate()
    login(user)
    client.post("/benchmark/start")
    _fill_all_pillars(client)
    draft = _draft(user.id)
    client.post("/benchmark/submit", data={"response": draft.public_id})
    submitted_at = _draft(user.id).submitted_at
    response = client.post("/benchmark/submit", data={"response": draft.public_id})
    assert response.location.endswith(f"/benchmark/results/{draft.public_id}")
    assert ("info", "This benchmark has already been submitted; here are its results.") in (
        _flashes(client)
    )
    assert len(_responses()) == 1
    assert _draft(user.id).submitted_at == submitted_at


def test_submitting_someone_elses_draft_is_404(client, login):
    org = make_organisation()
    owner, colleague = make_user(organisation=org), make_user(organisation=org)
    db.session.commit()
    draft = services.start_draft(owner)
    db.session.commit()
    login(colleague)
    response = client.post("/benchmark/submit", data={"response": draft.public_id})
    assert response.status_code == 404
    assert client.post("/benchmark/submit", data={}).status_code == 404
    assert _responses()[0].status == "draft"


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_steps_need_the_csrf_token(client, login):
    user = _delegate()
    login(user)
    assert client.post("/benchmark/start").status_code == 400
    token = csrf_token_from(client.get("/benchmark").get_data(as_text=True))
    assert client.post("/benchmark/start", data={"csrf_token": token}).status_code == 302
    response = client.post("/benchmark/step/lean", data={**pillar_form("lean", "2")})
    assert response.status_code == 400
    assert _draft(user.id).answers == {}


# --- results and their privacy ---------------------------------------------------------------


def test_results_with_peers_baseline_and_recommendations(client, login):
    make_peers(10, level=3, metrics={"turnover_gbp": 1_000_000, "purchases_gbp": 400_000,
                                     "fte": 10.0})  # fmt: skip
    org = make_organisation(sector="25", size_band="small")
    user = make_user(organisation=org)
    make_submission(org, user, level=1, submitted_at=utcnow() - timedelta(days=330))
    latest = make_submission(org, user, level=2, lean=0)
    workshop = make_event(kind="workshop", pillars=["lean"], title="Flow for beginners")
    db.session.commit()
    login(user)
    response = client.get(f"/benchmark/results/{latest.public_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Manufacture of fabricated metal products, except machinery and equipment, small" in html
    assert "(10 other businesses" in html
    assert "+18.8" in html  # overall 43.8 against a baseline of 25.0
    assert "Flow for beginners" in html and f"/events/{workshop.slug}" in html
    assert "Peer median" in html
    assert 'class="text-end">75</td>' in html  # the peers' median, a whole number
    assert "75–75" in html  # ten others: the middle half too
    assert "Too few similar businesses gave figures" not in html
    assert "Add turnover, bought-in costs" in html
    # Only aggregates: no other organisation's name appears.
    for other in db.session.execute(
        select(Organisation).where(Organisation.id != org.id)
    ).scalars():
        assert other.name not in html


def test_results_of_a_group_of_four_others_show_no_peer_figures(client, login):
    make_peers(4, level=4)
    org = make_organisation(sector="25", size_band="small")
    user = make_user(organisation=org)
    mine = make_submission(org, user, level=1)
    db.session.commit()
    login(user)
    html = client.get(f"/benchmark/results/{mine.public_id}").get_data(as_text=True)
    assert "Not enough other businesses have taken the benchmark yet" in html
    assert "Peer median" not in html
    assert "100.0" not in html  # the peers' scores


def test_results_url_is_private(client, login):
    response = make_submission()
    colleague = make_user(organisation=response.organisation)
    outsider = make_user(organisation=make_organisation())
    staff = organiser()
    db.session.commit()
    url = f"/benchmark/results/{response.public_id}"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.location
    login(outsider)
    refused = client.get(url)
    assert refused.status_code == 404
    assert response.organisation.name not in refused.get_data(as_text=True)
    assert client.get(f"/benchmark/results/{response.id}").status_code == 404
    login(colleague)
    assert client.get(url).status_code == 200
    login(staff)
    assert client.get(url).status_code == 200


def test_results_of_a_draft_are_404(client, login):
    user = _delegate()
    draft = services.start_draft(user)
    db.session.commit()
    login(user)
    assert client.get(f"/benchmark/results/{draft.public_id}").status_code == 404


def test_results_ignore_an_external_next(client, login):
    response = make_submission()
    user = make_user(organisation=response.organisation)
    db.session.commit()
    login(user)
    html = client.get(
        f"/benchmark/results/{response.public_id}?next=https://evil.example/"
    ).get_data(as_text=True)
    assert "Continue your registration" not in html


# --- organiser -------------------------------------------------------------------------------


def test_organiser_overview_is_for_organisers_only(client, login):
    login(_delegate())
    assert client.get("/organiser/benchmark").status_code == 403
    assert client.get("/organiser/benchmark/export.csv").status_code == 403


def test_organiser_overview_counts_and_distribution(client, login):
    make_peers(5, level=2)
    staff = organiser()
    db.session.commit()
    login(staff)
    html = client.get("/organiser/benchmark").get_data(as_text=True)
    assert '<div class="fs-3 fw-semibold" data-testid="orgs-completed">5</div>' in html
    assert '<div class="fs-3 fw-semibold" data-testid="delegates-completed">5</div>' in html
    assert "Fewer than 5 organisations" not in html
    assert '<td class="text-end fw-semibold">50.0</td>' in html
    assert "Developing: <strong>5</strong>" in html


def test_organiser_overview_hides_a_group_of_four(client, login):
    make_peers(4)
    staff = organiser()
    db.session.commit()
    login(staff)
    html = client.get("/organiser/benchmark").get_data(as_text=True)
    assert html.count("Fewer than 5 organisations: not shown.") == len(Q.pillars) + 1
    assert "50.0" not in html


def test_csv_export_of_organisation_results(client, login, count_queries):
    now = utcnow()
    org = make_organisation('=HYPERLINK("x") Ltd', companies_house_number="01234567")
    make_submission(org, level=1, submitted_at=now - timedelta(days=400))
    figures = {"turnover_gbp": 900_000, "purchases_gbp": 300_000, "fte": 12.0}
    make_submission(org, level=3, submitted_at=now - timedelta(days=1), metrics=figures)
    make_peers(2)
    staff = organiser()
    db.session.commit()
    login(staff)
    with count_queries() as queries:
        response = client.get("/organiser/benchmark/export.csv")
    assert len(queries) == 3  # the organiser, the rows, their submitters
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'attachment; filename="benchmark-results-' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 3
    row = next(r for r in rows if r["companies_house_number"] == "01234567")
    assert row["organisation"] == '\'=HYPERLINK("x") Ltd'
    assert (row["submissions"], row["overall"], row["band"]) == ("2", "75.0", "Established")
    assert (row["baseline_overall"], row["change_since_baseline"]) == ("25.0", "50.0")
    assert row["lean"] == "75.0" and row["gva_per_fte"] == "50000"
    assert (row["turnover_gbp"], row["fte"], row["valid"]) == ("900000", "12.0", "yes")
    assert (row["sector"], row["size_band"], row["questionnaire_version"]) == (
        "25", "small", Q.version,
    )  # fmt: skip


def _results_queries(client, login, count_queries, peers: int) -> int:
    make_peers(peers, level=3)
    org = make_organisation(sector="25", size_band="small")
    user = make_user(organisation=org)
    mine = make_submission(org, user, level=1)
    conference = make_event(pillars=["lean"])
    conference.agenda_published_at = utcnow()
    make_event(kind="workshop", pillars=["lean"])
    make_event(kind="site_visit", pillars=["lean"], host_organisation_id=org.id)
    db.session.commit()
    login(user)
    with count_queries() as queries:
        assert client.get(f"/benchmark/results/{mine.public_id}").status_code == 200
    return len(queries)


def test_results_page_queries_do_not_grow_with_the_programme(client, login, count_queries):
    few = _results_queries(client, login, count_queries, 5)
    many = _results_queries(client, login, count_queries, 25)
    assert few == many


def test_organiser_overview_queries_do_not_grow(client, login, count_queries):
    staff = organiser()
    make_peers(5)
    db.session.commit()
    login(staff)
    with count_queries() as queries:
        client.get("/organiser/benchmark")
    few = len(queries)
    make_peers(20)
    db.session.commit()
    with count_queries() as queries:
        client.get("/organiser/benchmark")
    assert len(queries) == few
