"""Categories of an import's programs: from the source's taxonomy (taxonomy.attach), then
from the text of those still without one (resdir.categorize.classify), with an admin's
decisions on earlier suggestions kept (resdir.categorize.review). The report says how many
came from where."""

from __future__ import annotations

from resdir.categorize import classify, review
from resdir.interop.hsds_import.plan import Plan
from resdir.interop.hsds_import.report import ImportReport
from resdir.interop.hsds_import.store import service_ids

# Programs search and matching never show (the default search is active programs; a
# temporarily closed one stays listed): coverage that counts for coordinators leaves them out.
UNLISTED = ("inactive", "defunct")


def fill(plan: Plan, report: ImportReport, found: dict) -> None:
    """Categorize the plan's programs that the taxonomy left without a category, keep
    admins' decisions, and report coverage. `found`: source key -> existing Service."""
    total = len(plan.services)
    if not total:
        return
    from_terms = sum(1 for s in plan.services.values() if s.categories)
    decided = review.decisions([s.id for s in found.values()])
    kept = guessed = unsure = 0
    plan.suggestions = {}
    for key, item in plan.services.items():
        existing = found.get(plan.key("service", key))
        if existing is not None and existing.id in decided:
            item.categories, item.category_source = list(decided[existing.id]), "review"
            item.category_types = {}
            kept += 1
            continue
        if item.categories:
            continue
        org = plan.orgs.get(item.org_id)
        guess = classify.for_program(
            " ".join(filter(None, (item.values.get("name"), item.values.get("alternate_name")))),
            item.values.get("description"), item.rec.get("keywords"),
            (org.values.get("name"), org.values.get("description")) if org else (None, None))
        if not guess.categories:
            continue
        item.categories, item.category_source = list(guess.categories), "text"
        guessed += 1
        if guess.uncertain:
            plan.suggestions[key] = guess
            unsure += 1
    left = total - sum(1 for s in plan.services.values() if s.categories)
    listed = [s for s in plan.services.values() if s.values.get("status") not in UNLISTED]
    report.note("-", None, "categories", f"{from_terms:,} of {total:,} programs categorized "
                f"from taxonomy terms; {total - from_terms:,} without a known term")
    report.note("-", None, "categories", f"{guessed:,} programs categorized from their text "
                f"({unsure:,} uncertain, queued for review at /categories/review); "
                f"{kept:,} kept as an admin decided; {left:,} without a category")
    if len(listed) < total:
        have = sum(1 for s in listed if s.categories)
        report.note("-", None, "categories", f"{have:,} of {len(listed):,} listed programs "
                    f"have a category ({total - len(listed):,} inactive or defunct not counted)")


def queue(plan: Plan) -> None:
    """After the programs are written: put the uncertain guesses in the review queue."""
    suggestions = plan.suggestions
    if not suggestions:
        return
    ids = service_ids(plan, suggestions)
    review.queue([(ids[k], list(g.categories), g.confidence, ", ".join(g.evidence))
                  for k, g in suggestions.items() if k in ids])
