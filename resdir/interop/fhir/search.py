"""`GET /fhir/Task?...`: the referral Tasks a reader may see, as a searchset Bundle.

Parameters: `owner` (Organization/<id>), `status` (comma = or), `_lastUpdated` (with
gt/ge/lt/le/eq prefixes, repeatable for a range), `_id` and `focus` (comma = or), `_count`
and `_page` for paging, `_sort` (`_lastUpdated`, the default, or `-_lastUpdated`).
Anything else is refused naming the parameter (FHIR's strict handling), so a client never
mistakes an ignored filter for an empty answer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from flask import current_app
from sqlalchemy import func, select

from resdir import params
from resdir.audit.operations import record_now
from resdir.auth import policy
from resdir.errors import BadParameter
from resdir.extensions import db
from resdir.referrals import lists
from resdir.referrals.models import Referral
from resdir.referrals.states import STATUSES

KNOWN = ("owner", "status", "_lastUpdated", "_id", "focus", "_count", "_page", "_sort",
         "_format")
PREFIXES = ("gt", "ge", "lt", "le", "eq")


def _instant_range(value: str) -> tuple[datetime, datetime]:
    """[start, end) of a FHIR date/dateTime search value at its own precision."""
    text = value.strip()
    for fmt, step in (("%Y", "year"), ("%Y-%m", "month"), ("%Y-%m-%d", "day")):
        try:
            start = datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        if step == "year":
            return start, start.replace(year=start.year + 1)
        if step == "month":
            nxt = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
            return start, nxt
        return start, start + timedelta(days=1)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a time needs a time zone")
    moment = moment.astimezone(UTC)
    fraction = text.split(".", 1)[1] if "." in text else ""
    digits = len(fraction.rstrip("Z").split("+")[0].split("-")[0])
    return moment, moment + timedelta(microseconds=10 ** max(0, 6 - digits) if digits
                                      else 1_000_000)


def _last_updated(values: list[str]) -> list:
    conditions = []
    for raw in values:
        prefix = raw[:2] if raw[:2] in PREFIXES else "eq"
        value = raw[2:] if raw[:2] in PREFIXES else raw
        try:
            start, end = _instant_range(value)
        except ValueError:
            raise BadParameter(f"_lastUpdated {raw!r} is not a FHIR date or instant with a "
                               "time zone, like gt2026-03-02T15:30:00Z.", "_lastUpdated") from None
        column = Referral.updated_at
        conditions.extend({"gt": [column >= end], "ge": [column >= start],
                           "lt": [column < start], "le": [column < end],
                           "eq": [column >= start, column < end]}[prefix])
    return conditions


def _ids(raw: str, kind: str | None, name: str) -> list[str]:
    out = []
    for given in raw.split(","):
        part = given.strip()
        if kind and part.startswith(kind + "/"):
            part = part.removeprefix(kind + "/")
        elif "/" in part:
            raise BadParameter(f"{name} must be {kind}/<id> or an id.", name)
        if part:
            out.append(part)
    return out


def _int(args, name: str, default: int, low: int, high: int) -> int:
    value = params.integer(args, name, low, high)
    return default if value is None else value


def visible_query(user):
    """The referrals `user` may see (resdir.auth.policy's rules, as a query)."""
    return lists.scoped(select(Referral), policy.referral_scope(user))


def search(user, args) -> tuple[list[Referral], int, dict, int, int]:
    """The page of referrals, the total, the parameters that made them (for links), the
    page number and the page size."""
    for name in args:
        if name not in KNOWN:
            raise BadParameter(f"Task has no search parameter {name!r} here; use one of: "
                               + ", ".join(KNOWN) + ".", name)
    cfg = current_app.config
    count = _int(args, "_count", cfg["RESDIR_PER_PAGE"], 0, cfg["RESDIR_MAX_PER_PAGE"])
    page = _int(args, "_page", 1, 1, 100_000)
    sort = args.get("_sort", "_lastUpdated")
    if sort not in ("_lastUpdated", "-_lastUpdated"):
        raise BadParameter("_sort must be _lastUpdated or -_lastUpdated.", "_sort")
    query = visible_query(user)
    kept = {k: args.getlist(k) for k in args if k not in ("_page", "_format")}
    if query is None:
        return [], 0, kept, page, count
    conditions = _last_updated(args.getlist("_lastUpdated"))
    for name in ("owner", "status", "_id", "focus"):
        if name not in args:
            continue
        values = [v for raw in args.getlist(name)
                  for v in _ids(raw, {"owner": "Organization", "focus": "ServiceRequest"}
                                .get(name), name)]
        if name == "status":
            bad = [v for v in values if v not in STATUSES]
            if bad:
                raise BadParameter(f"status {bad[0]!r} is not a referral task status; use "
                                   "one of: " + ", ".join(STATUSES) + ".", "status")
        column = {"owner": Referral.agency_organization_id, "status": Referral.status,
                  "_id": Referral.id, "focus": Referral.id}[name]
        conditions.append(column.in_(values))
    query = query.where(*conditions)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    order = (Referral.updated_at.desc(), Referral.id.desc()) if sort.startswith("-") else (
        Referral.updated_at, Referral.id)
    found = list(db.session.scalars(query.order_by(*order).offset((page - 1) * count)
                                    .limit(count))) if count else []
    record_now("referral.list", None, None, user=user)
    return found, total, kept, page, count


def links(base: str, kept: dict, page: int, count: int, total: int) -> list[dict]:
    def url(number: int) -> str:
        query = [(k, v) for k, values in kept.items() for v in values]
        return f"{base}/Task?" + urlencode(query + [("_page", str(number))])

    last = max(1, -(-total // count)) if count else 1
    out = [{"relation": "self", "url": url(page)}, {"relation": "first", "url": url(1)}]
    if page > 1:
        out.append({"relation": "previous", "url": url(min(page - 1, last))})
    if page < last:
        out.append({"relation": "next", "url": url(page + 1)})
    out.append({"relation": "last", "url": url(last)})
    return out
