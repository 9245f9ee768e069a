"""Which resdir category a source's taxonomy term means, by the rules of the crosswalk.

The rules ship in data/taxonomy_crosswalk.csv (scheme, match, category, note) and live in
the `category_crosswalk` table once the database is set up, where admins change them
(/categories/crosswalk). A category of `-` means "no category, stop looking": Open
Eligibility's "Care" or AIRS's target populations (`Y`) say nothing about what a program
offers, and their branches decide.

A term is looked up most specific first:

1. its own code: an Ohana id (`101-02-01`) or an Open Eligibility code (`1119`) exactly;
2. its own name (case and spacing ignored): "Emergency Food" is food, not safety;
3. an AIRS/211 LA code by its longest known prefix: `BD-1800.2000` -> `BD-1800` -> `BD` -> `B`;
4. then the same for its parent term in the file (the caller walks up), and at last an Ohana
   id's own ancestors (`101-02-01` -> `101-02` -> `101`) when the file has no taxonomy table.

AIRS/211 LA term names are licensed by 211 LA: the crosswalk ships code prefixes and our
own words only, never their names.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from resdir.basics import ROOT

CROSSWALK_FILE = ROOT / "data" / "taxonomy_crosswalk.csv"
SCHEMES = ("name", "oe-id", "oe-code", "airs")
NONE = "-"
_AIRS = re.compile(r"^[A-Z]{1,2}(?:-\d{4}(?:\.\d{3,4})*(?:-\d{3})?)?(?:\s*\*.*)?$")
_OE_ID = re.compile(r"^1(?:0[1-9]|1[01])(?:-\d{2})*$")
_OE_CODE = re.compile(r"^\d{4,5}$")


@dataclass(frozen=True)
class Rule:
    scheme: str
    match: str
    category: str | None  # None: no category
    note: str = ""


def key(scheme: str, match: str) -> str:
    """The comparable form of a rule's match: names lower-cased with single spaces, codes
    upper-cased without spaces."""
    if scheme == "name":
        return " ".join(match.lower().split())
    return "".join(match.split()).upper()


def read_file(path: Path | None = None) -> list[Rule]:
    """The shipped rules; of two rules for the same (scheme, match) the first counts."""
    out: dict[tuple[str, str], Rule] = {}
    with Path(path or CROSSWALK_FILE).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            scheme = row["scheme"].strip()
            if scheme in SCHEMES:
                category = row["category"].strip()
                rule = Rule(scheme, key(scheme, row["match"]),
                            None if category in ("", NONE) else category,
                            (row.get("note") or "").strip())
                out.setdefault((scheme, rule.match), rule)
    return list(out.values())


class Crosswalk:
    """The rules of one import, indexed for lookups."""

    def __init__(self, rules: list[Rule]):
        self.by = {scheme: {} for scheme in SCHEMES}
        for rule in rules:
            self.by[rule.scheme][rule.match] = rule.category

    def term(self, name: str | None, code: str | None) -> tuple[bool, str | None]:
        """(matched, slug) for one term by its own code or name (steps 1-3 above)."""
        code = "".join((code or "").split()).upper()
        if code:
            for scheme in ("oe-id", "oe-code"):
                if code in self.by[scheme]:
                    return True, self.by[scheme][code]
        name_key = key("name", name or "")
        if name_key and name_key in self.by["name"]:
            return True, self.by["name"][name_key]
        if code and _AIRS.match(code):
            for prefix in airs_prefixes(code):
                if prefix in self.by["airs"]:
                    return True, self.by["airs"][prefix]
        return False, None

    def code_ancestors(self, code: str | None) -> tuple[bool, str | None]:
        """An Ohana id's ancestors' category (`101-02-01` -> `101-02` -> `101`), for ids
        that come without their taxonomy table (step 4)."""
        code = "".join((code or "").split())
        if not _OE_ID.match(code):
            return False, None
        parts = code.split("-")
        for end in range(len(parts) - 1, 0, -1):
            parent = "-".join(parts[:end])
            if parent in self.by["oe-id"]:
                return True, self.by["oe-id"][parent]
        return False, None

    def code_only(self, code: str | None) -> tuple[bool, str | None]:
        """A bare code (no term record): its own rule, else an Ohana id's ancestors."""
        matched, slug = self.term(None, code)
        return (matched, slug) if matched else self.code_ancestors(code)


def airs_prefixes(code: str) -> list[str]:
    """`BD-1800.2000-100` -> [BD-1800.2000-100, BD-1800.2000, BD-1800, BD, B]: longest first."""
    code = code.split("*", maxsplit=1)[0].strip()
    out = [code]
    while True:
        cut = max(code.rfind("."), code.rfind("-"))
        if cut <= 0:
            break
        code = code[:cut]
        out.append(code)
    if len(code) == 2:
        out.append(code[0])
    return out


def looks_like_code(code: str | None) -> bool:
    code = "".join((code or "").split()).upper()
    return bool(_AIRS.match(code) or _OE_ID.match(code) or _OE_CODE.match(code))
