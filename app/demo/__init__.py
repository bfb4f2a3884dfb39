"""The demo programme: a productivity programme's year in East Anglia (see DESIGN.md)."""

from sqlalchemy import select

from app.demo import agenda, people, programme
from app.events.models import Event
from app.extensions import db
from app.timeutil import utcnow

DEMO_LOGINS = [
    ("organiser@example.com", "organiser", "organiser"),
    ("door@example.com", "door", "door staff for every demo event"),
    ("delegate@example.com", "delegate", "delegate with a benchmark and a conference ticket"),
    ("speaker@example.com", "speaker", "speaker account that edits its own profile"),
    ("host@example.com", "host", "host of the innovation centre's site visits (approves visitors)"),
]

# Later steps (benchmark results, registrations) plug in here; each takes the context dict.
EXTRA_STEPS: list[str] = [
    "app.demo.benchmark",
    "app.demo.registrations",
    "app.demo.questions",
    "app.demo.hosts",
    "app.demo.past",
    "app.demo.impact",
    "app.demo.outcomes",
]


def seed_demo() -> bool:
    """Load the demo programme unless it is there already. Returns True if it loaded."""
    exists = db.session.execute(
        select(Event.id).where(Event.slug == programme.CONFERENCE_SLUG)
    ).first()
    if exists is not None:
        return False
    import importlib

    ctx: dict = {"now": utcnow()}
    people.load(ctx)
    programme.load(ctx)
    agenda.load(ctx)
    for name in EXTRA_STEPS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        module.load(ctx)
    db.session.flush()
    return True
