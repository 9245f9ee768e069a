"""Picked programs: a coordinator's short list, gathered on search results and program pages,
then referred for one client and need in one step (issue 10, "refer from where you find").

The list is program ids kept on the server-side session row (`user_session.picks`): never in
a URL, gone at sign-out, one list per browser. Referring goes through
`operations.create_referral` once per program, so consent, duplicate and draft rules are the
same as everywhere else; a refusal of one program names it and the others still go.
"""

from __future__ import annotations

from flask import g
from sqlalchemy import select, update

from resdir.auth import policy
from resdir.auth.models import UserSession
from resdir.directory import models as dm
from resdir.errors import BadParameter, Conflict
from resdir.extensions import db
from resdir.matching import operations as clients
from resdir.referrals import operations
from resdir.referrals.models import CONTACT

MAX_PICKS = 25  # a hand-out and a referral round stay readable


def _row() -> UserSession:
    policy.require_role(g.user, "coordinator")
    row = g.get("session_row")
    if row is None:  # an API token has no browser session to keep a list in
        raise BadParameter("Picked programs are kept in a signed-in browser session.",
                           "session")
    return row


def picked() -> list[str]:
    """The picked program ids, in the order picked (empty for anyone but a coordinator
    signed in through the browser)."""
    user = g.get("user")
    if not policy.is_coordinator(user) or g.get("session_row") is None:
        return []
    return list(g.session_row.picks or [])


def _save(ids: list[str]) -> None:
    row = _row()
    db.session.execute(update(UserSession).where(UserSession.id == row.id)
                       .values(picks=ids or None))
    db.session.commit()
    g.session_row.picks = ids or None


def add(service_id: str) -> dm.Service:
    _row()
    ids = picked()
    service = db.session.get(dm.Service, service_id)
    if service is None:
        raise BadParameter("No program has this id.", "service_id")
    if service_id not in ids:
        if len(ids) >= MAX_PICKS:
            raise BadParameter(f"At most {MAX_PICKS} programs can be picked at once. Refer "
                               "or remove some first.", "service_id")
        _save([*ids, service_id])
    return service


def remove(service_id: str) -> None:
    _save([i for i in picked() if i != service_id])


def clear() -> None:
    _save([])


def services(ids: list[str] | None = None) -> list[dm.Service]:
    """The picked programs still in the directory, in picked order."""
    ids = picked() if ids is None else ids
    if not ids:
        return []
    found = {s.id: s for s in db.session.scalars(select(dm.Service).where(
        dm.Service.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def preferred_contact(client) -> str:
    """The referral's "contact by" when the form says "as the client prefers"."""
    method = (client.contact or {}).get("contact_method")
    return method if method in CONTACT else "phone"


def refer(user, client_id: str, picks: list[tuple[str, str]], form) -> tuple[int, int, list]:
    """Refer the client to each (need, service id): (made, drafts, problems by program)."""
    policy.require_role(user, "coordinator")  # 403 for others, before any client lookup
    client = clients.get_client(user, client_id, audit=False)
    consent = {"given": form.get("consent") == "yes",
               "method": form.get("consent_method") or None,
               "scope": form.get("consent_scope") or None,
               "contact": form.get("consent_contact") == "yes"}
    contact_by = form.get("contact_preference") or preferred_contact(client)
    made, drafts, problems = 0, 0, []
    for need, service_id in picks:
        data = {"client_id": client.id, "service_id": service_id, "need": need,
                "consent": consent, "note": form.get("note") or None,
                "priority": form.get("priority") or "routine",
                "contact_preference": contact_by,
                "confirm_duplicate": form.get("confirm_duplicate") == "yes"}
        try:
            referral = operations.create_referral(user, data)
            made += 1
            drafts += referral.status == "draft"
        except (BadParameter, Conflict) as exc:
            service = db.session.get(dm.Service, service_id)
            name = service.name if service else "An unknown program"
            problems.append(exc.message if name in exc.message else f"{name}: {exc.message}")
    return made, drafts, problems


def summary(total: int, made: int, drafts: int, problems: list) -> tuple[str, str]:
    """The flash message after a round of referrals, and its category."""
    if problems:
        return (f"{made} of {total} referrals made. Not made: "
                + " ".join(dict.fromkeys(problems)), "warning")
    return (f"{made} referral{'' if made == 1 else 's'} made"
            + (" as drafts: record the client's consent to send them." if drafts else "."),
            "message")
