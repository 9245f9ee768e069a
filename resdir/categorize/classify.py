"""Suggest categories from a program's text when its source gives no usable taxonomy term.

A small, transparent model rather than a trained black box: every category has weighted
phrases (data/category_keywords.csv, our own words, written from the category descriptions
and the search synonyms), and a program scores, per category, the phrases found in its name
(x3), keywords (x2), the first sentence of its description (x2: it says what the program
is) and the rest of the description (x1: what happens there), each phrase once per field,
the longest phrase first ("substance abuse" is not also "abuse"). A category's phrases count
in falling order, each REPEAT_DECAY times the one before: a long list of activities
("academic, homework, students, enrichment, arts") adds up to less than its sum and does not
bury the service the lead sentence names ("an after school program"). Negative weights undo false
friends ("animal shelter" is not housing). The seed directory (data/seed_resources.csv, our
own invented data) is only used to check the model in tests. No real dataset is used to build
the phrases: they and their weights were reviewed by hand against bench/categories.py's
confusion tables (general words of social care, e.g. "after school" is child care, "homework"
alone is not a school), and no program's name appears in the file. The few numbers of the
decision (field weights, the second-category rule, the confidence curve) were chosen on half
`a` of the Miami and DC files and checked on half `b` (bench/categories.py --half both).

A program gets its best category (scoring at least MIN_SCORE). Another category is added only
on its own evidence, not for being the runner-up: a phrase of its own weighing at least
STRONG_PHRASE (one phrase that names a service, not a pile of passing mentions: "tutoring",
not "school, homework, literacy"), and a share of the best score that depends on where it is
said: SECOND_SHARE when the name or keywords say it (SECOND_NAME_TOPIC when the name only has
a topic word of it, not a service word: "Eastside Hospital" often names the host of a support
group, not health care it gives), SECOND_LEAD when the lead sentence does
("Free groceries and tutoring every Friday"), SECOND_ALONE when only a later sentence mentions
it (a shelter whose later sentence mentions "counseling" stays housing), and only
SECOND_SERVICE when the name, keywords or lead sentence name a kind of service of it (a
phrase ending in one of SERVICE_WORDS: "a hot meal", "a support group", "mental health
counseling"; or one of the words that name a service on their own, SERVICE_ON_ITS_OWN:
"emergency assistance including food and clothing"; on the Miami file this adds 39 categories
on half `a`, 25 of them right, and 33 on half `b`, 21 right: better than the one in two of a
second category in general). A later sentence that names such a service ("Services also
include a support group and substance abuse treatment") needs SECOND_LISTED: on the Miami file
this adds 45 categories on half `a`, 29 right, and 38 on half `b`, 21 right; on DC 27, 17 right
(DC gives most programs one category, so these add little recall there). On the real files a
second category is right about half the time, a first one about 85%: hence the strict rule,
which keeps the precision above 0.80 (0.818 on DC's held-out half `b`, 0.823 on Miami's;
bench/categories.py).

What is not a service is not read: the place a group meets ("Group meets at Baptist
Hospital", `_PLACE`), the list of settings a service reaches ("therapy in various settings:
homes, shelters, schools", `_SETTINGS`), and sentences about what a program asks of others or
lets out ("Volunteers are needed", "accepts donations", "we rent out our hall",
`_NOT_OFFERED`).
Illness, condition and situation words (cancer, diabetes, disease, dementia, mental illness,
autism, trafficking, survivor) weigh little: they say who a program is for; the service words
decide ("support group", "screening", "domestic violence hotline"). A field of law ("family
law", "public benefits law", "consumer law") is legal help: what the cases are about is not a
second service. "Counseling" alone is mental health
counseling, unless the program names another kind ("credit counseling", "foreclosure
counseling"): then its bare "counseling" and "counselors" are that kind (`_other_counseling`).

The confidence is a calibrated probability that the best category is right (`_calibrated`:
its share of all the positive scores and the size of its score): a program named "Food
Pantry" is sure, a description that mentions "children" once beside other topics is not.
Suggestions below REVIEW_BELOW go to the admin queue.

A program whose own words name no topic ("Family & Community", no description) is read
through its organization's name and description (`for_program`): the Capital Area Food Bank's
"Farms and Gardening" is probably food. That guess is the organization's, not the program's,
so its confidence is halved and it always goes to the review queue.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from resdir.basics import ROOT

KEYWORDS_FILE = ROOT / "data" / "category_keywords.csv"
# The first sentence of a description says what a program is ("provides an after-school
# program"); the later ones list what happens there ("homework help, literacy, field trips").
# Weighting the lead sentence above the rest was chosen on one half of the Miami and DC files
# (bench/categories.py --half a) and held on the other half (README, category benchmark).
FIELD_WEIGHTS = {"name": 3.0, "keywords": 2.0, "lead": 2.0, "description": 1.0}
REPEAT_DECAY = 0.85   # each further phrase of a category counts this much of the one before
MIN_SCORE = 1.0       # one weak word is enough for a (low-confidence, reviewed) guess
SECOND_SHARE = 0.5    # another category needs this share of the best score (name, keywords)
SECOND_ALONE = 0.9    # ... or this share when only a later sentence of the description does
SECOND_LEAD = 0.75    # ... or this share when the lead sentence names it (not the name)
STRONG_PHRASE = 3.0   # ... and a phrase of its own of at least this weight (not only mentions)
REVIEW_BELOW = 0.75   # a guess less likely than 3 in 4 to be right waits for an admin
CONFIDENCE_BIAS, CONFIDENCE_SHARE, CONFIDENCE_SCORE = -2.5, 1.7, 1.2  # see _calibrated
SECOND_SERVICE = 0.3  # ... or this share when the name or lead sentence names a kind of service
SECOND_LISTED = 0.35  # ... or this share when a later sentence names one ("Services include ...")
# A name often says who runs a program or where ("Eastside Hospital", "County Transit", "Brave
# Health"), not what it gives: a topic word of the name, not a service word ("Housing and
# Counseling"), needs this share. On half `a` of the Miami and DC files the seconds it drops
# (0.5 to 0.65 of the best score) were right 5 times of 13; on half `b` it took DC's precision
# from 0.803 to 0.813 and Miami's from 0.820 to 0.823 (recall -0.002 on each).
SECOND_NAME_TOPIC = 0.65
# The share of the best score another category needs, by the most telling field naming it.
_NEEDED = {"name": SECOND_SHARE, "keywords": SECOND_SHARE, "lead": SECOND_LEAD,
           "description": SECOND_ALONE, "service": SECOND_SERVICE, "listed": SECOND_LISTED,
           "name topic": SECOND_NAME_TOPIC}
# A phrase ending in one of these words names a kind of service, not a topic: "support
# group", "parenting classes", "substance abuse treatment", "crisis intervention", "hot
# meal", "job training", "emergency food", "emergency shelter", "bus pass" (stemmed as
# `words` does). Said where a program is defined (its name,
# keywords or lead sentence) it is a service the program gives, beside its first category.
SERVICE_WORDS = frozenset(("group", "class", "classe", "treatment", "counseling", "therapy",
                           "intervention", "preparation", "meal", "training", "workshop",
                           "food", "pantry", "kitchen", "distribution", "voucher", "shelter",
                           "pass", "clothing", "assistance", "service"))
# These words name a service on their own, not only as the end of a phrase: "Provides
# emergency assistance including food and clothing", "offers shelter and case management".
SERVICE_ON_ITS_OWN = frozenset(("food", "shelter", "clothing"))
_WORD = re.compile(r"[a-z0-9]+")
# A sentence ends at . ! ? before a space, or at a line break (a real one or an export's
# literal backslash-n).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n|\\n")
# Where a program meets or sits names a place, not a service: "Group meets at Baptist
# Hospital, 3 North Conference Room" is a support group, not health care. The words from such
# a cue to the end of its clause are not read.
_PLACE = re.compile(r"\b(?:meets?|meetings?|held|located|takes? place|hosted)\s+(?:at|in|on|inside)"
                    r"\b[^.,;:\n*()]*", re.IGNORECASE)
# A list of the settings a service reaches is a list of places, not of services: "therapy in
# various settings: homes, shelters, schools, detention centers" is counseling, not housing,
# education or legal help. Read up to the end of the sentence.
_SETTINGS = re.compile(r"\b(?:in|at|across|to)\s+(?:a\s+)?(?:variety\s+of\s+|various\s+|many\s+|"
                       r"several\s+|different\s+|multiple\s+|the\s+following\s+)?(?:settings|"
                       r"locations|sites|places)\s*(?:such\s+as|including|like|:)[^.!?\n]*",
                       re.IGNORECASE)
# A sentence about what a program asks for or lets out is not a service it gives: "Volunteers
# are needed at our food pantry", "accepts diaper donations", "we rent out our hall".
_NOT_OFFERED = re.compile(
    r"\bvolunteers? (?:are |is )?(?:needed|wanted|welcome)"
    r"|\b(?:seeking|recruits?|recruiting|needs?) volunteers"
    r"|\b(?:accepts?|accepting|welcomes?|collects?|collecting) [\w\s,&-]{0,40}donations"
    r"|\bdonations? (?:of|are|is) [\w\s,&-]{0,40}(?:accepted|welcome|needed)"
    r"|\bto donate\b|\brents? out\b|\b(?:hall|room|space)s? (?:is |are )?(?:available )?for rent",
    re.IGNORECASE)


def _stem(word: str) -> str:
    """Plural and possessive endings off, nothing cleverer: 'meals' -> 'meal', 'riding'
    stays 'riding' (a ride is not riding lessons)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str | None) -> list[str]:
    return [_stem(w) for w in _WORD.findall((text or "").lower().replace("'s", ""))]


