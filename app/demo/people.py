"""Demo accounts and the delegates' businesses."""

from app.auth.models import Organisation, Role, User
from app.extensions import db
from app.timeutil import utcnow

# name, Companies House number, SIC division, size band, FTE, postcode
ORGANISATIONS = [
    ("Wymondham Precision Engineering Ltd", "04512873", "25", "small", 38, "NR18 0WZ"),
    ("Breckland Fabrications Ltd", "06211934", "25", "small", 22, "IP24 1HT"),
    ("Yare Valley Sheet Metal Ltd", "08834120", "25", "small", 17, "NR14 7SL"),
    ("Diss Tooling & Machining Ltd", "03390455", "25", "small", 29, "IP22 4GT"),
    ("Fakenham Welding Services Ltd", "09127733", "25", "micro", 8, "NR21 8NN"),
    ("Broadland Foods Ltd", "02284416", "10", "medium", 140, "NR13 6PZ"),
    ("Fen Edge Bakery Ltd", "07751208", "10", "small", 45, "PE38 9AR"),
    ("Anglia Circuit Assemblies Ltd", "05563017", "26", "medium", 96, "CB4 0WS"),
    ("Cam Sensors Ltd", "10233681", "26", "small", 31, "CB22 3AT"),
    ("Waveney Boatbuilders Ltd", "01877204", "30", "small", 26, "NR34 9PB"),
    ("Suffolk Plastics Moulding Ltd", "04498122", "22", "medium", 110, "IP14 1AH"),
    ("Ouse Valley Furniture Ltd", "06608357", "31", "micro", 7, "PE30 4JS"),
    ("Norfolk Agri Machinery Ltd", "00893321", "28", "medium", 180, "NR20 3EQ"),
    ("Hunstanton Coatings Ltd", "11452096", "20", "small", 19, "PE36 6EL"),
]

# (email, name, job title, organisation index)
DELEGATES = [
    ("delegate@example.com", "Dana Whitlock", "Operations Director", 0),
    ("tom.barker@example.com", "Tom Barker", "Managing Director", 1),
    ("priya.nair@example.com", "Priya Nair", "Production Manager", 2),
    ("ed.hollis@example.com", "Ed Hollis", "Owner", 3),
    ("kate.morley@example.com", "Kate Morley", "Director", 4),
    ("sam.ocoye@example.com", "Sam Okoye", "Continuous Improvement Lead", 5),
    ("lucy.fenn@example.com", "Lucy Fenn", "Head of Operations", 6),
    ("raj.patel@example.com", "Raj Patel", "Engineering Manager", 7),
    ("helen.ward@example.com", "Helen Ward", "CEO", 8),
    ("mark.tuttle@example.com", "Mark Tuttle", "Works Manager", 9),
    ("ann.graves@example.com", "Ann Graves", "Quality Manager", 10),
    ("joe.king@example.com", "Joe King", "Owner", 11),
    ("chris.lamb@example.com", "Chris Lamb", "Operations Manager", 12),
    ("nina.frost@example.com", "Nina Frost", "Technical Director", 13),
]


def _user(email: str, name: str, password: str, role: str, **extra) -> User:
    user = User(email=email, name=name, role=role, email_verified_at=utcnow(), **extra)
    user.set_password(password)
    db.session.add(user)
    return user


def load(ctx: dict) -> None:
    orgs = []
    for name, number, sector, band, fte, postcode in ORGANISATIONS:
        org = Organisation(
            name=name, companies_house_number=number, sector=sector, size_band=band,
            fte=fte, postcode=postcode, verified_at=ctx["now"],  # the programme knows them
        )  # fmt: skip
        db.session.add(org)
        orgs.append(org)
    ctx["organisations"] = orgs
    ctx["organiser"] = _user("organiser@example.com", "Olivia Grant", "organiser", Role.ORGANISER)
    ctx["door"] = _user("door@example.com", "Dev Door", "door", Role.DOOR_STAFF)
    delegates = []
    for i, (email, name, title, org_index) in enumerate(DELEGATES):
        password = "delegate" if i == 0 else "demo-delegate"
        delegates.append(
            _user(
                email,
                name,
                password,
                Role.DELEGATE,
                job_title=title,
                organisation=orgs[org_index],
                is_business_admin=True,  # each is their business's first member
            )  # fmt: skip
        )
    ctx["delegates"] = delegates
    db.session.flush()
