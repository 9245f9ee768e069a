"""Reading a referral Task an agency (or the referrer) `PUT`s back.

The whole Task is sent, as read. Only `status`, `statusReason`, `businessStatus`, `output`
and `note` may differ from the current Task; any other difference is refused naming the
element (it is never silently dropped). Notes are append-only: a note the Task does not
carry yet is added to the timeline, and a note left out is kept. This module only parses
and compares; the route applies the version rule and the state machine judges the move.
"""

from __future__ import annotations

from typing import Any

from resdir.errors import BadParameter
from resdir.interop.fhir.common import ENROLLMENT_STATUS
from resdir.interop.fhir.outcome import Unprocessable
from resdir.referrals.states import ENROLLMENT, REASONS, STATUSES

CHANGEABLE = ("status", "statusReason", "businessStatus", "output", "note")
IGNORED = ("resourceType", "id", "meta", "text", "lastModified")


def _codes(concept: Any, path: str) -> tuple[list[str], str | None]:
    """The codes and text of a CodeableConcept; BadParameter naming `path` if malformed."""
    if not isinstance(concept, dict):
        raise BadParameter(f"{path} must be a CodeableConcept object.", path)
    coding = concept.get("coding", [])
    if not isinstance(coding, list) or not all(isinstance(c, dict) for c in coding):
        raise BadParameter(f"{path}.coding must be a list of Coding objects.", f"{path}.coding")
    text = concept.get("text")
    if text is not None and not isinstance(text, str):
        raise BadParameter(f"{path}.text must be a string.", f"{path}.text")
    codes = [c["code"] for c in coding if isinstance(c.get("code"), str)]
    return codes, (text or "").strip() or None


def _pick(codes: list[str], text: str | None, vocabulary: dict[str, str]) -> str | None:
    """Our code among the codings, else the code whose key or label the text is."""
    found = [c for c in codes if c in vocabulary]
    words = (text or "").lower()
    return (found or [c for c, label in vocabulary.items() if words in (c, label.lower())]
            or [None])[0]


def reason(concept: Any) -> tuple[str, str | None]:
    codes, text = _codes(concept, "Task.statusReason")
    code = _pick(codes, text, REASONS)
    if code is None:  # words or codes of the agency's own: kept as "other"
        if not (text or codes):
            raise BadParameter("Task.statusReason needs a coding or a text.",
                               "Task.statusReason")
        return "other", text or codes[0]
    words, label = text or "", REASONS[code]
    if words.lower() == code:
        words = ""
    elif words.lower().startswith(label.lower()):  # our own "Label: words" echoed back
        words = words[len(label):].lstrip(" :-\u2013\u2014")
    return code, words or None


def outcome(outputs: Any) -> dict | None:
    """{enrollment, provided, procedures}: resdir's enrollment output and/or
    `resulting-activity` outputs (a Procedure reference, or words of what was done)."""
    if outputs is None:
        return None
    if not isinstance(outputs, list):
        raise BadParameter("Task.output must be a list.", "Task.output")
    enrollment = provided = None
    procedures: list[str] = []
    for i, out in enumerate(outputs):
        path = f"Task.output[{i}]"
        if not isinstance(out, dict):
            raise BadParameter(f"{path} must be an object.", path)
        types, type_text = _codes(out.get("type"), f"{path}.type")
        if ENROLLMENT_STATUS in types or "enrollment" in (type_text or "").lower():
            if isinstance(out.get("valueCode"), str):
                codes, text = [out["valueCode"]], None
            else:
                codes, text = _codes(out.get("valueCodeableConcept"),
                                     f"{path}.valueCodeableConcept")
            enrollment = _pick(codes, text, ENROLLMENT)
            if enrollment is None:
                raise BadParameter(f"{path} enrollment must be one of: "
                                   + ", ".join(ENROLLMENT) + ".", f"{path}.value")
        elif "resulting-activity" in types:
            value = out.get("valueReference") or out.get("valueCodeableConcept") or {}
            if not isinstance(value, dict):
                raise BadParameter(f"{path}.value must be a Reference or CodeableConcept.",
                                   f"{path}.value")
            target = value.get("reference")
            if target is not None:
                if not isinstance(target, str) or not target.startswith("Procedure/"):
                    raise BadParameter(f"{path}.valueReference must reference a Procedure "
                                       "(Procedure/<id>).", f"{path}.valueReference")
                procedures.append(target.split("/", 1)[1])
            words = value.get("display") or value.get("text")
            if isinstance(words, str) and words.strip():
                provided = words.strip()
    if enrollment is None and provided is None and not procedures:
        return None
    return {"enrollment": enrollment, "provided": provided, "procedures": procedures}


