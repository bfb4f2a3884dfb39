"""The brief's rules in detail: what a consent must name, number plates, the terms' versions
and their PDF (size, completeness, file name), and who still has to accept."""

import pytest

from app.events.models import EventKind
from app.extensions import db
from app.hosts import brief as briefs
from app.hosts.models import HostMember, VisitBrief, VisitTerms
from app.hosts.services import HostError
from app.registration import services as registrations
from tests.factories import make_event, make_organisation, make_user

PDF_HEAD, PDF_TAIL = b"%PDF-1.4\n", b"\n%%EOF\n"


@pytest.fixture
def visit(app):
    org = make_organisation("Loddon Laser Ltd")
    host = make_user(email="hal@loddon.example", organisation=org)
    db.session.flush()
    db.session.add(HostMember(user_id=host.id, organisation_id=org.id))
    event = make_event(kind=EventKind.SITE_VISIT, host_organisation_id=org.id,
                       requires_benchmark=False)  # fmt: skip
    db.session.flush()
    briefs.save_brief(host, event, ppe=["hi_vis"], asks_vehicle=True)
    return event, host


def _refusal(call, *args, **kwargs) -> str:
    with pytest.raises(HostError) as info:
        call(*args, **kwargs)
    return str(info.value)


def test_the_consent_must_name_the_current_version(visit):
    event, host = visit
    briefs.save_terms(host, event, "Keep it quiet.")
    assert _refusal(briefs.check_consent, event, {}) == (
        "Tick the box to accept the safety brief and the terms."
    )
    assert _refusal(briefs.check_consent, event, {"visit_consent": "brief"}) == (
        "The host has changed the terms since this page was opened: read the current "
        "version below and tick the box again."
    )
    consent = briefs.check_consent(event, {"visit_consent": " 1 "})
    assert consent.terms.version == 1 and consent.vehicle_registration == ""


def test_number_plates_are_tidied_or_refused(visit):
    event, _ = visit
    given = {"visit_consent": "brief"}
    plate = briefs.check_consent(event, {**given, "vehicle_registration": " ab12   cde "})
    assert plate.vehicle_registration == "AB12 CDE"
    for bad in ("AB-12", "A", "ABCDEFGHIJK"):
        assert _refusal(briefs.check_consent, event, {**given, "vehicle_registration": bad}) == (
            "A vehicle registration is letters and numbers, up to 10."
        )
    # Not asked for: a plate sent anyway is not kept.
    db.session.get(VisitBrief, event.id).asks_vehicle = False
    assert briefs.check_consent(event, {**given, "vehicle_registration": "AB12 CDE"}) == (
        briefs.Consent(None, "")
    )


def test_only_a_site_visit_asks_for_consent(visit):
    event, _ = visit
    event.kind = EventKind.WORKSHOP
    assert briefs.check_consent(event, {}) is None
    assert briefs.form_context(event) == {"visit_brief": None}


def test_only_hosts_and_organisers_write_the_terms(visit):
    event, _ = visit
    stranger = make_user()
    assert _refusal(briefs.save_terms, stranger, event, "x") == "You do not host this visit."
    assert _refusal(briefs.save_brief, stranger, event, ppe=[]) == "You do not host this visit."


def test_text_limits_and_versions(visit):
    event, host = visit
    assert briefs.save_terms(host, event, "") is None  # nothing to save
    assert briefs.save_terms(host, event, "   ") is None
    terms = briefs.save_terms(host, event, "x" * 20000)
    assert (terms.version, terms.pdf_name, terms.pdf, terms.created_by_id) == (1, "", None, host.id)
    assert _refusal(briefs.save_terms, host, event, "x" * 20001) == (
        "Keep the terms under 20,000 characters, or upload them as a PDF."
    )


def test_a_pdf_must_be_complete_and_under_4_mb(visit):
    event, host = visit
    padding = briefs.MAX_PDF_BYTES - len(PDF_HEAD) - len(PDF_TAIL)
    biggest = PDF_HEAD + b" " * padding + PDF_TAIL
    assert briefs.save_terms(host, event, "", biggest, "nda.pdf").version == 1
    assert _refusal(briefs.save_terms, host, event, "", biggest + b" ", "nda.pdf") == (
        "The PDF must be under 4 MB."
    )
    incomplete = "That file is not a complete PDF."
    assert _refusal(briefs.save_terms, host, event, "", PDF_HEAD + b"x", "a.pdf") == incomplete
    assert _refusal(briefs.save_terms, host, event, "", b"GIF89a" + PDF_TAIL, "a.pdf") == (
        incomplete
    )
    # The end marker must be within the last 1,024 bytes.
    late = PDF_HEAD + b"%%EOF" + b" " * 1020
    assert _refusal(briefs.save_terms, host, event, "", late, "a.pdf") == incomplete
    just_in = PDF_HEAD + b"%%EOF" + b" " * 1019
    assert briefs.save_terms(host, event, "", just_in, "a.pdf").version == 2


@pytest.mark.parametrize(
    "given, kept",
    [
        ("NDA 2027.pdf", "NDA 2027.pdf"),
        ("../../etc/<nda>.PDF", "....etcnda.PDF"),
        ("report", "report.pdf"),
        ("", "terms.pdf"),
        ("?*", "terms.pdf"),
        (None, "terms.pdf"),
        ("a" * 200 + ".pdf", "a" * 150 + ".pdf"),
    ],
)
def test_pdf_file_names_are_made_safe(visit, given, kept):
    event, host = visit
    if given is None:  # no name given at all
        terms = briefs.save_terms(host, event, "", PDF_HEAD + PDF_TAIL)
    else:
        terms = briefs.save_terms(host, event, "", PDF_HEAD + PDF_TAIL, given)
    assert terms.pdf_name == kept


def test_who_still_has_to_accept_follows_the_latest_version(visit):
    event, host = visit
    registration = registrations.register_delegate(make_user(), event, event.ticket_types[0])
    assert briefs.needing_acceptance([registration]) == {registration.id}
    # Versions stored out of order: the highest is the one that counts.
    db.session.add_all([VisitTerms(event_id=event.id, version=2, text="Two"),
                        VisitTerms(event_id=event.id, version=1, text="One")])  # fmt: skip
    db.session.flush()
    briefs.record_consent(registration, briefs.Consent(briefs.terms_version(event.id, 1), ""))
    assert briefs.needing_acceptance([registration]) == {registration.id}
    briefs.record_consent(registration, briefs.Consent(briefs.terms_version(event.id, 2), ""))
    assert briefs.needing_acceptance([registration]) == set()
    registrations.cancel_registration(registration, registration.user)
    briefs.save_terms(host, event, "Three")
    assert briefs.needing_acceptance([registration]) == set()  # an ended place asks nothing
