"""Applying a Task `PUT`: idempotence, the version rule, the state machine, atomically.

Version rule (one for the FHIR face, over the referral's own `version`):
- `If-Match: W/"<v>"` names the version the client read; if it is not current: 412.
- else `meta.versionId` in the body does; if it is not current and the PUT would change
  anything: 409 saying what changed since (the referral's current status and version).
- neither: the change is judged against the current Task alone, so it is taken when the
  state machine allows it from the current status (a stale view shows up as an illegal
  move, and is refused saying so, not as "changed by someone else").
A PUT that changes nothing (the same status, reason, output, business status, no new note)
answers 200 with the current Task and adds nothing to the timeline, whatever its version.
As everywhere in resdir (resdir.versioning), a note alone makes no new version: the timeline
is append-only, so a note overwrites nothing and should not make the other side's pending
change stale. A new businessStatus does make one.
"""

from __future__ import annotations

from dataclasses import dataclass

from resdir.auth import policy
from resdir.basics import utcnow
from resdir.errors import BadParameter, Conflict, Forbidden
from resdir.extensions import db
from resdir.interop.fhir import context as contexts
from resdir.interop.fhir import referral as build
from resdir.interop.fhir import task_put
from resdir.interop.fhir.models import TaskState
from resdir.interop.fhir.outcome import PreconditionFailed, Unprocessable
from resdir.interop.fhir.procedures import of_referral
from resdir.referrals import operations, states

FIELDS = {"status": "Task.status", "reason": "Task.statusReason",
          "reason_text": "Task.statusReason.text", "outcome": "Task.output",
          "consent": "Task.focus"}


def _if_match(header: str | None) -> int | None:
    if header is None:
        return None
    value = header.strip()
    value = value[2:] if value.startswith("W/") else value
    value = value.strip('"')
    if not value.isdigit():
        raise BadParameter('If-Match must be a version tag like W/"3".', "If-Match")
    return int(value)


def _same_outcome(sent: dict | None, current: dict | None) -> bool:
    def key(o):
        return (o or {}).get("enrollment"), sorted((o or {}).get("procedures") or [])
    return key(sent) == key(current)


def _check_move(referral, side, data) -> None:
    status = data["status"]
    if status == "requested" and not (referral.consent and referral.consent.given):
        raise Unprocessable("The client's consent must be recorded before the referral is "
                            "sent.", "Task.status")
    outcome = data["outcome"]
    if status == "completed" and outcome and outcome.get("procedures") \
            and outcome.get("enrollment") is None:
        outcome = {**outcome, "enrollment": None}
    try:
        states.check(referral.status, status, side, data["reason"], data["reason_text"],
                     outcome)
    except states.TransitionError as exc:
        field = FIELDS.get(exc.field, exc.field)
        message = exc.message.replace("Completing needs an outcome",
                                      "Completing needs Task.output")
        if exc.kind == "side":
            raise Forbidden(message, field) from None
        raise Unprocessable(message, field) from None


@dataclass(frozen=True)
class _Changes:
    """What a PUT changes against the current Task."""

    status: bool
    reason: bool
    output: bool
    business: bool
    notes: list[str]  # notes not on the timeline yet

    def any(self) -> bool:
        return self.status or self.reason or self.output or self.business or bool(self.notes)


def apply(user, ctx: contexts.Context, body: dict, if_match: str | None) -> contexts.Context:
    referral = ctx.referral
    side = policy.referral_side(user, referral)
    if side is None:
        raise Forbidden("Only the referring organization or the receiving agency may update "
                        "this Task.", "Task")
    current = build.task(ctx)
    expected = _if_match(if_match)
    if expected is not None and expected != referral.version:
        raise PreconditionFailed(
            f"If-Match names version {expected}, but the Task is now version "
            f"{referral.version} (status {referral.status}). Read it again and re-apply your "
            "change.", "If-Match")
    data = task_put.read(body, current)
    changes = _changes(ctx, current, data)
    if not changes.any():
        return ctx  # idempotent: the Task already says this
    _check(referral, side, data, changes, version_checked=expected is not None)
    linked = of_referral(referral.id, (data["outcome"] or {}).get("procedures") or [])
    # Everything is checked: stage the notes, business status and outputs, then one commit.
    _stage(user, referral, side, data, changes, linked)
    _save(user, referral, data, changes, linked)
    db.session.refresh(referral)
    return contexts.load(referral, user)


def _changes(ctx: contexts.Context, current: dict, data: dict) -> _Changes:
    referral = ctx.referral
    known = {n.note for n in ctx.notes}
    now_reason = (task_put.reason(current["statusReason"]) if current.get("statusReason")
                  else (None, None))
    return _Changes(
        status=data["status"] != referral.status,
        reason=(data["reason"], data["reason_text"]) != now_reason,
        output=not _same_outcome(data["outcome"], task_put.outcome(current.get("output"))),
        business=data["business_status"] != ctx.business_status,
        notes=[n for n in dict.fromkeys(data["notes"]) if n not in known])


def _check(referral, side: str, data: dict, changes: _Changes, version_checked: bool) -> None:
    """The version rule (unless If-Match was checked already) and the rules of a move."""
    if not version_checked and data["version"] is not None \
            and data["version"] != referral.version:
        raise Conflict(
            f"Task.meta.versionId {data['version']} is not current: the Task changed since "
            f"(now version {referral.version}, status {referral.status}). Read it again and "
            "re-apply your change.", "Task.meta.versionId")
    if not changes.status and (changes.reason or changes.output):
        element = "Task.statusReason" if changes.reason else "Task.output"
        raise Unprocessable(f"{element} changes only together with Task.status (a new "
                            "reason with on-hold, rejected, cancelled or failed; the output "
                            "with completed).", element)
    if changes.status:
        if changes.output and data["status"] != "completed":
            raise Unprocessable("Task.output changes only with status completed.",
                                "Task.output")
        _check_move(referral, side, data)


def _stage(user, referral, side: str, data: dict, changes: _Changes, linked) -> None:
    """The new notes, the business status and the outputs, in the session."""
    for text in changes.notes:
        operations.stage_note(user, referral, side, text)
    if changes.business:
        state = db.session.get(TaskState, referral.id) or TaskState(referral_id=referral.id)
        state.business_status = data["business_status"]
        db.session.add(state)
        operations.add_event(referral, user, side, None, None,
                          note=f"Business status: {data['business_status'] or '(cleared)'}")
    for row in linked:
        row.in_output = True


def _save(user, referral, data: dict, changes: _Changes, linked) -> None:
    """One commit: the status change with everything staged, or the staged rows alone."""
    if changes.status:
        outcome = data["outcome"]
        if outcome is not None and outcome.get("procedures"):
            words = [p.code_text for p in linked if p.code_text]
            outcome = {**outcome, "provided": outcome.get("provided") or "; ".join(words)}
        operations.change_status(user, referral, {
            "status": data["status"], "reason": data["reason"],
            "reason_text": data["reason_text"], "outcome": outcome,
            "version": referral.version})
    else:
        if changes.business:  # a state of the Task a second writer could overwrite
            referral.updated_at = utcnow()  # so: a new version
        operations.commit_or_conflict()