def lead_and_rest(description: str | None) -> tuple[str, str]:
    """A description's first sentence and the rest, without what only names a place (`_PLACE`)
    and without sentences about what the program asks of others (`_NOT_OFFERED`)."""
    parts = [p for p in _SENTENCE_END.split(
        _SETTINGS.sub(" ~ ", _PLACE.sub(" ~ ", description or "")))
             if p.strip() and not _NOT_OFFERED.search(p)]
    return (parts[0], " ".join(parts[1:])) if parts else ("", "")


@dataclass(frozen=True)
class Suggestion:
    categories: tuple[str, ...]
    confidence: float
    evidence: tuple[str, ...]  # the phrases that decided the best category
    scores: dict

    @property
    def uncertain(self) -> bool:
        return self.confidence < REVIEW_BELOW


@lru_cache(maxsize=4)
def _phrases(path: Path = KEYWORDS_FILE) -> dict[tuple[str, ...], list[tuple[str, float]]]:
    """phrase (stemmed words) -> [(category, weight)]. Two rows that stem to the same phrase
    ("meal" and "meals") for the same category count once, with the larger weight."""
    out: dict[tuple[str, ...], dict[str, float]] = {}
    with Path(path).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = tuple(words(row["phrase"]))
            if key:
                weights = out.setdefault(key, {})
                category, weight = row["category"].strip(), float(row["weight"])
                old = weights.get(category)
                weights[category] = weight if old is None else max(old, weight, key=abs)
    return {key: list(weights.items()) for key, weights in out.items()}


