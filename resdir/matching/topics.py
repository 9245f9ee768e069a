"""Whether a program says what a need is about (Need.words, data/sdoh_needs.csv).

A need's categories are often broader than the need: Safety and Legal help hold police,
courts and every kind of legal aid, not only help for intimate partner violence. So matching
also looks for the need's own words, most telling first ("domestic violence; battered;
protective order"), and lists first the programs that say one of them. The first phrase is
searched (matcher._need_hits): its relevance, against the best program's, is the fit (a DV
shelter whose every source term says it before a court that mentions its DV division). The
later phrases are read in each candidate: said in its name counts fully, only in its
description MENTIONED of that, and each later phrase counts TOPIC_DECAY times the one
before. (Matching reads programs without their source terms, to stay fast; the search of the
first phrase has them.)
"""

from __future__ import annotations

from functools import lru_cache

from resdir.categorize.classify import words
from resdir.directory.facts import ProgramFacts

TOPIC_DECAY = 0.8
MENTIONED = 0.6


@lru_cache(maxsize=256)
def _phrase(phrase: str) -> tuple[str, ...]:
    return tuple(words(phrase))


def _says(text: str, phrase: tuple[str, ...]) -> bool:
    """Whether the text has the phrase's words in a row (as classify.words reads them)."""
    # Most candidates do not have the words at all: a substring test spares the tokenizing
    # (this runs for every candidate of every need with words, on the matching hot path).
    # (A stem ending in "y" may stand for "-ies" in the text: "utility" for "utilities".)
    lowered = text.lower()
    if not all((word[:-1] if word.endswith("y") else word) in lowered for word in phrase):
        return False
    tokens = words(text)
    size = len(phrase)
    return any(tuple(tokens[i:i + size]) == phrase for i in range(len(tokens) - size + 1))


def fit(program: ProgramFacts, phrases: tuple[str, ...],
        searched: float | None = None) -> tuple[float, str] | None:
    """(how well, the phrase) for the best phrase the program says, or None. `searched`:
    the program's relevance to the first phrase (0-1) when that search found it."""
    named = " ".join(filter(None, (program.name, program.alternate_name)))
    told = program.description or ""
    best = (round(searched, 4), phrases[0]) if searched else None
    for i, phrase in enumerate(phrases[1:], start=1):
        said = _phrase(phrase)
        if not said or (best and best[0] >= TOPIC_DECAY ** i):
            continue  # nothing to find, or it could not beat what was found
        value = (1.0 if _says(named, said) else MENTIONED if _says(told, said) else 0.0)
        value *= TOPIC_DECAY ** i
        if value and (best is None or value > best[0]):
            best = (round(value, 4), phrase)
    return best
