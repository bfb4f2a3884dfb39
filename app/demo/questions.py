"""Demo registration questions: the conference asks about dietary requirements and access
needs and for consent to the programme's terms; its delegates have answered."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.questions import services
from app.registration.models import Registration

TERMS = """\
By registering you agree that:

- the programme may contact you about this event and about the productivity benchmark;
- your business's benchmark answers are used, without naming your business, to compare
  businesses and to report the programme's results to its funders;
- photographs may be taken at the event; tell the registration desk if you would rather not
  appear in them.

Cancel under *My tickets* if you can no longer come, so someone on the waiting list can.
"""

# Dietary answers by delegate position: most have none, a few eat differently.
DIETARY = {1: ["Vegetarian"], 3: ["Vegan"], 4: ["Gluten-free"], 6: ["Vegetarian"],
           8: ["Other"], 9: ["Vegetarian", "Gluten-free"]}  # fmt: skip
ACCESS = {5: "Step-free access to the workshop rooms, please: I use a wheelchair."}


def load(ctx: dict) -> None:
    conference = ctx["conference"]
    organiser = ctx["organiser"]
    dietary = services.add_preset(organiser, conference, "dietary")
    access = services.add_preset(organiser, conference, "access")
    terms = services.save_question(
        organiser, conference, label="I agree to the programme's terms", kind="consent",
        terms_text=TERMS, required=True,
    )  # fmt: skip
    questions = [dietary, access, terms]
    delegates = ctx["delegates"]
    by_user = {
        r.user_id: r
        for r in db.session.execute(
            select(Registration).where(Registration.event_id == conference.id)
        ).scalars()
    }
    for i, user in enumerate(delegates):
        registration = by_user.get(user.id)
        if registration is None:
            continue
        form = {f"q-{dietary.id}": DIETARY.get(i, ["No special requirements"]),
                f"q-{terms.id}": ["on"]}  # fmt: skip
        if i == 8:
            form[f"q-{dietary.id}-other"] = ["Pescatarian"]
        if i in ACCESS:
            form[f"q-{access.id}"] = [ACCESS[i]]
        parsed = services.parse_answers(questions, registration.ticket_type_id, form)
        services.save_answers(registration, parsed)
    db.session.flush()