def business_status(concept: Any) -> str | None:
    if concept is None:
        return None
    codes, text = _codes(concept, "Task.businessStatus")
    words = text or (concept.get("coding") or [{}])[0].get("display") or (codes or [None])[0]
    if words is not None and len(words) > 200:
        raise BadParameter("Task.businessStatus is at most 200 characters.",
                           "Task.businessStatus")
    return words


def notes(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadParameter("Task.note must be a list of Annotations.", "Task.note")
    out = []
    for i, note in enumerate(value):
        text = note.get("text") if isinstance(note, dict) else None
        if not isinstance(text, str) or not text.strip() or len(text) > 2000:
            raise BadParameter(f"Task.note[{i}].text must be text of 1 to 2000 characters.",
                               f"Task.note[{i}].text")
        out.append(text.strip())
    return out


def _plain(value: Any) -> Any:
    """For comparing: `display` words are a convenience, not part of what is referenced."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "display"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def unchanged_elsewhere(sent: dict, current: dict) -> None:
    """Unprocessable naming the first element the owner may not change but the PUT does."""
    for key in sorted(set(sent) | set(current)):
        if key in CHANGEABLE or key in IGNORED or key.startswith("_"):
            continue
        if _plain(sent.get(key)) != _plain(current.get(key)):
            was = "absent" if key not in current else "as read"
            raise Unprocessable(
                f"Task.{key} cannot be changed (it must stay {was}): only status, "
                "statusReason, businessStatus, output and note may change. Send the Task as "
                "read with only those changed.", f"Task.{key}")


def read(resource: Any, current: dict) -> dict:
    """{status, reason, reason_text, outcome, business_status, notes, version} of a PUT."""
    if not isinstance(resource, dict):
        raise BadParameter("Send a FHIR Task as a JSON object.", "Task")
    if resource.get("resourceType") != "Task":
        raise BadParameter(f"resourceType must be Task, not {resource.get('resourceType')!r}.",
                           "Task.resourceType")
    if resource.get("id") != current["id"]:
        raise BadParameter("Task.id must be present and match the id in the URL.", "Task.id")
    status = resource.get("status")
    if not isinstance(status, str) or not status:
        raise BadParameter("Task.status is required.", "Task.status")
    if status not in STATUSES:
        raise BadParameter(f"Task.status {status!r} is not a referral task status; use one of: "
                           + ", ".join(STATUSES) + ".", "Task.status")
    meta = resource.get("meta", {})
    if not isinstance(meta, dict):
        raise BadParameter("Task.meta must be an object.", "Task.meta")
    version = meta.get("versionId")
    if version is not None:
        if not isinstance(version, str) or not version.isdigit():
            raise BadParameter("Task.meta.versionId must be the referral version, like \"3\".",
                               "Task.meta.versionId")
        version = int(version)
    unchanged_elsewhere(resource, current)
    reason_code = reason_text = None
    if resource.get("statusReason") is not None:
        reason_code, reason_text = reason(resource["statusReason"])
    return {"status": status, "reason": reason_code, "reason_text": reason_text,
            "outcome": outcome(resource.get("output")),
            "output": resource.get("output") or [],
            "business_status": business_status(resource.get("businessStatus")),
            "notes": notes(resource.get("note")), "version": version}
