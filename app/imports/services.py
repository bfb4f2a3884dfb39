"""CSV import of delegates for an event.

Columns: email, name, organisation, ticket type (by name; empty: the event's first ticket
type), then one column per registration question headed by its label (several choices
separated by ";", yes/no as yes or no, consent as yes). Headers match without regard to case.

`check_import` reads every row and says what would happen, writing nothing. `run_import`
registers the rows with `register_on_behalf`, the Add delegate page's service (seat
guarantee, benchmark gate, emails), in the caller's transaction; it refuses a file with any
bad row, and the first row the rules refuse stops it: the caller rolls back, so an import is
all or nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email

from app.auth.models import User
from app.auth.services import AccountError, find_user_by_email
from app.events.models import Event, TicketType
from app.questions import services as questions
from app.questions.models import QuestionKind, RegistrationQuestion
from app.registration.colleagues import register_on_behalf
from app.registration.models import Registration
from app.registration.services import RegistrationError, live_registration

MAX_BYTES = 1_000_000
MAX_ROWS = 2000
REQUIRED = ("email", "name")
KNOWN = ("email", "name", "organisation", "ticket type")


class ImportError_(ValueError):  # noqa: N801  (ImportError is Python's own)
    """The file as a whole cannot be read; the message says why."""


@dataclass
class ImportRow:
    line: int  # the line in the file, header = 1
    email: str
    name: str
    organisation: str
    ticket_type: TicketType | None
    answers: questions.ParsedAnswers | None = None
    errors: list[str] = field(default_factory=list)
    action: str = ""  # what would happen, in words

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportPlan:
    rows: list[ImportRow]
    unknown_columns: list[str]

    @property
    def bad_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if not r.ok]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.bad_rows


def _read(data: bytes) -> tuple[list[str], list[list[str]]]:
    if len(data) > MAX_BYTES:
        raise ImportError_("The file is larger than 1 MB; split it into smaller files.")
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError as exc:
        raise ImportError_("Save the file as CSV UTF-8 (it is not UTF-8 text).") from exc
    if "\x00" in text:
        raise ImportError_("This is not a CSV file.")
    try:
        table = [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise ImportError_(f"The CSV cannot be read: {exc}.") from exc
    if not table:
        raise ImportError_("The file is empty.")
    if len(table) - 1 > MAX_ROWS:
        raise ImportError_(f"Import at most {MAX_ROWS} delegates at a time.")
    header = [h.strip().lower() for h in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportError_("The first row must name the columns; missing: " + ", ".join(missing))
    if len(set(header)) != len(header):
        raise ImportError_("Two columns have the same heading.")
    return header, table[1:]


def _answers(q: RegistrationQuestion, raw: str) -> list[str]:
    raw = raw.strip()
    if not raw:
        return []
    if q.kind == QuestionKind.MULTIPLE_CHOICE:
        return [p.strip() for p in raw.split(";") if p.strip()]
    if q.kind in (QuestionKind.YES_NO, QuestionKind.CONSENT):
        word = raw.lower()
        if q.kind == QuestionKind.CONSENT:
            return ["yes"] if word in ("yes", "y", "true", "1", "agreed") else [f"?{raw}"]
        return [{"y": "yes", "n": "no", "true": "yes", "false": "no"}.get(word, word)]
    return [raw]


def check_import(event: Event, data: bytes) -> ImportPlan:
    """Every row checked against the same rules as the Add delegate page. Writes nothing."""
    header, body = _read(data)
    asked = questions.questions_for(event.id)
    by_label = {q.label.strip().lower(): q for q in asked}
    unknown = [h for h in header if h not in KNOWN and h not in by_label]
    types = {t.name.strip().lower(): t for t in event.ticket_types}
    seen: dict[str, int] = {}
    rows = []
    for line, cells in enumerate(body, start=2):
        cell = dict(zip(header, [c.strip() for c in cells], strict=False))
        row = ImportRow(
            line=line, email=cell.get("email", ""), name=cell.get("name", ""),
            organisation=cell.get("organisation", ""), ticket_type=None,
        )  # fmt: skip
        if len(cells) > len(header):
            row.errors.append("More cells than column headings.")
        try:
            row.email = validate_email(row.email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            row.errors.append(f"“{row.email}” is not an email address." if row.email else
                              "The email is missing.")  # fmt: skip
        if len(row.name) > 120 or len(row.organisation) > 200:
            row.errors.append("The name or organisation is too long.")
        wanted_type = cell.get("ticket type", "")
        row.ticket_type = types.get(wanted_type.lower()) if wanted_type else event.ticket_types[0]
        if row.ticket_type is None:
            row.errors.append(f"No ticket type called “{wanted_type}”.")
        if row.email in seen:
            row.errors.append(f"The same email as line {seen[row.email]}.")
        elif row.ok:
            seen[row.email] = line
        if row.ticket_type is not None:
            form = {questions.field_name(q): _answers(q, cell.get(label, ""))
                    for label, q in by_label.items()}  # fmt: skip
            row.answers = questions.parse_answers(asked, row.ticket_type.id, form)
            for question_id, message in row.answers.errors.items():
                label = next(q.label for q in asked if q.id == question_id)
                row.errors.append(f"{label}: {message}")
        if row.ok:
            row.action = _what_would_happen(event, row)
        rows.append(row)
    return ImportPlan(rows=rows, unknown_columns=unknown)


def _what_would_happen(event: Event, row: ImportRow) -> str:
    user = find_user_by_email(row.email)
    if user is None:
        if not row.name:
            row.errors.append("The name is missing: this email address has no account yet.")
            return ""
        return "new account, registered"
    if live_registration(user.id, event.id) is not None:
        row.errors.append("Already registered for this event.")
        return ""
    return "registered"


def run_import(event: Event, actor: User, data: bytes) -> list[Registration]:
    """Register every row, or raise: ImportError_ for a file with bad rows (nothing done),
    RegistrationError naming the line the rules refused (the caller rolls back)."""
    if not actor.is_organiser:
        raise ImportError_("Only organisers import delegates.")
    plan = check_import(event, data)
    if not plan.ok:
        raise ImportError_(f"{len(plan.bad_rows)} rows need correcting.")
    done = []
    for row in plan.rows:
        try:
            registration = register_on_behalf(
                actor, event, row.ticket_type, row.email, row.name or None,
                row.organisation or None,
            )  # fmt: skip
            questions.save_answers(registration, row.answers)
        except (RegistrationError, AccountError, questions.QuestionError) as exc:
            raise RegistrationError(f"Line {row.line} ({row.email}): {exc}") from exc
        done.append(registration)
    return done
