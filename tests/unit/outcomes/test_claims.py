"""Declarations and claims: who may make them, the review workflow, the audit trail, and
the target progress they add up to."""

from datetime import date
from decimal import Decimal

import pytest

from app.auth.models import Role
from app.extensions import db
from app.outcomes import services
from app.outcomes.models import ClaimStatus, Declaration, OutcomeAudit, OutcomeClaim
from app.outcomes.report import build_report
from app.outcomes.services import OutcomesError, OutcomesForbidden
from tests.factories import make_organisation, make_user, organiser
from tests.factories_checkin import make_registration
from tests.factories_outcomes import admit, claim_data, dated_event, declare, make_programme


@pytest.fixture
def programme(app):
    return make_programme()


def _count(model) -> int:
    return db.session.query(model).count()


def test_a_member_records_a_claim_that_starts_claimed_and_is_audited(programme):
    org = make_organisation()
    member = make_user(organisation=org)
    claim = services.record_claim(member, programme, org, claim_data("jobs"))
    assert (claim.status, claim.quantity, claim.title) == ("claimed", Decimal("2.5"), "CNC setter")
    audit = db.session.query(OutcomeAudit).one()
    assert (audit.action, audit.actor_id, audit.claim_id) == ("claim_recorded", member.id, claim.id)


def test_a_member_of_another_business_or_door_staff_cannot_claim(programme):
    org, other = make_organisation(), make_organisation()
    outsider = make_user(organisation=other)
    with pytest.raises(OutcomesForbidden):
        services.record_claim(outsider, programme, org, claim_data("jobs"))
    door = make_user(Role.DOOR_STAFF, organisation=org)
    with pytest.raises(OutcomesForbidden):
        services.record_claim(door, programme, org, claim_data("jobs"))
    with pytest.raises(OutcomesForbidden):
        declare(programme, org, actor=outsider)
    with pytest.raises(OutcomesForbidden, match="admins"):
        declare(programme, org, actor=make_user(organisation=org))  # a member, not an admin
    assert _count(OutcomeClaim) == _count(Declaration) == _count(OutcomeAudit) == 0


@pytest.mark.parametrize(
    ("kind", "change", "message"),
    [
        ("jobs", {"quantity": Decimal(0)}, "full-time equivalents"),
        ("jobs", {"title": " "}, "Name the role"),
        ("product", {"detail": "new_to_galaxy"}, "new to the firm"),
        ("collaboration", {"detail": "cousin"}, "business, a university or a college"),
        ("start_up", {"description": "  "}, "Describe"),
        ("start_up", {"occurred_on": date(2025, 12, 31)}, "within the programme"),
        ("custom", {"indicator_id": None}, "programme's own indicators"),
        ("alien", {}, "what kind"),
    ],
)
def test_bad_claims_are_refused_and_write_nothing(programme, kind, change, message):
    org = make_organisation()
    data = claim_data("jobs" if kind == "alien" else kind, **change)
    data.kind = kind
    with pytest.raises(OutcomesError, match=message):
        services.record_claim(make_user(organisation=org), programme, org, data)
    assert _count(OutcomeClaim) == _count(OutcomeAudit) == 0


def test_only_an_organiser_reviews_once_and_a_rejection_needs_a_note(programme):
    org = make_organisation()
    member = make_user(organisation=org)
    claim = services.record_claim(member, programme, org, claim_data("product"))
    with pytest.raises(OutcomesForbidden):
        services.review_claim(member, claim, "verified", "")
    boss = organiser()
    with pytest.raises(OutcomesError, match="Say why"):
        services.review_claim(boss, claim, "rejected", " ")
    services.review_claim(boss, claim, "verified", "Seen the launch brochure")
    assert (claim.status, claim.reviewed_by_id, claim.review_note) == (
        "verified", boss.id, "Seen the launch brochure",
    )  # fmt: skip
    with pytest.raises(OutcomesError, match="already been reviewed"):
        services.review_claim(boss, claim, "rejected", "changed my mind")
    actions = [a.action for a in db.session.query(OutcomeAudit).order_by(OutcomeAudit.id)]
    assert actions == ["claim_recorded", "claim_verified"]


def test_declarations_are_versioned_never_edited(programme):
    org = make_organisation()
    first = declare(programme, org, subsidies_gbp=10_000)
    second = declare(programme, org, subsidies_gbp=20_000, consent_to_name=False)
    assert (first.version, first.subsidies_gbp) == (1, 10_000)
    assert (second.version, second.subsidies_gbp) == (2, 20_000)
    assert [d.version for d in services.declarations_of(programme, org)] == [2, 1]


def test_an_organiser_declares_on_a_business_behalf(programme):
    org = make_organisation()
    declaration = declare(programme, org, actor=organiser())
    audit = db.session.query(OutcomeAudit).one()
    assert declaration.version == 1
    assert "on the business's behalf" in audit.detail


def test_target_progress_counts_only_verified_and_shows_pending_apart(programme):
    boss = organiser()
    a, b = make_organisation(), make_organisation()
    ma, mb = make_user(organisation=a), make_user(organisation=b)

    def claim(org, member, kind, decision=None, **kw):
        c = services.record_claim(member, programme, org, claim_data(kind, **kw))
        if decision:
            services.review_claim(boss, c, decision, "checked")
        return c

    claim(a, ma, "jobs", "verified", quantity=Decimal("3.5"))
    claim(a, ma, "jobs", quantity=Decimal("1.5"))
    claim(b, mb, "jobs", "rejected", quantity=Decimal(40))
    claim(a, ma, "product", "verified", detail="new_to_firm")
    claim(b, mb, "product", "verified")
    claim(b, mb, "product")
    claim(a, ma, "collaboration", "verified", detail="business")
    claim(b, mb, "collaboration", "verified", detail="college")
    claim(a, ma, "start_up", "verified")
    claim(b, mb, "start_up")
    event = dated_event(date(2026, 7, 14), 9, hours=12)
    admit(make_registration(event, ma))
    admit(make_registration(event, mb))
    declare(programme, a)
    figures = {p.key: (p.verified, p.pending, p.target) for p in build_report(programme).progress}
    assert figures == {
        "assisted_enterprises": (1, 1, None),
        "jobs_fte": (Decimal("3.5"), Decimal("1.5"), 380),
        "start_ups": (1, 1, 20),
        "collaborations": (2, 0, 24),
        "new_products": (2, 1, 96),
        "research_cooperation": (1, 0, None),
    }
    assert build_report(programme).progress[1].percent == pytest.approx(0.9)


def test_custom_indicator_counts_verified_claims(programme):
    boss = organiser()
    indicator = services.add_indicator(boss, programme, "Apprentices started", 50)
    with pytest.raises(OutcomesError, match="already has"):
        services.add_indicator(boss, programme, "apprentices STARTED", 5)
    org = make_organisation()
    member = make_user(organisation=org)
    c = services.record_claim(
        member, programme, org, claim_data("custom", indicator_id=indicator.id, quantity=Decimal(3))
    )
    services.review_claim(boss, c, ClaimStatus.VERIFIED, "ok")
    custom = build_report(programme).progress[-1]
    assert (custom.title, custom.verified, custom.target) == ("Apprentices started", 3, 50)
