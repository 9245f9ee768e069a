"""How to reach a client: phone, e-mail, preferred contact method and times, address.

Minimum necessary and all optional. Kept in `Client.contact`, apart from the facts, so
matching never reads it; an agency sees it on a referral only when the consent recorded on
that referral covers contact (resdir.referrals.present.shared_client). Phone numbers and
e-mail addresses are checked by well-kept libraries (phonenumbers, email-validator) and
stored in one spelling, so the same number typed twice is the same value.
"""

from __future__ import annotations

import email_validator
import phonenumbers

from resdir.errors import BadParameter

# The API's (and the form's) names for the contact fields, in the order forms show them.
CONTACT_FIELDS = ("phone", "email", "email_ok", "contact_method", "contact_times", "address")
# How the client prefers to be reached; "text" means text messages to `phone`.
METHODS = {"phone": "Phone call", "text": "Text message", "email": "E-mail",
           "mail": "Letter", "in-person": "In person"}
LIMITS = {"contact_times": 200, "address": 300}


def _text(raw: dict, name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    limit = LIMITS.get(name, 320)
    if not isinstance(value, str) or len(value) > limit:
        raise BadParameter(f"{name.replace('_', ' ')} must be text of at most {limit} "
                           "characters.", name)
    return " ".join(value.split()) or None


def phone(text: str | None) -> str | None:
    """A US (or +country) number in its national spelling, e.g. (412) 555-0100."""
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise BadParameter(f"We can't read {text[:40]!r} as a phone number. Write it with its "
                           "area code, for example 412-555-0100.", "phone")
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 1
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, style)


def email(text: str | None) -> str | None:
    if not text:
        return None
    try:
        # Syntax only: checking the domain would ask DNS about the client's mail provider.
        return email_validator.validate_email(text, check_deliverability=False).normalized
    except email_validator.EmailNotValidError:
        raise BadParameter(f"{text[:60]!r} is not an e-mail address we can send to. Check it, "
                           "for example name@example.org.", "email") from None


def parse_contact(raw: dict) -> dict:
    """API-shaped contact fields -> the stored dict (only what was given)."""
    out: dict = {"phone": phone(_text(raw, "phone")), "email": email(_text(raw, "email"))}
    ok = raw.get("email_ok")
    if ok is not None and not isinstance(ok, bool):
        raise BadParameter("email_ok must be true or false.", "email_ok")
    out["email_ok"] = ok
    method = raw.get("contact_method")
    if method not in (None, "", *METHODS):
        raise BadParameter("contact_method must be one of: " + ", ".join(METHODS) + ".",
                           "contact_method")
    out["contact_method"] = method or None
    out["contact_times"] = _text(raw, "contact_times")
    out["address"] = _text(raw, "address")
    if out["email_ok"] and not out["email"]:
        raise BadParameter("The client agreed to e-mail, but no e-mail address is given.",
                           "email")
    if method in ("phone", "text") and not out["phone"]:
        raise BadParameter(f"The client prefers {METHODS[method].lower()}s: give a phone "
                           "number.", "phone")
    if method == "email" and not out["email"]:
        raise BadParameter("The client prefers e-mail: give an e-mail address.", "email")
    return {k: v for k, v in out.items() if v is not None}


def merged(current: dict | None, changes: dict) -> dict:
    """The stored contact after a change of some fields (None clears one)."""
    out = {**(current or {}), **{k: v for k, v in changes.items() if k in CONTACT_FIELDS}}
    return parse_contact({k: v for k, v in out.items() if v not in (None, "")})


def can_email(contact: dict | None) -> bool:
    """Whether the client agreed to get e-mail (the hand-out) at an address on record."""
    return bool(contact and contact.get("email_ok") and contact.get("email"))
