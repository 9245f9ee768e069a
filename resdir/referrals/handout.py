"""One hand-out for all picked programs: printed, or e-mailed to the client.

Each program: name, organization, address (never a confidential one), hours today and the
week, phone, what to bring, how to apply. At the foot: the coordinator's name, e-mail and
organization, and the date. The e-mail carries the same text; its subject never names the
client (mail subjects show on lock screens and in server logs), and it goes only to an
address on the client's record when the client agreed to e-mail (`email_ok`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, g, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from resdir import mail
from resdir.audit.operations import record_now
from resdir.auth.models import CareOrganization
from resdir.directory import models as dm
from resdir.directory import present
from resdir.errors import BadParameter
from resdir.extensions import db
from resdir.i18n import N_, language_for
from resdir.matching import operations as clients
from resdir.matching.contact import can_email

SUBJECT = N_("Programs your care team found for you")


def program_entry(service: dm.Service, now: datetime | None = None) -> dict:
    week = present.week_hours(service, now)
    places = []
    for loc in service.locations:
        if loc.confidential:
            places.append(_("The address is given by phone."))
        elif loc.address is not None:
            places.append(loc.address.one_line())
    return {
        "name": service.name,
        "organization": service.organization.name,
        "places": places,
        "today": next((d["hours"] for d in week if d["today"]), None),
        "week": week,
        "phones": [p.number for p in service.phones],
        "bring": [d.document for d in service.required_documents],
        "apply": service.application_process
        or _("Call the program to make an appointment. Say that your care team referred you."),
        "url": service.url,
    }


def sender(user) -> dict:
    """The coordinator's contact, as the hand-out's foot shows it."""
    care = db.session.get(CareOrganization, user.care_organization_id) \
        if user.care_organization_id else None
    return {"name": user.name, "email": user.email,
            "organization": care.name if care else None}


def build(user, services: list[dm.Service], now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    return {"programs": [program_entry(s, now) for s in services], "sender": sender(user),
            "date": now.date()}


def text(handout: dict) -> str:
    """The plain-text e-mail body (rendered from templates/referrals/handout_mail.txt)."""
    return render_template("referrals/handout_mail.txt", h=handout)


def email_to_client(user, client_id: str, services: list[dm.Service]) -> str:
    """Send the hand-out to the client's e-mail address; returns the address (for the
    person's own confirmation on the page). Refused, naming why, unless the client agreed
    to e-mail and has an address on record."""
    client = clients.get_client(user, client_id, audit=False)
    if not services:
        raise BadParameter("Pick at least one program for the hand-out.", "picks")
    if not can_email(client.contact):
        raise BadParameter("This client has not agreed to get e-mail, or has no e-mail "
                           "address on record. Print the hand-out instead, or add the "
                           "address and their agreement on the client page.", "email")
    if not current_app.config["RESDIR_MAIL_ENABLED"]:
        raise BadParameter("E-mail is turned off on this server. Print the hand-out.",
                           "email")
    record_now("client.handout_email", "client", client.id, user=user)
    # In the client's language when we have it (the hand-out is for them), else the page's.
    with force_locale(language_for((client.facts or {}).get("languages"))):
        subject, body = _(SUBJECT), text(build(user, services))
    sent = mail.send([client.contact["email"]], subject, body, client.id)
    if not sent:
        g.pop("undelivered_mail", None)  # said below, in this action's own words
        raise BadParameter("The hand-out could not be sent: the mail server did not answer. "
                           "Print it instead.", "email")
    return client.contact["email"]
