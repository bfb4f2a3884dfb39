"""Business membership is granted, never claimed.

Naming a business that Journey already knows (by name or Companies House number) makes a
request to join it. A request is approved by one of the business's admins, by an organiser, or
at once when the person's confirmed address is on a domain the business has verified (never a
free-mail domain). Naming a new business creates it, with its first member as its admin. Until
approved, a person sees nothing of the business's benchmark, cannot submit one for it, does not
pass the benchmark gate through it and cannot be named as a colleague: all of those look at
`User.organisation_id`, which only approval sets.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import render_template
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app import mail, signals
from app.auth.freemail import email_domain, is_free_mail
from app.auth.models import MembershipRequest, Organisation, Role, User
from app.auth.models import MembershipStatus as M
from app.auth.services import AccountError, normalise_company_number
from app.extensions import db
from app.registration import emails
from app.timeutil import utcnow


def pending_request(user: User) -> MembershipRequest | None:
    return db.session.execute(
        select(MembershipRequest).where(
            MembershipRequest.user_id == user.id, MembershipRequest.status == M.PENDING
        )
    ).scalar_one_or_none()


def _by_number(number: str | None) -> Organisation | None:
    if not number:
        return None
    return db.session.execute(
        select(Organisation).where(Organisation.companies_house_number == number)
    ).scalar_one_or_none()


def _by_name(name: str) -> Organisation | None:
    return db.session.execute(
        select(Organisation)
        .where(func.lower(Organisation.name) == name.lower())
        .order_by(Organisation.id)
        .limit(1)
    ).scalar_one_or_none()


def join_business(
    actor: User, name: str, companies_house_number: str | None = None, now: datetime | None = None
) -> tuple[Organisation, MembershipRequest | None]:
    """The actor names their business. A new one is created with them as its admin (no
    request); a known one gets a request, approved at once only on its verified domain.
    Returns the business and the request. Raises AccountError, having changed nothing."""
    now = now or utcnow()
    if not actor.email_verified:
        raise AccountError("Confirm your email address before joining a business.")
    if actor.organisation_id is not None:
        raise AccountError(f"You are already a member of {actor.organisation.name}.")
    waiting = pending_request(actor)
    if waiting is not None:
        raise AccountError(
            f"You have asked to join {waiting.organisation.name}: wait for an answer, or "
            "withdraw that request first."
        )
    number = normalise_company_number(companies_house_number)
    name = " ".join((name or "").split())
    if not name:
        raise AccountError("Enter your business name.")
    # The number is the stronger key; a name can be shared by chance.
    org = _by_number(number) or _by_name(name)
    if org is None:
        org = Organisation(name=name, companies_house_number=number)
        db.session.add(org)
        db.session.flush()
        _grant(actor, org, actor=actor, admin=True)
        return org, None
    request = MembershipRequest(
        organisation_id=org.id, user_id=actor.id, given_name=name, given_number=number,
        created_at=now,
    )  # fmt: skip
    db.session.add(request)
    db.session.flush()
    if number_dispute(request):
        # Two businesses may be claiming one number: only organisers decide, and the holder's
        # admins (perhaps the wrong claimant) are not shown who asked.
        _tell_organisers(request)
        return org, request
    domain = email_domain(actor.email)
    if org.verified_domain and domain == org.verified_domain and not is_free_mail(domain):
        _decide(request, None, M.APPROVED, now)
    else:
        _tell_admins(request)
    return org, request


# Words that vary between honest spellings of one company's name.
_NAME_NOISE = {"ltd", "limited", "plc", "llp", "the", "and", "co", "company", "uk", "group"}


def _name_key(name: str | None) -> frozenset[str]:
    words = re.findall(r"[a-z0-9]+", (name or "").casefold().replace("&", " and "))
    return frozenset(w for w in words if w not in _NAME_NOISE)


def number_dispute(
    request: MembershipRequest, holders: dict[str, Organisation] | None = None
) -> str | None:
    """Why a request may be one business claiming another's Companies House number, or None.
    Such a request goes to organisers, who merge the two businesses or correct the number.
    `holders` (number → business, from `disputes`) saves a query per request in a list."""
    org, number = request.organisation, request.given_number
    if number and number != org.companies_house_number:
        holder = holders.get(number) if holders is not None else _by_number(number)
        if holder is not None and holder.id != org.id:
            return f"gave number {number}, which {holder.name} holds"
        if org.companies_house_number:
            return f"gave number {number}; {org.name} holds {org.companies_house_number}"
        return None  # the business has no number yet: its admins can approve, organisers add it
    if number and request.given_name and _name_key(request.given_name) != _name_key(org.name):
        return f"named the business “{request.given_name}”, but {number} is {org.name}’s number"
    return None


def disputes(requests: list[MembershipRequest]) -> dict[int, str]:
    """request id → why its number is disputed, for the disputed ones (1 query for any number
    of requests, their businesses loaded with them)."""
    numbers = {r.given_number for r in requests if r.given_number}
    holders = {
        o.companies_house_number: o
        for o in db.session.execute(
            select(Organisation).where(Organisation.companies_house_number.in_(numbers))
        ).scalars()
    } if numbers else {}  # fmt: skip
    found = {r.id: number_dispute(r, holders) for r in requests}
    return {rid: why for rid, why in found.items() if why}


def can_manage(actor: User, org: Organisation) -> bool:
    return actor.is_organiser or (actor.organisation_id == org.id and actor.is_business_admin)


def _check_manager(actor: User, org: Organisation) -> None:
    if not can_manage(actor, org):
        raise AccountError(f"Only an admin of {org.name} or an organiser can do that.")


def approve_request(actor: User, request: MembershipRequest, now: datetime | None = None) -> None:
    _check_manager(actor, request.organisation)
    _check_pending(request)
    _check_not_disputed(actor, request)
    if request.user.organisation_id is not None:
        raise AccountError(f"{request.user.name} is already a member of another business.")
    _decide(request, actor, M.APPROVED, now or utcnow())


def decline_request(actor: User, request: MembershipRequest, now: datetime | None = None) -> None:
    _check_manager(actor, request.organisation)
    _check_pending(request)
    _check_not_disputed(actor, request)
    _decide(request, actor, M.DECLINED, now or utcnow())


def withdraw_request(actor: User, request: MembershipRequest, now: datetime | None = None) -> None:
    if request.user_id != actor.id:
        raise AccountError("That request is not yours.")
    _check_pending(request)
    request.status, request.decided_at, request.decided_by_id = (
        M.WITHDRAWN,
        now or utcnow(),
        actor.id,
    )
    db.session.flush()


def _check_not_disputed(actor: User, request: MembershipRequest) -> None:
    if not actor.is_organiser and number_dispute(request):
        raise AccountError(
            "An organiser checks this request: the Companies House number it gives is disputed."
        )


def _check_pending(request: MembershipRequest) -> None:
    if request.status != M.PENDING:
        raise AccountError(f"That request has already been {request.status}.")


def _decide(request: MembershipRequest, actor: User | None, status: str, now: datetime) -> None:
    request.status, request.decided_at = status, now
    request.decided_by_id = actor.id if actor else None
    if status == M.APPROVED:
        _grant(request.user, request.organisation, actor=actor)
    db.session.flush()
    _tell_requester(request)


def _grant(user: User, org: Organisation, actor: User | None, admin: bool = False) -> None:
    user.organisation = org
    # A business with no admin (made before admins existed, or whose admins left) gets one.
    user.is_business_admin = admin or not _admins(org)
    db.session.flush()
    signals.membership_granted.send(org, user=user, actor=actor)


def _admins(org: Organisation) -> list[User]:
    return list(
        db.session.execute(
            select(User).where(
                User.organisation_id == org.id, User.is_business_admin.is_(True), User.active
            )
        ).scalars()
    )


def remove_member(actor: User, member: User) -> None:
    org = member.organisation
    if org is None:
        raise AccountError("That person is not a member of a business.")
    _check_manager(actor, org)
    if member.is_business_admin and [a.id for a in _admins(org)] == [member.id]:
        raise AccountError("Make someone else an admin first: a business needs one.")
    member.organisation, member.is_business_admin = None, False
    db.session.flush()


def set_business_admin(actor: User, member: User, admin: bool) -> None:
    org = member.organisation
    if org is None:
        raise AccountError("That person is not a member of a business.")
    _check_manager(actor, org)
    if not admin and [a.id for a in _admins(org)] == [member.id]:
        raise AccountError("Make someone else an admin first: a business needs one.")
    member.is_business_admin = admin
    db.session.flush()


def set_verified_domain(actor: User, org: Organisation, domain: str | None) -> None:
    """Organisers set any company domain; a business admin only the domain of their own
    confirmed address (which proves they receive mail there)."""
    _check_manager(actor, org)
    domain = (domain or "").strip().lower().lstrip("@").rstrip(".") or None
    if domain is not None:
        if "." not in domain or " " in domain or len(domain) > 253:
            raise AccountError("Enter a domain such as example.co.uk.")
        if is_free_mail(domain):
            raise AccountError(f"{domain} is a free-mail domain: anyone can have an address there.")
        if not actor.is_organiser and domain != email_domain(actor.email):
            raise AccountError(
                "You can verify the domain of your own email address; organisers can set others."
            )
    org.verified_domain = domain
    db.session.flush()


def set_band_sharing(
    actor: User, org: Organisation, share: bool, now: datetime | None = None
) -> bool:
    """The business agrees (or no longer agrees) that the hosts of site visits it applies to
    see its benchmark band. Its own admins decide: consent is the business's to give, so not
    even an organiser gives it on their behalf. Returns whether anything changed."""
    if not (actor.organisation_id == org.id and actor.is_business_admin):
        raise AccountError(f"Only an admin of {org.name} can choose what its hosts see.")
    if org.shares_band == share:
        return False
    org.shares_band = share
    org.band_sharing_changed_at = now or utcnow()
    org.band_sharing_changed_by_id = actor.id
    db.session.flush()
    return True


def members_of(org: Organisation) -> list[User]:
    return list(
        db.session.execute(
            select(User).where(User.organisation_id == org.id, User.active).order_by(User.name)
        ).scalars()
    )


def pending_requests(
    org: Organisation | None = None, *, disputed: bool = True
) -> list[MembershipRequest]:
    """Requests waiting for an answer; `disputed=False` leaves out those only organisers see."""
    query = (
        select(MembershipRequest)
        .where(MembershipRequest.status == M.PENDING)
        .options(joinedload(MembershipRequest.organisation), joinedload(MembershipRequest.user))
    )
    if org is not None:
        query = query.where(MembershipRequest.organisation_id == org.id)
    found = list(db.session.execute(query.order_by(MembershipRequest.created_at)).scalars())
    if disputed:
        return found
    hidden = disputes(found)
    return [r for r in found if r.id not in hidden]


# --- emails (sent after COMMIT) ----------------------------------------------------------------


def _tell_admins(request: MembershipRequest) -> None:
    ctx = {"request": request, "link": emails.url("membership.members")}
    for admin in _admins(request.organisation):
        emails.queue(
            mail.build_message(
                admin.email,
                f"{request.user.name} asks to join {request.organisation.name}",
                render_template("auth/email/join_request.txt", admin=admin, **ctx),
            )
        )


def _tell_organisers(request: MembershipRequest) -> None:
    organisers = db.session.execute(
        select(User).where(User.role.in_((Role.ORGANISER, Role.ADMIN)), User.active)
    ).scalars()
    ctx = {
        "request": request,
        "dispute": number_dispute(request),
        "link": emails.url("organiser.businesses_list"),
    }
    for organiser in organisers:
        emails.queue(
            mail.build_message(
                organiser.email,
                f"Companies House number {request.given_number} is claimed twice",
                render_template("auth/email/number_dispute.txt", organiser=organiser, **ctx),
            )
        )


def _tell_requester(request: MembershipRequest) -> None:
    approved = request.status == M.APPROVED
    emails.queue(
        mail.build_message(
            request.user.email,
            f"You are now a member of {request.organisation.name}"
            if approved
            else f"Your request to join {request.organisation.name}",
            render_template(
                "auth/email/join_decided.txt",
                request=request,
                approved=approved,
                link=emails.url("benchmark.index"),
            ),
        )
    )
