"""What of a client's contact details a referral shares with the agency."""

from __future__ import annotations

SHARED_FIELDS = ("phone", "email", "contact_method", "contact_times", "address")


def contact_shared(referral, client) -> dict | None:
    """The client's contact details when the consent on this referral covers contact and
    the coordinator did not ask the agency to stay away (do-not-contact); else None, and
    the agency works through the referring coordinator."""
    consent = referral.consent
    if consent is None or not consent.given or not consent.contact:
        return None
    if referral.contact_preference == "do-not-contact":
        return None
    shared = {k: (client.contact or {}).get(k) for k in SHARED_FIELDS}
    return {k: v for k, v in shared.items() if v} or None
