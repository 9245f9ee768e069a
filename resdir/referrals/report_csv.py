"""The referrals report (reports.py) as one CSV, every cell safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

from resdir.audit.operations import safe_cell
from resdir.referrals.reports import STATUS_LABELS, Report

CSV_COLUMNS = ("section", "key", "label", "subkey", "sublabel", "value")


def to_csv(report: Report) -> str:
    """The whole report as one CSV: `section, key, label, subkey, sublabel, value`.

    Sections: `summary` (totals, rate as a fraction, medians in hours), `status`, `need`,
    `agency`, `month`, `month_status`, `rejections_by_need`, `rejections_by_zip`. Every cell
    goes through safe_cell, so names a spreadsheet would run as formulas come out quoted.
    """
    rows: list[tuple] = [CSV_COLUMNS]

    def rate(value: float | None) -> str:
        return "" if value is None else f"{value:.4f}"

    def hours(value: float | None) -> str:
        return "" if value is None else f"{value:.1f}"

    rows += [
        ("summary", "since", "Created on or after", "", "",
         report.since.isoformat() if report.since else ""),
        ("summary", "total", "Referrals", "", "", report.total),
        ("summary", "requested", "Requested (left draft, not entered in error)", "", "",
         report.requested),
        ("summary", "closed", "Closed (completed, rejected, cancelled or failed)", "", "",
         report.closed),
        ("summary", "closure_rate", "Loop-closure rate (closed / requested)", "", "",
         rate(report.closure_rate)),
        ("summary", "responded", "Referrals accepted or rejected", "", "", report.responded),
        ("summary", "median_hours_to_response",
         "Median hours from request to accept or reject", "", "",
         hours(report.median_hours_to_response)),
        ("summary", "closed_timed", "Closed referrals with a closing time", "", "",
         report.closed_timed),
        ("summary", "median_hours_to_close", "Median hours from request to close", "", "",
         hours(report.median_hours_to_close)),
    ]
    for section, counts in (("status", report.by_status), ("need", report.by_need),
                            ("agency", report.by_agency), ("month", report.by_month)):
        rows += [(section, c.key, c.label, "", "", c.count) for c in counts]
    for m in report.months:
        rows += [("month_status", m.month, m.month, s, STATUS_LABELS.get(s, s), n)
                 for s, n in m.by_status.items()]
    for section, reasons in (("rejections_by_need", report.rejections_by_need),
                             ("rejections_by_zip", report.rejections_by_zip)):
        rows += [(section, r.key, r.label, r.reason, r.reason_label, r.count) for r in reasons]

    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
