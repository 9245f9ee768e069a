"""The review queue: programs whose categories were guessed from their text with low
confidence wait here for an admin, who accepts the guess or corrects it in one click.

The guess is applied at import (a program with a likely category is better found than one
with none); a decided row (accepted or corrected) is what the program keeps through every
later import of the same source, whatever the classifier or the crosswalk then say.
"""

from __future__ import annotations

from sqlalchemy import select

from resdir.audit.operations import record
from resdir.auth import policy
from resdir.basics import utcnow
from resdir.categorize.models import CategoryReview
from resdir.directory import indexing
from resdir.directory import models as m
from resdir.directory.operations import category_slugs, ensure_categories
from resdir.errors import BadParameter, NotFound
from resdir.extensions import db

DECIDED = ("accepted", "corrected")


def split(text: str | None) -> list[str]:
    return [s for s in (text or "").split(";") if s]


def decisions(service_ids: list[str]) -> dict[str, list[str]]:
    """service id -> the categories an admin decided, for the programs that have one."""
    out: dict[str, list[str]] = {}
    for start in range(0, len(service_ids), 500):
        for row in db.session.scalars(select(CategoryReview).where(
                CategoryReview.service_id.in_(service_ids[start:start + 500]),
                CategoryReview.status.in_(DECIDED))):
            out[row.service_id] = split(row.decided)
    return out


def queue(items: list[tuple[str, list[str], float, str]]) -> int:
    """Add or refresh pending rows (service id, suggested slugs, confidence, evidence);
    decided rows are left alone. Returns how many are pending among them."""
    ids = [i[0] for i in items]
    known = {}
    for start in range(0, len(ids), 500):
        known.update({r.service_id: r for r in db.session.scalars(select(CategoryReview).where(
            CategoryReview.service_id.in_(ids[start:start + 500])))})
    pending = 0
    for service_id, slugs, confidence, evidence in items:
        row = known.get(service_id)
        if row is not None and row.status in DECIDED:
            continue
        if row is None:
            row = CategoryReview(service_id=service_id, status="pending")
            db.session.add(row)
        row.suggested, row.confidence, row.evidence = ";".join(slugs), confidence, evidence
        pending += 1
    return pending


def pending(limit: int = 200) -> list[tuple[CategoryReview, m.Service]]:
    rows = db.session.execute(
        select(CategoryReview, m.Service).join(m.Service, m.Service.id == CategoryReview.service_id)
        .where(CategoryReview.status == "pending")
        .order_by(CategoryReview.confidence, m.Service.name).limit(limit)).all()
    return [(r, s) for r, s in rows]


def _row(service_id: str) -> CategoryReview:
    row = db.session.get(CategoryReview, service_id)
    if row is None:
        raise NotFound("That program has no category suggestion to review.")
    return row


def accept(user, service_id: str) -> None:
    policy.require_admin(user)
    row = _row(service_id)
    _decide(user, row, "accepted", split(row.suggested))


def correct(user, service_id: str, chosen: list[str]) -> None:
    policy.require_admin(user)
    chosen = list(dict.fromkeys(c for c in chosen if c))
    if not chosen:
        raise BadParameter("Choose at least one category.", "category")
    unknown = set(chosen) - category_slugs()
    if unknown:
        raise BadParameter(f"Unknown category {sorted(unknown)[0][:40]!r}.", "category")
    _decide(user, _row(service_id), "corrected", chosen)


def _decide(user, row: CategoryReview, status: str, slugs: list[str]) -> None:
    service = db.session.get(m.Service, row.service_id)
    if service is None:
        raise NotFound("That program no longer exists.")
    set_categories(service, slugs)
    row.status, row.decided = status, ";".join(slugs)
    row.decided_by, row.decided_at = user.id, utcnow()
    record(f"category_review.{status[:-2] if status == 'accepted' else 'correct'}",
           "service", service.id, user=user)
    indexing.commit()


def set_categories(service: m.Service, slugs: list[str]) -> None:
    """Replace the program's category attributes with these (other terms stay)."""
    terms = ensure_categories()
    keep = [a for a in service.attributes if a.taxonomy_term is None
            or a.taxonomy_term.taxonomy_id != m.CATEGORY_TAXONOMY_ID]
    service.attributes = keep + [
        m.Attribute(link_entity="service", link_type="category", taxonomy_term_id=terms[s].id)
        for s in slugs]
    service.version = (service.version or 0) + 1
    service.last_modified = utcnow()
