"""People and the businesses they come from."""

from __future__ import annotations

import enum
import hashlib
import hmac
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models_base import created_at_column


class Role(enum.StrEnum):
    DELEGATE = "delegate"
    ORGANISER = "organiser"
    DOOR_STAFF = "door_staff"
    ADMIN = "admin"


def password_fingerprint(password_hash: str) -> str:
    """A keyed digest of a password hash: it changes with the password, and reveals nothing
    about the hash in a (readable) session cookie or reset link."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:20]


def role_is_organiser(role: str) -> bool:
    return role in (Role.ORGANISER, Role.ADMIN)


def role_allows(role: str, roles: tuple[str, ...]) -> bool:
    """Whether someone with `role` has one of `roles` (admin has them all)."""
    return role == Role.ADMIN or role in roles


class Organisation(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    companies_house_number: Mapped[str | None] = mapped_column(String(8), unique=True)
    sector: Mapped[str | None] = mapped_column(String(2))  # SIC 2007 division, e.g. "25"
    size_band: Mapped[str | None] = mapped_column(String(10))  # micro|small|medium|large
    fte: Mapped[float | None]
    postcode: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(Text)
    # An address on this domain joins without waiting (never a free-mail domain).
    verified_domain: Mapped[str | None] = mapped_column(String(253))
    # An organiser ticked the business as real: it counts in peer figures.
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The business lets the hosts of site visits it applies to see its benchmark band (never
    # its scores). Set by one of its admins; who and when record the last change either way.
    shares_band: Mapped[bool] = mapped_column(default=False)
    band_sharing_changed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # A user id, without a foreign key: user already points at organisation, and a cycle
    # would leave the two tables with no order to create, empty or merge them in.
    band_sharing_changed_by_id: Mapped[int | None]
    created_at: Mapped[datetime] = created_at_column()

    members: Mapped[list[User]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.name!r}>"


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so uniqueness is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), default=Role.DELEGATE, index=True)
    job_title: Mapped[str | None] = mapped_column(String(120))
    # The business the person is an approved member of (a request to join is a
    # MembershipRequest, and grants nothing until approved).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    # Approves requests to join the business, and manages its members.
    is_business_admin: Mapped[bool] = mapped_column(default=False)
    # Secret for the personal calendar feed; None until the delegate asks for one.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    # When the holder proved the address is theirs (a confirmation or password-set link).
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = created_at_column()

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")

    # The signed-in browser's LoginSession key, set by the user loader or on signing in.
    login_key = None  # str | None, never stored
    hosts_visits = None  # bool once read with the sign-in (auth.sessions), never stored

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()

    def set_password(self, password: str) -> None:
        # The method is configurable so the test suite can use cheap scrypt parameters;
        # production keeps werkzeug's memory-hard default.
        self.password_hash = generate_password_hash(password, method=self.password_hash_method())

    @staticmethod
    def password_hash_method() -> str:
        return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_authenticated(self) -> bool:  # Flask-Login
        # A User is only ever current_user once the user loader has found it active with a
        # live sign-in. Flask-Login's default reads `active` again, which after a COMMIT
        # (expired attributes) reloads the whole row just to answer this.
        return True

    @property
    def password_fingerprint(self) -> str:
        return password_fingerprint(self.password_hash)

    def get_id(self) -> str:  # Flask-Login
        # "<id>.<fingerprint>.<login key>": changing the password signs out every other
        # browser, and the key names a LoginSession row that signing out ends on the server.
        return f"{self.id}.{self.password_fingerprint}.{self.login_key or ''}"

    @property
    def is_organiser(self) -> bool:
        return role_is_organiser(self.role)

    def has_role(self, *roles: str) -> bool:
        return role_allows(self.role, roles)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class LoginSession(db.Model):
    """One signed-in browser. Its key (kept only as a SHA-256 digest) rides in the session
    and remember-me cookies; ending the row signs that browser out, whatever cookie it kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)


class MembershipStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class MembershipRequest(db.Model):
    """Someone asks to join a business they named (by name or Companies House number).
    Approved by a business admin, an organiser, or a verified email domain."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=MembershipStatus.PENDING, index=True)
    # What they typed, so organisers can see a number that points at another business.
    given_name: Mapped[str | None] = mapped_column(String(200))
    given_number: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = created_at_column()
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