def _grams(tokens: list[str], phrases: dict, longest: int) -> set[tuple[str, ...]]:
    """The phrases found in tokens, longest first: the words of a phrase found are not read
    again as shorter phrases ("substance abuse" is not also "abuse", "nutrition education"
    not also "education")."""
    found: set[tuple[str, ...]] = set()
    i = 0
    while i < len(tokens):
        for n in range(min(longest, len(tokens) - i), 0, -1):
            gram = tuple(tokens[i:i + n])
            if gram in phrases:
                found.add(gram)
                i += n
                break
        else:
            i += 1
    return found


def _calibrated(share: float, best: float) -> float:
    """How likely the best category is right: a logistic curve over its share of the positive
    scores and the log of its score. The three numbers were fitted on half `a` of the Miami
    and DC files; on Miami's half `b` the programs given 0.6-0.75 were right 71% of the time,
    0.75-0.9 87%, 0.9 and up 95% (bench/categories.py --half both --calibration)."""
    return 1.0 / (1.0 + math.exp(-(CONFIDENCE_BIAS + CONFIDENCE_SHARE * share
                                   + CONFIDENCE_SCORE * math.log(best))))


# "Counseling" alone is mental health counseling, unless the program names another kind: a
# program offering "credit counseling" or "foreclosure counseling" means that one by its later
# "confidential counseling sessions" and "our counselors".
_BARE_COUNSELING = {("counseling",), ("counselor",)}


