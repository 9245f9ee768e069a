"""Sending e-mail, for every feature (referral notices, agency verification requests).

Messages carry a link and never client details: those stay behind the sign-in. With
RESDIR_MAIL_FOLDER set, messages are written there as .eml files instead of sent.
"""

from __future__ import annotations

import email.utils
import logging
import smtplib
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from flask import current_app, flash, g, has_request_context, request

log = logging.getLogger(__name__)


def send(recipients: list[str], subject: str, body: str, record_id: str) -> bool:
    """Send one message; a failure is logged (by record id), noted for the page, never raised.

    The person whose action sent the mail must learn it did not go (they may need to phone
    instead), so each failure is kept on `g` and shown as a warning on their next page.
    """
    cfg = current_app.config
    if not cfg["RESDIR_MAIL_ENABLED"] or not recipients:
        return False
    message = EmailMessage()
    message["From"] = cfg["RESDIR_MAIL_SENDER"]
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(localtime=False)
    message["Message-ID"] = email.utils.make_msgid(domain="resdir.invalid")
    message.set_content(body)
    try:
        if cfg["RESDIR_MAIL_FOLDER"]:
            _write(Path(cfg["RESDIR_MAIL_FOLDER"]), message)
        else:
            _smtp(cfg, message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail about %s not sent: %s", record_id, type(exc).__name__)
        if has_request_context():
            g.setdefault("undelivered_mail", []).append(subject)
        return False
    return True


def _smtp(cfg, message: EmailMessage) -> None:
    with smtplib.SMTP(cfg["RESDIR_SMTP_HOST"], cfg["RESDIR_SMTP_PORT"], timeout=10) as smtp:
        if cfg["RESDIR_SMTP_STARTTLS"]:
            smtp.starttls()
        if cfg["RESDIR_SMTP_USER"]:
            smtp.login(cfg["RESDIR_SMTP_USER"], cfg["RESDIR_SMTP_PASSWORD"])
        smtp.send_message(message)


def _write(folder: Path, message: EmailMessage) -> None:
    """A development mailbox: one .eml file per message, named so they sort by time."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    (folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml").write_bytes(message.as_bytes())


def warn_about_undelivered_mail(response):
    """after_request: tell the person who acted that their action's e-mail did not go."""
    failed = g.pop("undelivered_mail", None)
    if failed and not request.path.startswith(("/api/", "/fhir/", "/hsds/")):
        flash("The e-mail about this (" + "; ".join(dict.fromkeys(failed)) + ") could not be "
              "sent: the mail server did not answer. Tell the people concerned another way, "
              "for example by phone.", "warning")
    return response


def url(path: str) -> str:
    return current_app.config["RESDIR_BASE_URL"].rstrip("/") + path

