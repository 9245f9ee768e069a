"""Which of resdir's categories an imported taxonomy term means.

A term is matched by its name, most specific first: the term itself, then its parent, up
to the top of its tree. Names come from three places:

- data/categories.csv's `open_eligibility` column (e.g. "1119 Help Pay for Utilities" ->
  utilities); its numeric Open Eligibility ids match too;
- the Open Eligibility services tree, top level: Emergency -> safety, Food -> food,
  Housing -> housing, Goods -> financial (resdir has no "material goods" category; material
  hardship is financial in data/sdoh_needs.csv), Transit -> transportation, Health ->
  health, Money -> financial, Care -> none (its branches decide: Daytime Care and Childcare
  -> childcare, Support Network and Counseling -> mental-health, Residential Care and Adult
  Daycare -> health), Education -> education, Work -> employment, Legal -> legal; plus the
  second-level branches that belong elsewhere (Help Pay for Utilities -> utilities,
  Emergency Food -> food, Emergency Shelter -> housing, Addiction & Recovery -> mental-health,
  ...); Ohana's ids such as `101-02` are read by their top-level number (101 Emergency ...
  111 Legal) when the file has no taxonomy table;
- Ohana's keyword headings (HEALTH SERVICES, COMMODITY SERVICES, ...).

Terms of an eligibility ("Human Situations") vocabulary say who a program is for, not what
it offers: they are kept as attributes but give no category.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache

TOP = {"emergency": "safety", "food": "food", "housing": "housing", "goods": "financial",
       "transit": "transportation", "health": "health", "money": "financial", "care": None,
       "education": "education", "work": "employment", "legal": "legal"}
OHANA_TOP = {"101": "emergency", "102": "food", "103": "housing", "104": "goods",
             "105": "transit", "106": "health", "107": "money", "108": "care",
             "109": "education", "110": "work", "111": "legal"}
SPECIFIC = {
    # Open Eligibility branches whose category differs from their top level
    "help pay for utilities": "utilities", "utilities": "utilities",
    "emergency food": "food", "help pay for food": "food", "food benefits": "food",
    "emergency shelter": "housing", "help pay for housing": "housing",
    "help find housing": "housing", "safe housing": "safety", "help escape violence": "safety",
    "immediate safety": "safety", "disaster response": "safety",
    "emergency cash": "financial", "help pay for healthcare": "health",
    "help pay for school": "education", "help pay for transit": "transportation",
    "transportation": "transportation", "bus passes": "transportation",
    "help pay for childcare": "childcare", "help find childcare": "childcare",
    "childcare": "childcare", "daytime care": "childcare", "afterschool care": "childcare",
    "preschool": "childcare", "day camp": "childcare", "adoption & foster care": "childcare",
    "adult daycare": "health", "residential care": "health", "end-of-life care": "health",
    "support network": "mental-health", "counseling": "mental-health",
    "support groups": "mental-health", "peer support": "mental-health",
    "help hotlines": "mental-health", "addiction & recovery": "mental-health",
    "psychiatric emergency services": "mental-health", "mental health care": "mental-health",
    "understand mental health": "mental-health", "mental health evaluation": "mental-health",
    "help find work": "employment", "help find school": "education",
    "help pay for work expenses": "employment", "workplace rights": "legal",
    "financial education": "financial", "tax preparation": "financial",
    "government benefits": "financial", "health insurance": "health",
    # Ohana keyword headings and frequent keywords
    "alcoholism services": "mental-health", "drug abuse services": "mental-health",
    "mental health services": "mental-health", "child protection and care services":
    "childcare", "commodity services": "financial", "education services": "education",
    "emergency services": "safety", "employment/training services": "employment",
    "financial assistance services": "financial", "health services": "health",
    "legal and criminal justice services": "legal", "food pantries": "food",
    "home delivered meals": "food", "brown bag food programs": "food",
    "congregate meals/nutrition sites": "food", "food boxes/food vouchers": "food",
    "meal sites/home-delivered meals": "food", "homeless shelter": "housing",
    "shelter/refuge": "housing", "rental deposit assistance": "housing",
    "utility assistance": "utilities", "utility service payment assistance": "utilities",
    "domestic violence": "safety", "day care": "childcare", "job training": "employment",
    "community clinics": "health", "individual/group counseling": "mental-health",
}
_OHANA_CODE = re.compile(r"^(1(?:0[1-9]|1[01]))(?:-\d{2})*$")


@lru_cache(maxsize=1)
def _names_and_codes() -> tuple[dict[str, str | None], dict[str, str]]:
    from resdir.directory.operations import CATEGORIES_FILE

    names: dict[str, str | None] = dict(TOP)
    codes: dict[str, str] = {}
    with CATEGORIES_FILE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for item in (row["open_eligibility"] or "").split(";"):
                code, _, name = item.strip().partition(" ")
                if code.isdigit() and name:
                    codes.setdefault(code, row["slug"])
                    names.setdefault(name.strip().lower(), row["slug"])
    names.update(SPECIFIC)
    return names, codes


def category_of(name: str, code: str | None = None) -> tuple[bool, str | None]:
    """(matched, slug) for one term by its own name or code; slug None means "no category,
    and stop looking" (e.g. Open Eligibility's Care)."""
    names, codes = _names_and_codes()
    key = " ".join(name.lower().split())
    if key in names:
        return True, names[key]
    if code and code in codes:
        return True, codes[code]
    return False, None


def ohana_code_category(code: str) -> str | None:
    """The category of an Ohana Open Eligibility id (`101-02-01`) by its top level."""
    match = _OHANA_CODE.match(code or "")
    return TOP.get(OHANA_TOP[match.group(1)]) if match else None


def situational(taxonomy_name: str | None) -> bool:
    return bool(taxonomy_name) and "situation" in taxonomy_name.lower()
