"""Explainable eligibility: a program's structured rules, one by one, against a client's facts.

`evaluate` reads a program's ProgramFacts (resdir.directory.facts_query.load_facts): plain
values, so it runs no queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from resdir.directory.facts import AreaFacts, ProgramFacts
from resdir.directory.present import INSURANCE_NAMES, area_text, language_name
from resdir.matching.areas import FAIL, PASS, UNKNOWN, area_check
from resdir.matching.facts import ClientFacts
from resdir.matching.poverty import PovertyResult, percent_text

PovertyFn = Callable[[float, int, str | None, date], PovertyResult]
RULE_LABELS = {"household_size": "household size"}
GENDER_GROUPS = {"female": "women", "male": "men"}
CLIENT_GENDERS = {"female": "Woman", "male": "Man", "nonbinary": "Nonbinary",
                  "other": "Gender other than woman or man"}


@dataclass(frozen=True)
class Rule:
    rule: str
    result: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "result": self.result, "detail": self.detail}


@dataclass(frozen=True)
class Verdict:
    """`eligible`, `likely`, `ineligible` or `unknown` (no structured rules: see description)."""

    status: str
    rules: tuple[Rule, ...]
    description: str | None = None

    @property
    def unknown(self) -> list[str]:
        return [r.rule for r in self.rules if r.result == UNKNOWN]

    @property
    def failed(self) -> list[str]:
        return [r.rule for r in self.rules if r.result == FAIL]

    @property
    def summary(self) -> str:
        """One line for a chip: "May be eligible (unknown: income, residency)"."""
        def names(rules: list[str]) -> str:
            return ", ".join(RULE_LABELS.get(r, r) for r in rules)

        if self.status == "eligible":
            return "Eligible"
        if self.status == "likely":
            return f"May be eligible (unknown: {names(self.unknown)})"
        if self.status == "ineligible":
            return f"Not eligible ({names(self.failed)})"
        return "Eligibility not known: read the program's eligibility text"

    def as_dict(self) -> dict:
        out: dict = {"status": self.status, "rules": [r.as_dict() for r in self.rules]}
        if self.status == "unknown":
            out["description"] = self.description
        return out


def evaluate(
    service: ProgramFacts, facts: ClientFacts, poverty_fn: PovertyFn, today: date
) -> Verdict:
    """Check each structured rule of the program; an unknown fact never passes a rule."""
    rules = [_age(service.minimum_age, service.maximum_age, facts.age_on(today))]
    e = service.eligibility
    if e is not None:
        rules += [
            _income(e.income_limit_fpl, facts, poverty_fn, today),
            _household(e.household_size_min, e.household_size_max, facts.household_size),
            _required("veteran", e.veteran_required, facts.veteran, "Veteran", "Not a veteran",
                      "Veteran status not given", "veterans"),
            _insurance(e.insurance, facts.insurance),
            _gender(e.gender, facts.gender),
            _required("pregnancy", e.pregnancy_required, facts.pregnant, "Pregnant",
                      "Not pregnant", "Pregnancy not given", "pregnant people"),
            _required("disability", e.disability_required, facts.disability,
                      "Has a disability", "No disability", "Disability not given",
                      "people with a disability"),
            _language(e.languages, facts.languages),
            _residency(service.service_areas, facts) if e.residency_required else None,
        ]
    found = tuple(r for r in rules if r is not None)
    if not found:
        return Verdict("unknown", (), service.eligibility_description)
    results = {r.result for r in found}
    status = ("ineligible" if FAIL in results else "likely" if UNKNOWN in results
              else "eligible")
    return Verdict(status, found)


def _or_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _age(low: int | None, high: int | None, age: int | None) -> Rule | None:
    low = low or None  # a minimum of 0 limits nobody
    if low is None and high is None:
        return None
    if low is not None and high is not None:
        need = f"ages {low} to {high}"
    else:
        need = f"{low} or older" if low is not None else f"{high} or younger"
    if age is None:
        return Rule("age", UNKNOWN, f"Age not given; program is for {need}")
    ok = (low is None or age >= low) and (high is None or age <= high)
    return Rule("age", PASS if ok else FAIL, f"Age {age} {'meets' if ok else 'does not meet'} "
                f"{need}")


def _income(limit: int | None, facts: ClientFacts, poverty_fn: PovertyFn,
            today: date) -> Rule | None:
    if not limit:
        return None
    income, size = facts.annual_income, facts.household_size
    if income is None:
        return Rule("income", UNKNOWN, f"Household income not given; the limit is {limit}% "
                    f"of the poverty guideline")
    # Guidelines grow with household size and are lowest in the contiguous states, so a
    # client within the limit for one person in the contiguous states is within it anywhere.
    states = (facts.state,) if facts.state else (None, "AK", "HI")
    found = [poverty_fn(income, size or 1, state, today) for state in states]
    worst = max(found, key=lambda r: r.exact_percent)
    best = min(found, key=lambda r: r.exact_percent)
    any_of = [w for w, missing in (("household size", size is None),
                                   ("state", not facts.state)) if missing]
    note = f". {worst.note}" if worst.note and facts.state else ""
    if worst.exact_percent <= limit:
        text = f"Income {percent_text(worst.exact_percent, limit)} of poverty guideline is " \
               f"at or below the {limit}% limit"
        if any_of:
            text = f"Income is at or below the {limit}% limit for any {' and '.join(any_of)}"
        return Rule("income", PASS, text + note)
    if size is None:
        return Rule("income", UNKNOWN, "Household size not given; needed for the income limit")
    if best.exact_percent > limit:
        where = " in any state" if not facts.state else ""
        return Rule("income", FAIL, f"Income {percent_text(best.exact_percent, limit)} of "
                    f"poverty guideline is above the {limit}% limit{where}{note}")
    return Rule("income", UNKNOWN, f"State not given; income is {best.percent}% to "
                f"{worst.percent}% of poverty guideline depending on the state (limit {limit}%)")


def _household(low: int | None, high: int | None, size: int | None) -> Rule | None:
    if not low and not high:
        return None
    if low and high:
        need = f"households of {low} to {high} people"
    else:
        need = (f"households of {low} or more" if low else
                f"households of up to {high} {'person' if high == 1 else 'people'}")
    if size is None:
        return Rule("household_size", UNKNOWN, f"Household size not given; program is for {need}")
    ok = (not low or size >= low) and (not high or size <= high)
    return Rule("household_size", PASS if ok else FAIL,
                f"Household of {size} {'meets' if ok else 'does not meet'} {need}")


def _required(name: str, required: bool, value: bool | None, yes: str, no: str,
              missing: str, group: str) -> Rule | None:
    if not required:
        return None
    if value is None:
        return Rule(name, UNKNOWN, f"{missing}; program is for {group}")
    return Rule(name, PASS if value else FAIL, f"{yes if value else no}; program is for {group}")


def _insurance(accepted: str | None, insurance: str | None) -> Rule | None:
    if not accepted:
        return None
    codes = accepted.split(";")
    takes = "program takes " + _or_list([INSURANCE_NAMES.get(c, c) for c in codes])
    if insurance is None:
        return Rule("insurance", UNKNOWN, f"Insurance not given; {takes}")
    has = f"Has {INSURANCE_NAMES.get(insurance, insurance)}"
    return Rule("insurance", PASS if insurance in codes else FAIL, f"{has}; {takes}")


def _gender(wanted: str | None, gender: str | None) -> Rule | None:
    if not wanted:
        return None
    group = f"program is for {GENDER_GROUPS.get(wanted, wanted)}"
    if gender is None:
        return Rule("gender", UNKNOWN, f"Gender not given; {group}")
    who = CLIENT_GENDERS.get(gender, gender)
    if gender == wanted:
        return Rule("gender", PASS, f"{who}; {group}")
    if gender in GENDER_GROUPS and wanted in GENDER_GROUPS:
        return Rule("gender", FAIL, f"{who}; {group}")
    return Rule("gender", UNKNOWN, f"{who}; {group}: ask the program")


def _language(wanted: str | None, spoken: tuple[str, ...] | None) -> Rule | None:
    if not wanted:
        return None
    codes = wanted.split(";")
    group = "program is for speakers of " + _or_list([language_name(c) for c in codes])
    if not spoken:
        return Rule("language", UNKNOWN, f"Languages not given; {group}")
    shared = [c for c in spoken if c in codes]
    says = _or_list([language_name(c) for c in shared or spoken])
    return Rule("language", PASS if shared else FAIL, f"Speaks {says}; {group}")


def _residency(areas: tuple[AreaFacts, ...], facts: ClientFacts) -> Rule:
    if not areas:
        return Rule("residency", UNKNOWN,
                    "Serves residents of an area that is not mapped; check with the program")
    if facts.zip is None and facts.point is None:
        served = "; ".join(area_text(a) if a.kind != "radius" or a.radius_mi else
                           a.name or "nearby residents" for a in areas)
        return Rule("residency", UNKNOWN, f"ZIP or address not given; program serves: {served}")
    who = "The address" if facts.point_source == "address" else f"ZIP {facts.zip} (center)"
    outcomes = []
    for area in areas:
        result, detail = area_check(area, facts, who)
        if result == PASS:
            return Rule("residency", PASS, detail)
        outcomes.append((result, detail))
    # Unknowns first: they say what to find out; the failed areas follow.
    ordered = sorted(outcomes, key=lambda o: o[0] != UNKNOWN)
    details = "; ".join(dict.fromkeys(d for _, d in ordered))
    if any(r == UNKNOWN for r, _ in outcomes):
        return Rule("residency", UNKNOWN, details)
    return Rule("residency", FAIL, f"Outside the area served: {details}")
