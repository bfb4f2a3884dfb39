"""How registration states read on pages (used by templates and services alike)."""

from app.registration.models import RegistrationStatus as S

STATUS_LABELS = {
    S.PENDING_PAYMENT: "awaiting payment",
    S.PENDING_BENCHMARK: "awaiting the benchmark",
    S.AWAITING_HOST: "awaiting the host",
    S.CONFIRMED: "confirmed",
    S.WAITLISTED: "on the waiting list",
    S.CANCELLED: "cancelled",
    S.REFUNDED: "refunded",
}


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)
