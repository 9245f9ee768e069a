"""The referrals report: counts, loop closure, response times and service gaps.

`summary(scope, since)` builds a `Report` for what one organization (or an admin) may see;
report_csv.py writes it as one formula-injection-safe CSV with a `section` column;
report_charts.py draws the parts people would rather look at than read.

Definitions (also in the `Report` docstring):

- Counts (by status, need, agency, month) cover every referral in scope, whatever its status
  (an agency's scope holds only referrals sent to it: never drafts),
  created on or after `since` (a UTC day). Months are the UTC calendar month of `created_at`.
- Loop-closure rate: of the referrals that were requested (left draft: `requested_at` is set)
  and not marked entered-in-error, the share whose status is now completed, rejected, cancelled
  or failed. A draft cancelled before it was sent counts in neither part.
- Median hours to response: from `requested_at` to `responded_at` (the agency accepted or
  rejected), over requested referrals with both times, entered-in-error left out.
- Median hours to close: from `requested_at` to `closed_at`, over the closed referrals in the
  rate's numerator that have both times.
- Rejection reasons: referrals whose status is `rejected`, counted by need and reason code, and
  by the client's ZIP (`Client.facts["zip"]`) and reason code. Free-text reasons (`reason_text`)
  are left out of the report: they may name people and do not aggregate.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select

from resdir.basics import aware
from resdir.directory.models import Organization
from resdir.extensions import db
from resdir.matching.models import Client
from resdir.matching.needs import load_needs
from resdir.referrals import lists
from resdir.referrals.models import Referral
from resdir.referrals.states import REASONS, STATUSES

SCOPE_KEYS = ("care_organization_id", "agency_organization_id")
CLOSED = ("completed", "rejected", "cancelled", "failed")
EXCLUDED = "entered-in-error"
STATUS_LABELS = {s: s.replace("-", " ").capitalize() for s in STATUSES}
NO_ZIP = ""
NO_REASON = ""
@dataclass(frozen=True)
class Count:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class ReasonCount:
    """Rejections for one group (a need or a ZIP) and one reason."""

    key: str
    label: str
    reason: str
    reason_label: str
    count: int


@dataclass(frozen=True)
class Month:
    month: str  # YYYY-MM (UTC)
    count: int
    by_status: dict[str, int]  # only the statuses present, in STATUSES order

    @property
    def status_counts(self) -> list[Count]:
        return [Count(s, STATUS_LABELS.get(s, s), n) for s, n in self.by_status.items()]


@dataclass
class Report:
    """A referrals report for one scope.

    `total` and the `by_*` counts cover every referral in scope created on or after `since`.
    `requested` counts referrals that left draft (`requested_at` set), entered-in-error left
    out; `closed` counts those whose status is completed, rejected, cancelled or failed;
    `closure_rate` is `closed / requested` (None when nothing was requested). The medians are
    in hours from `requested_at`: to `responded_at` (accepted or rejected) over `responded`
    referrals, and to `closed_at` over `closed_timed` closed referrals; None when there is
    nothing to measure. `rejections_by_need` and `rejections_by_zip` count referrals in status
    `rejected` by reason code (`""` when none was recorded; ZIP `""` when the client has none).
    """

    scope: dict
    since: date | None
    total: int = 0
    by_status: list[Count] = field(default_factory=list)
    by_need: list[Count] = field(default_factory=list)
    by_agency: list[Count] = field(default_factory=list)
    months: list[Month] = field(default_factory=list)
    requested: int = 0
    closed: int = 0
    closure_rate: float | None = None
    responded: int = 0
    median_hours_to_response: float | None = None
    closed_timed: int = 0
    median_hours_to_close: float | None = None
    rejections_by_need: list[ReasonCount] = field(default_factory=list)
    rejections_by_zip: list[ReasonCount] = field(default_factory=list)

    @property
    def by_month(self) -> list[Count]:
        return [Count(m.month, m.month, m.count) for m in self.months]

    @property
    def rejected(self) -> int:
        return sum(r.count for r in self.rejections_by_need)

    def alt_text(self, name: str) -> str:
        """A text alternative for chart `name` that says what it shows, not how it looks."""
        if name == "by_month":
            if not self.months:
                return "Referrals by month: no referrals."
            busiest = max(self.months, key=lambda m: m.count)
            return (f"Bar chart of referrals created each month from {self.months[0].month} to "
                    f"{self.months[-1].month}, {self.total} in all, split by current status; "
                    f"the busiest month was {busiest.month} with {busiest.count}. The numbers "
                    f"are in the table of referrals by month.")
        if name == "rejections_by_need":
            if not self.rejections_by_need:
                return "Rejection reasons by need: no rejected referrals."
            needs = Counter()
            reasons = Counter()
            for r in self.rejections_by_need:
                needs[r.label] += r.count
                reasons[r.reason_label] += r.count
            top_need, top_need_n = needs.most_common(1)[0]
            top_reason, top_reason_n = reasons.most_common(1)[0]
            return (f"Bar chart of {self.rejected} rejected referrals by need, split by reason; "
                    f"most were for {top_need} ({top_need_n}) and the commonest reason was "
                    f"{top_reason} ({top_reason_n}). The numbers are in the table of rejection "
                    f"reasons by need.")
        raise KeyError(name)


def _scoped(query, scope: dict, since: date | None):
    unknown = set(scope) - set(SCOPE_KEYS)
    if unknown:  # never widen a report silently because of a misspelt key
        raise ValueError(f"unknown report scope: {', '.join(sorted(unknown))}")
    query = lists.scoped(query, scope)  # an agency's: only referrals sent to it
    if since is not None:
        query = query.where(Referral.created_at >= datetime.combine(since, time(), UTC))
    return query


def _hours(start: datetime, end: datetime) -> float:
    return (aware(end) - aware(start)).total_seconds() / 3600


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    out = []
    while (key := f"{year:04d}-{month:02d}") <= last:
        out.append(key)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def reason_label(code: str) -> str:
    return REASONS.get(code, code) if code else "No reason recorded"


def summary(scope: dict, since: date | None = None) -> Report:
    """The report for referrals matching `scope`, created on or after `since` (UTC day).

    `scope` holds `care_organization_id` (a coordinator's care organization),
    `agency_organization_id` (an agency), both, or neither (admins: everything). Any other
    key is refused with ValueError. Definitions are in the `Report` docstring.
    """
    report = Report(scope=dict(scope), since=since)
    needs = {code: need.display for code, need in load_needs().items()}
    _count_statuses(report, scope, since)
    _count_needs_and_agencies(report, scope, since, needs)
    _time_the_loop(report, scope, since)
    _count_rejections_by_need(report, scope, since, needs)
    _count_rejections_by_zip(report, scope, since)
    return report


def _grouped(scope: dict, since: date | None, *columns):
    return db.session.execute(
        _scoped(select(*columns, func.count(Referral.id)), scope, since)
        .group_by(*columns)).all()


def _count_statuses(report: Report, scope: dict, since: date | None) -> None:
    statuses = dict(_grouped(scope, since, Referral.status))
    report.total = sum(statuses.values())
    report.by_status = [Count(s, STATUS_LABELS[s], statuses.get(s, 0)) for s in STATUSES]
    report.by_status += [Count(s, s, n) for s, n in sorted(statuses.items())
                         if s not in STATUS_LABELS]


def _count_needs_and_agencies(report: Report, scope: dict, since: date | None,
                              needs: dict[str, str]) -> None:
    report.by_need = sorted((Count(code, needs.get(code, code), n)
                             for code, n in _grouped(scope, since, Referral.need_code)),
                            key=lambda c: (-c.count, c.label))
    agencies = db.session.execute(
        _scoped(select(Organization.id, Organization.name, func.count(Referral.id))
                .join(Organization, Organization.id == Referral.agency_organization_id),
                scope, since)
        .group_by(Organization.id, Organization.name)).all()
    report.by_agency = sorted((Count(key, name, n) for key, name, n in agencies),
                              key=lambda c: (-c.count, c.label))


def _time_the_loop(report: Report, scope: dict, since: date | None) -> None:
    """Months, the closure rate and the median times to response and to close."""
    # Months and durations in Python: month expressions and interval arithmetic differ
    # between SQLite and PostgreSQL, and medians are not portable SQL either.
    rows = db.session.execute(_scoped(
        select(Referral.status, Referral.created_at, Referral.requested_at,
               Referral.responded_at, Referral.closed_at), scope, since)).all()
    per_month: dict[str, Counter] = defaultdict(Counter)
    to_response, to_close = [], []
    for status, created, requested, responded, closed in rows:
        per_month[aware(created).strftime("%Y-%m")][status] += 1
        if requested is None or status == EXCLUDED:
            continue
        report.requested += 1
        if responded is not None:
            to_response.append(_hours(requested, responded))
        if status in CLOSED:
            report.closed += 1
            if closed is not None:
                to_close.append(_hours(requested, closed))
    if per_month:
        report.months = [
            Month(key, sum(per_month[key].values()),
                  {s: per_month[key][s] for s in STATUSES if per_month[key][s]})
            for key in _months_between(min(per_month), max(per_month))
        ]
    if report.requested:
        report.closure_rate = report.closed / report.requested
    report.responded, report.median_hours_to_response = len(to_response), _median(to_response)
    report.closed_timed, report.median_hours_to_close = len(to_close), _median(to_close)


def _count_rejections_by_need(report: Report, scope: dict, since: date | None,
                              needs: dict[str, str]) -> None:
    rejected = _scoped(select(Referral.need_code, Referral.status_reason,
                              func.count(Referral.id)), scope, since)
    rejected = rejected.where(Referral.status == "rejected")
    report.rejections_by_need = sorted(
        (ReasonCount(code, needs.get(code, code), reason or NO_REASON,
                     reason_label(reason or NO_REASON), n)
         for code, reason, n in db.session.execute(
             rejected.group_by(Referral.need_code, Referral.status_reason))),
        key=lambda r: (r.label, -r.count, r.reason))


def _count_rejections_by_zip(report: Report, scope: dict, since: date | None) -> None:
    # ZIP lives in the client's JSON facts; reading it in SQL is not portable, so count here.
    by_zip: Counter = Counter()
    facts_rows = db.session.execute(
        _scoped(select(Client.facts, Referral.status_reason)
                .join(Client, Client.id == Referral.client_id), scope, since)
        .where(Referral.status == "rejected"))
    for facts, reason in facts_rows:
        zip_code = (facts or {}).get("zip") or NO_ZIP
        by_zip[(str(zip_code), reason or NO_REASON)] += 1
    report.rejections_by_zip = sorted(
        (ReasonCount(z, z or "No ZIP recorded", reason, reason_label(reason), n)
         for (z, reason), n in by_zip.items()),
        key=lambda r: (r.key == NO_ZIP, r.key, -r.count, r.reason))