def _other_counseling(grams) -> bool:
    """Whether the phrases found name a counseling of another category than mental health."""
    phrases = _phrases()
    return any(len(gram) > 1 and gram[-1] in ("counseling", "counselor")
               and any(c != "mental-health" and w > 0 for c, w in phrases[gram])
               for gram in grams)


def suggest(name: str | None, description: str | None = None,
            keywords: str | None = None) -> Suggestion:
    phrases = _phrases()
    longest = max(len(k) for k in phrases)
    scores: dict[str, float] = {}
    why: dict[str, list[str]] = {}
    said: dict[str, str] = {}  # category -> the most telling field naming it (see _NEEDED)
    strongest: dict[str, float] = {}  # category -> its heaviest phrase's weight
    found: dict[str, list[float]] = {}
    lead, rest = lead_and_rest(description)
    fields = [(field, _grams(words(text), phrases, longest))
              for field, text in (("name", name), ("keywords", keywords), ("lead", lead),
                                  ("description", rest))]
    other_counseling = _other_counseling(gram for _field, grams in fields for gram in grams)
    for field, grams in fields:
        for gram in grams:
            for category, weight in phrases[gram]:
                if gram in _BARE_COUNSELING and other_counseling:
                    continue
                found.setdefault(category, []).append(weight * FIELD_WEIGHTS[field])
                if weight > 0:
                    why.setdefault(category, []).append(" ".join(gram))
                    strongest[category] = max(strongest.get(category, 0.0), weight)
                    level = field
                    if field == "name" and gram[-1] not in SERVICE_WORDS:
                        level = "name topic"
                    if gram[-1] in SERVICE_WORDS and weight >= STRONG_PHRASE:
                        if field != "description" and (len(gram) > 1
                                                       or gram[0] in SERVICE_ON_ITS_OWN):
                            level = "service"
                        elif field == "description" and len(gram) > 1:
                            level = "listed"
                    if _NEEDED[level] < _NEEDED[said.get(category, "description")]:
                        said[category] = level
                    said.setdefault(category, level)
    for category, values in found.items():
        ordered = sorted(values, reverse=True)
        scores[category] = sum(v * REPEAT_DECAY ** i if v > 0 else v
                               for i, v in enumerate(ordered))
    positive = {c: s for c, s in scores.items() if s >= MIN_SCORE}
    if not positive:
        return Suggestion((), 0.0, (), scores)
    ranked = sorted(positive, key=lambda c: (-positive[c], c))
    best = positive[ranked[0]]
    chosen = tuple(c for c in ranked if c == ranked[0]
                   or positive[c] >= _NEEDED[said.get(c, "description")] * best
                   and strongest.get(c, 0.0) >= STRONG_PHRASE)[:3]
    share = best / sum(positive.values())
    confidence = round(_calibrated(share, best), 3)
    evidence = tuple(dict.fromkeys(why.get(ranked[0], [])))[:5]
    return Suggestion(chosen, confidence, evidence, scores)


def for_program(name: str | None, description: str | None = None, keywords: str | None = None,
                organization: tuple[str | None, str | None] = (None, None)) -> Suggestion:
    """The program's own text first; when it names no topic, its organization's (name and
    description, read as one description), flagged uncertain (see the module's docstring)."""
    own = suggest(name, description, keywords)
    org_name, org_description = organization
    if own.categories or not (org_name or org_description):
        return own
    guess = suggest(None, " ".join(filter(None, (org_name, org_description))))
    if not guess.categories:
        return own
    return Suggestion(guess.categories, round(min(guess.confidence, REVIEW_BELOW) / 2, 3),
                      (f"organization: {', '.join(guess.evidence)}",), guess.scores)
