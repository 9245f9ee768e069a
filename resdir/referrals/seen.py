"""The "new / changed" marker on referral lists: what someone else did on a referral since
this person last opened it.

Opening a referral's page records when (one `referral_seen` row per person and referral).
A referral is marked when its timeline has an event by someone else (or by the system)
after that moment: a status change, consent recorded, a note. The person's own actions
never mark it, so a coordinator's new referral is not "changed" for them; for the agency
a referral it never opened is "new".
"""

from __future__ import annotations

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from resdir.basics import aware, utcnow
from resdir.extensions import db
from resdir.referrals.models import ReferralEvent, ReferralSeen


def mark_seen(user, referral_id: str) -> None:
    """Record that `user` opened the referral now (two tabs at once: the later time wins)."""
    now = utcnow()
    changed = db.session.execute(update(ReferralSeen).where(
        ReferralSeen.user_id == user.id, ReferralSeen.referral_id == referral_id)
        .values(seen_at=now)).rowcount
    if not changed:
        db.session.add(ReferralSeen(user_id=user.id, referral_id=referral_id, seen_at=now))
    try:
        db.session.commit()
    except IntegrityError:  # the other tab inserted the row first: its time is as good
        db.session.rollback()


def markers(user, referral_ids: list[str]) -> dict[str, str]:
    """Referral id -> "new" (never opened nor acted on) or "changed", for the referrals
    someone else changed since this person last opened them."""
    if not referral_ids or user is None:
        return {}
    out: dict[str, str] = {}
    for start in range(0, len(referral_ids), 500):
        chunk = referral_ids[start:start + 500]
        last = dict(db.session.execute(
            select(ReferralEvent.referral_id, func.max(ReferralEvent.at))
            .where(ReferralEvent.referral_id.in_(chunk),
                   or_(ReferralEvent.user_id.is_(None), ReferralEvent.user_id != user.id))
            .group_by(ReferralEvent.referral_id)).all())
        seen = dict(db.session.execute(
            select(ReferralSeen.referral_id, ReferralSeen.seen_at)
            .where(ReferralSeen.user_id == user.id, ReferralSeen.referral_id.in_(chunk))).all())
        mine = set(db.session.scalars(
            select(ReferralEvent.referral_id).distinct()
            .where(ReferralEvent.referral_id.in_(chunk), ReferralEvent.user_id == user.id)))
        for referral_id, moment in last.items():
            opened = aware(seen.get(referral_id))
            if opened is None:  # never opened: new to them, unless they made it
                out[referral_id] = "changed" if referral_id in mine else "new"
            elif aware(moment) > opened:
                out[referral_id] = "changed"
    return out
