"""Imports every model so that metadata (and Alembic autogenerate) sees the whole schema."""

from app.api.models import ApiToken
from app.auth.models import LoginSession, MembershipRequest, Organisation, Role, User
from app.benchmark.models import BenchmarkResponse
from app.checkin.models import CheckIn, CheckInConflict, EventStaff, ScanLog
from app.events.models import (
    AgendaSession,
    AgendaVersion,
    Event,
    Room,
    SessionSpeaker,
    SessionStar,
    Speaker,
    TicketType,
    Venue,
)
from app.feedback.models import Feedback, FeedbackInvitation
from app.hosts.models import (
    HostDecision,
    HostMember,
    VisitAcceptance,
    VisitAcceptanceLog,
    VisitBrief,
    VisitSettings,
    VisitTerms,
)
from app.messages.models import Announcement
from app.outbox.models import OutboxMessage
from app.outcomes.models import (
    ClaimEvidence,
    Declaration,
    EventNetwork,
    FollowUp,
    Indicator,
    Network,
    OutcomeAudit,
    OutcomeClaim,
    Programme,
)
from app.payments.models import Payment, StripeEvent
from app.questions.models import RegistrationAnswer, RegistrationQuestion
from app.registration.models import EmailLog, Registration, RegistrationLog, SessionBooking
from app.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = [
    "HostDecision",
    "HostMember",
    "VisitSettings",
    "VisitAcceptance",
    "VisitAcceptanceLog",
    "VisitBrief",
    "VisitTerms",
    "ApiToken",
    "WebhookDelivery",
    "WebhookEndpoint",
    "Programme",
    "OutcomeClaim",
    "OutcomeAudit",
    "Network",
    "Indicator",
    "FollowUp",
    "EventNetwork",
    "Declaration",
    "ClaimEvidence",
    "AgendaSession",
    "AgendaVersion",
    "Announcement",
    "BenchmarkResponse",
    "CheckIn",
    "CheckInConflict",
    "EmailLog",
    "Event",
    "EventStaff",
    "Feedback",
    "FeedbackInvitation",
    "LoginSession",
    "MembershipRequest",
    "Organisation",
    "OutboxMessage",
    "Payment",
    "Registration",
    "RegistrationAnswer",
    "RegistrationQuestion",
    "RegistrationLog",
    "Role",
    "Room",
    "ScanLog",
    "SessionBooking",
    "SessionSpeaker",
    "SessionStar",
    "Speaker",
    "StripeEvent",
    "TicketType",
    "User",
    "Venue",
]
