"""Evidence files on outcome claims: PDFs checked (and kept as sent), images re-encoded so
nothing but pixels reaches anyone who downloads them."""

from __future__ import annotations

import secrets
import warnings
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError

from app.auth.models import User
from app.extensions import db
from app.outcomes.models import ClaimEvidence, ClaimStatus, OutcomeClaim
from app.outcomes.services import OutcomesError, audit, check_can_act_for

MAX_BYTES = 4 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_FILES = 5


def _clean_name(filename: str, extension: str) -> str:
    stem = "".join(ch for ch in filename.rsplit(".", 1)[0] if ch.isalnum() or ch in " -_")
    return (stem.strip()[:80] or "evidence") + extension


def _reencode(raw: bytes) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(raw))
            if image.width * image.height > MAX_PIXELS:
                raise OutcomesError("That image is too large in pixels.")
            image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError) as exc:  # fmt: skip
        raise OutcomesError("Evidence must be a PDF or an image (PNG, JPEG or WebP).") from exc
    image = ImageOps.exif_transpose(image).convert("RGB")
    out = BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def attach_evidence(actor: User, claim: OutcomeClaim, filename: str, raw: bytes) -> ClaimEvidence:
    """Add a file to a claim still awaiting review (by its business or an organiser)."""
    from app.auth.models import Organisation

    check_can_act_for(actor, db.session.get(Organisation, claim.organisation_id))
    if claim.status != ClaimStatus.CLAIMED and not actor.is_organiser:
        raise OutcomesError("Evidence can be added while the claim awaits review.")
    if not raw:
        raise OutcomesError("That file is empty.")
    if len(raw) > MAX_BYTES:
        raise OutcomesError("Evidence files are up to 4 MB each.")
    if len(claim.evidence) >= MAX_FILES:
        raise OutcomesError(f"A claim takes at most {MAX_FILES} files.")
    if raw.startswith(b"%PDF-"):
        if b"%%EOF" not in raw[-1024:]:
            raise OutcomesError("That PDF is incomplete.")
        content, content_type, name = raw, "application/pdf", _clean_name(filename, ".pdf")
    else:
        content, content_type, name = _reencode(raw), "image/png", _clean_name(filename, ".png")
    evidence = ClaimEvidence(
        claim=claim, public_id=secrets.token_urlsafe(16)[:22], filename=name,
        content_type=content_type, size=len(content), content=content, uploaded_by_id=actor.id,
    )  # fmt: skip
    db.session.add(evidence)
    db.session.flush()
    audit(claim.programme_id, claim.organisation_id, actor, "evidence_added", name, claim.id)
    db.session.flush()
    return evidence
