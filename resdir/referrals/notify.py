"""E-mail notifications. They carry a link and at most the client's first initial: the
details stay behind the sign-in."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger(__name__)


def send(recipients: list[str], subject: str, body: str, referral_id: str) -> bool:
    """Send one message; a mail failure is logged (by referral id) and never raised."""
    cfg = current_app.config
    if not cfg["RESDIR_MAIL_ENABLED"] or not recipients:
        return False
    message = EmailMessage()
    message["From"] = cfg["RESDIR_MAIL_SENDER"]
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(cfg["RESDIR_SMTP_HOST"], cfg["RESDIR_SMTP_PORT"], timeout=10) as smtp:
            if cfg["RESDIR_SMTP_STARTTLS"]:
                smtp.starttls()
            if cfg["RESDIR_SMTP_USER"]:
                smtp.login(cfg["RESDIR_SMTP_USER"], cfg["RESDIR_SMTP_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("notification for referral %s not sent: %s", referral_id,
                    type(exc).__name__)
        return False
    return True


def url(path: str) -> str:
    return current_app.config["RESDIR_BASE_URL"].rstrip("/") + path


def link(referral_id: str) -> str:
    return url(f"/referrals/{referral_id}")


def initial(client) -> str:
    name = (client.name or "").strip()
    return f"client {name[0].upper()}." if name else "a client"
