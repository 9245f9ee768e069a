"""Do a need's matches say what the need is about? Nearest first against need words.

Imports 211 Miami (AIRS-coded) with resdir's importer (bench/relevance.py's loader), then for
each need that has `words` in data/sdoh_needs.csv matches a client at a Miami ZIP (no other
facts, no coordinator words) twice: as before those words existed (the nearest programs of
the need's categories, `nearest`) and as now (`need words`). A result is judged relevant
when one of the source's own AIRS term names, which resdir's phrases never read, matches
the need's regular expression below (written from the AIRS term names of the file, for
this judgement only). Prints, per need, how many programs of either top 10 are judged
relevant (`judged in lists`) and the P@10 of both, and the means.
The ranking counts "open now", so figures move a little with the time of day of the run.

    python bench/match_needs.py [--zip 33125] [--workdir DIR] [--reuse]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
import tempfile
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import relevance  # noqa: E402  (bench/relevance.py: the dataset loader)

# Need -> what AIRS calls that kind of help (term names, case ignored).
JUDGE = {
    "housing-instability": r"rent|eviction|mortgage|foreclosure|landlord|tenant|housing",
    "homelessness": r"homeless|shelter|transitional housing|drop-in",
    "inadequate-housing": r"home (repair|maintenance|rehabilitation)|weatherization|"
                          r"landlord|tenant|housing code",
    "material-hardship": r"clothing|furniture|household goods|emergency financial|"
                         r"personal/grooming|diapers|food pantr|utility service payment",
    "veteran-status": r"veteran|military",
    "social-connection": r"support groups?|peer support|companionship|friendly visiting|"
                         r"social (clubs|activities)|senior centers",
    "intimate-partner-violence": r"domestic|spouse|intimate partner|battered|protective/"
                                 r"restraining",
    "elder-abuse": r"elder|older adult.*abuse|adult protective|dependent adult",
    "personal-health-literacy": r"health education|health literacy|nutrition education|"
                                r"disease/disability information|wellness",
    "health-insurance-coverage-status": r"health insurance|medicaid|medicare|insurance "
                                        r"information|children's health insurance",
    "medical-cost-burden": r"sliding fee|community clinics|prescription expense|"
                           r"medical care expense|free",
    "digital-literacy": r"computer",
    "digital-access": r"internet|computer|telephone|cell phones",
    "utility-insecurity": r"utilit|electric|energy|water service|gas service",
    "incarceration-status": r"ex-offender|reentry|expungement|inmate|correctional|probation"
                            r"|diversion",
    "language-access": r"english as a second|esl|interpret|translation|immigrant|"
                       r"naturalization|citizenship",
}
K = 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", default="33125")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="resdir-match-needs-"))
    load_before = os.getloadavg()
    app, _seconds = relevance.load("miami", relevance.default_external()
                                   / relevance.DATASETS["miami"], workdir, reuse=args.reuse)
    from resdir.directory.facts_query import load_facts
    from resdir.geo import lookup_zip
    from resdir.matching import matcher
    from resdir.matching.facts import ClientFacts
    from resdir.matching.needs import load_needs

    place = lookup_zip(args.zip)
    client = ClientFacts(as_of=date.today(), zip=args.zip,
                         point=(place.latitude, place.longitude))
    needs = load_needs()
    plain = {code: dataclasses.replace(need, words=()) for code, need in needs.items()}
    print(f"211 Miami, client at {args.zip}, no other facts, no coordinator words; "
          f"top {K} of each need; load {load_before[0]:.1f}")
    print(f"{'need':<34} {'judged in lists':>15} {'nearest P@10':>12} {'need words P@10':>15}")
    means = [[], []]
    with app.app_context():
        for code, need in needs.items():
            if not need.words or code not in JUDGE:
                continue
            pattern = re.compile(JUDGE[code], re.IGNORECASE)
            scores, judged = [], set()
            for table in (plain, needs):
                # The matcher reads the needs through its module's load_needs.
                matcher.load_needs = lambda table=table: table
                try:
                    entry = matcher.match(None, client, [(code, "selected")])["needs"][0]
                finally:
                    matcher.load_needs = load_needs
                top = [r["service_id"] for r in entry["results"][:K]]
                programs = load_facts(set(top))
                relevant = {pid for pid, p in programs.items()
                            if any(pattern.search(t) for t in p.source_terms)}
                judged |= relevant
                scores.append(sum(pid in relevant for pid in top) / max(1, min(K, len(top))))
            for i, value in enumerate(scores):
                means[i].append(value)
            print(f"{code:<34} {len(judged):>15} {scores[0]:>12.2f} {scores[1]:>15.2f}")
    print(f"{'mean':<34} {'':>15} {sum(means[0]) / len(means[0]):>12.3f} "
          f"{sum(means[1]) / len(means[1]):>15.3f}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}; after: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
