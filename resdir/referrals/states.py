"""The referral status machine: FHIR Task statuses, who may set each, and what each needs.

From the HL7 SDOH Clinical Care referral model (all Task statuses except `ready` and
`received`): the referrer drafts and requests; the agency accepts, starts, holds, completes
or fails; either side may cancel; only the referrer marks entered-in-error.
"""

from __future__ import annotations

from resdir.auth.policy import AGENCY, REFERRER

__all__ = ["AGENCY", "REFERRER"]  # with the status machine
STATUSES = ("draft", "requested", "accepted", "rejected", "cancelled", "in-progress",
            "on-hold", "failed", "completed", "entered-in-error")
TERMINAL = ("rejected", "cancelled", "completed", "failed", "entered-in-error")
OPEN = tuple(s for s in STATUSES if s not in TERMINAL)

# status -> {next status: the sides that may set it}
TRANSITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "draft": {"requested": (REFERRER,), "cancelled": (REFERRER,)},
    "requested": {"accepted": (AGENCY,), "rejected": (AGENCY,),
                  "cancelled": (REFERRER, AGENCY)},
    "accepted": {"in-progress": (AGENCY,), "on-hold": (AGENCY,),
                 "cancelled": (REFERRER, AGENCY), "completed": (AGENCY,), "failed": (AGENCY,)},
    "in-progress": {"on-hold": (AGENCY,), "cancelled": (REFERRER, AGENCY),
                    "completed": (AGENCY,), "failed": (AGENCY,)},
    "on-hold": {"in-progress": (AGENCY,), "cancelled": (REFERRER, AGENCY),
                "completed": (AGENCY,), "failed": (AGENCY,)},
}
for _status in STATUSES:
    if _status != "entered-in-error":
        TRANSITIONS.setdefault(_status, {})["entered-in-error"] = (REFERRER,)

NEEDS_REASON = ("rejected", "cancelled", "on-hold", "failed")
# What each status is called on a button or in a list ("mark it ..." / "to ...").
VERBS = {"requested": "send", "accepted": "accept", "rejected": "reject", "cancelled": "cancel",
         "in-progress": "start", "on-hold": "put on hold", "failed": "mark failed",
         "completed": "complete", "entered-in-error": "mark entered in error"}
LABELS = {"draft": "Draft", "requested": "Sent (waiting for the agency)",
          "accepted": "Accepted", "rejected": "Rejected", "cancelled": "Cancelled",
          "in-progress": "In progress", "on-hold": "On hold", "failed": "Failed",
          "completed": "Completed", "entered-in-error": "Entered in error"}
REASONS = {
    "not-eligible": "Not eligible",
    "no-capacity": "No capacity",
    "could-not-contact": "Couldn't contact the client",
    "client-declined": "Client declined",
    "referred-elsewhere": "Referred elsewhere",
    "other": "Other",
}
ENROLLMENT = {
    "enrolled": "Enrolled",
    "not-enrolled": "Not enrolled",
    "not-enrolled-on-waitlist": "On the waitlist",
}


class TransitionError(Exception):
    """Why a change of status is refused; `kind` maps to the HTTP answer."""

    def __init__(self, message: str, kind: str, field: str | None = None):
        super().__init__(message)
        self.message, self.kind, self.field = message, kind, field


def check(current: str, new: str, side: str, reason: str | None, reason_text: str | None,
          outcome: dict | None) -> None:
    """Raise TransitionError unless `side` may move a referral from `current` to `new`."""
    if new not in STATUSES:
        raise TransitionError(f"{new!r} is not a referral status.", "bad", "status")
    allowed = TRANSITIONS.get(current, {})
    if new not in allowed:
        article = "An" if current[0] in "aeiou" else "A"
        raise TransitionError(f"{article} {current} referral cannot become {new}.", "illegal",
                              "status")
    if side not in allowed[new]:
        who = " or ".join("the referring organization" if s == REFERRER else "the agency"
                          for s in allowed[new])
        raise TransitionError(f"Only {who} may mark a referral {new}.", "side", "status")
    if new in NEEDS_REASON:
        if not reason:
            raise TransitionError(f"A reason is required to mark a referral {new}.", "missing",
                                  "reason")
        if reason not in REASONS:
            raise TransitionError("reason must be one of: " + ", ".join(REASONS) + ".",
                                  "missing", "reason")
        if reason == "other" and not (reason_text or "").strip():
            raise TransitionError("Say what the other reason is (reason_text).", "missing",
                                  "reason_text")
    if new == "completed":
        # resdir's enrollment outcome, or (FHIR) the Procedures the agency delivered.
        if not isinstance(outcome, dict) or not (outcome.get("enrollment") in ENROLLMENT
                                                 or outcome.get("procedures")):
            raise TransitionError("Completing needs an outcome: enrollment is one of "
                                  + ", ".join(ENROLLMENT) + " (or, over FHIR, a "
                                  "resulting-activity Procedure).", "missing", "outcome")
        if outcome.get("enrollment") not in (None, *ENROLLMENT):
            raise TransitionError("enrollment must be one of: " + ", ".join(ENROLLMENT)
                                  + ".", "missing", "outcome")


def next_statuses(current: str, side: str) -> list[str]:
    """What this side may do next, for buttons."""
    return [s for s, sides in TRANSITIONS.get(current, {}).items() if side in sides]
