"""Referral e-mails: a link and at most the client's first initial; the details stay behind
the sign-in. Sent after the commit, through resdir.mail."""

from __future__ import annotations

from sqlalchemy import select

from resdir import mail
from resdir.auth.models import User
from resdir.extensions import db
from resdir.matching.models import Client
from resdir.referrals.models import Referral


def link(referral_id: str) -> str:
    return mail.url(f"/referrals/{referral_id}")


def initial(client) -> str:
    name = (client.name or "").strip()
    return f"client {name[0].upper()}." if name else "a client"


def tell_agency(referral: Referral, subject: str) -> None:
    """Every active account of the receiving agency."""
    emails = list(db.session.scalars(select(User.email).where(
        User.organization_id == referral.agency_organization_id, User.active.is_(True))))
    _send(emails, referral, subject)


def tell_referrer(referral: Referral, subject: str) -> None:
    """The person who made the referral, while their account is active."""
    referrer = db.session.get(User, referral.referrer_id)
    _send([referrer.email] if referrer and referrer.active else [], referral, subject)


def _send(emails: list[str], referral: Referral, subject: str) -> None:
    client = db.session.get(Client, referral.client_id)
    mail.send(emails, f"resdir: {subject}",
              f"{subject} for {initial(client)}.\n\nOpen it (sign-in needed): "
              f"{link(referral.id)}\n", referral.id)
