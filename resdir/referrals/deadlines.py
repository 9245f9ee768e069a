"""When a referral's next step is due, which referrals are overdue, and the reminders.

An agency answers within RESDIR_RESPOND_WITHIN_BUSINESS_DAYS of a referral being sent, and
closes it within RESDIR_CLOSE_WITHIN_DAYS; `resdir send-reminders` (or the worker) mails
the agency once a day about each overdue one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from resdir.basics import aware, utcnow
from resdir.extensions import db
from resdir.referrals import notify, states
from resdir.referrals.models import Referral
from resdir.referrals.models import ReminderSent as Reminder


def add_business_days(start: datetime, days: int) -> datetime:
    moment = start
    while days > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


def due(referral: Referral) -> datetime | None:
    """When the next step is due: the agency's answer (RESPOND_WITHIN_BUSINESS_DAYS after
    sending), then closing (CLOSE_WITHIN_DAYS after sending); None for drafts and closed."""
    cfg = current_app.config
    requested = aware(referral.requested_at)
    if requested is None or referral.status in states.TERMINAL:
        return None
    if referral.status == "requested":
        return add_business_days(requested, cfg["RESDIR_RESPOND_WITHIN_BUSINESS_DAYS"])
    return requested + timedelta(days=cfg["RESDIR_CLOSE_WITHIN_DAYS"])


def overdue(referral: Referral, now: datetime | None = None) -> bool:
    """Not answered within RESPOND_WITHIN_BUSINESS_DAYS, or open past CLOSE_WITHIN_DAYS."""
    deadline = due(referral)
    return deadline is not None and (now or utcnow()) > deadline


def send_reminders(today: date | None = None, most: int | None = None) -> int:
    """E-mail agencies about overdue referrals; at most once per referral and day (the
    reminder row is committed before the mail goes, so two runs never both send).
    `most` bounds the mails of one run (`resdir worker` sends the rest on its next tick)."""
    now = utcnow()
    today = today or now.date()
    sent = 0
    reminded = select(Reminder.id).where(Reminder.referral_id == Referral.id,
                                         Reminder.day == today).exists()
    for referral in db.session.scalars(select(Referral).where(
            Referral.status.in_(states.OPEN), Referral.status != "draft", ~reminded)):
        if most is not None and sent >= most:
            break
        if not overdue(referral, now):
            continue
        db.session.add(Reminder(referral_id=referral.id, day=today))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # already reminded today (maybe by another run)
            continue
        notify.tell_agency(referral, "Overdue referral reminder")
        sent += 1
    return sent
