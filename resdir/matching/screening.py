"""The CMS AHC HRSN core screening: answers checked, each domain scored on its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from resdir.errors import BadParameter

LIVING = {
    "steady": "I have a steady place to live",
    "worried": "I have a place to live today, but I am worried about losing it in the future",
    "no_steady_place": "I do not have a steady place to live",
}
PROBLEMS = {
    "pests": "Pests such as bugs, ants or mice", "mold": "Mold", "lead": "Lead paint or pipes",
    "heat": "Lack of heat", "stove": "Oven or stove not working",
    "smoke_detectors": "Smoke detectors missing or not working", "leaks": "Water leaks",
}
OFTEN = {"often": "Often true", "sometimes": "Sometimes true", "never": "Never true"}
FOOD = {
    "food_worry": "Worried that food would run out before there was money to buy more",
    "food_didnt_last": "The food bought just didn't last and there was no money to get more",
}
UTILITIES = {"yes": "Yes", "no": "No", "already_shut_off": "Already shut off"}
SAFETY = {
    "hurt": "Physically hurt you", "insult": "Insulted or talked down to you",
    "threaten": "Threatened you with harm", "scream": "Screamed or cursed at you",
}
FREQUENCY = {1: "Never", 2: "Rarely", 3: "Sometimes", 4: "Fairly often", 5: "Frequently"}
SAFETY_THRESHOLD = 11
NOT_ANSWERED = "Not answered"
QUESTIONS = ("living_situation", "housing_problems", "food_worry", "food_didnt_last",
             "transportation", "utilities", "safety")
DOMAINS = ("housing", "housing_quality", "food", "transportation", "utilities", "safety")
DOMAIN_NAMES = {"housing": "Living situation", "housing_quality": "Housing quality",
                "food": "Food", "transportation": "Transportation", "utilities": "Utilities",
                "safety": "Safety"}


@dataclass(frozen=True)
class AhcAnswers:
    """Checked answers; None means the question was not answered."""

    living_situation: str | None = None
    housing_problems: tuple[str, ...] | None = None
    food_worry: str | None = None
    food_didnt_last: str | None = None
    transportation: bool | None = None
    utilities: str | None = None
    safety: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """One answer in plain words, under its API field name (e.g. `safety.hurt`)."""

    question: str
    value: Any
    text: str

    def as_dict(self) -> dict:
        return {"question": self.question, "value": self.value, "text": self.text}


@dataclass(frozen=True)
class PositiveDomain:
    domain: str
    code: str
    answers: tuple[Answer, ...]

    def as_dict(self) -> dict:
        return {"domain": self.domain, "code": self.code,
                "answers": [a.as_dict() for a in self.answers]}


@dataclass(frozen=True)
class NotAssessed:
    domain: str
    reason: str


@dataclass(frozen=True)
class ScreeningResult:
    positives: tuple[PositiveDomain, ...]
    review_flags: tuple[Answer, ...]
    not_assessed: tuple[NotAssessed, ...]

    @property
    def codes(self) -> list[str]:
        """The need codes screened positive, in domain order."""
        return list(dict.fromkeys(p.code for p in self.positives))

    def as_dict(self) -> dict:
        return {
            "needs": [p.as_dict() for p in self.positives],
            "review": [a.as_dict() for a in self.review_flags],
            "not_assessed": [{"domain": n.domain, "reason": n.reason}
                             for n in self.not_assessed],
        }


def _bad(name: str, message: str) -> BadParameter:
    return BadParameter(message, f"screening.{name}")


def _one_of(answers: dict, name: str, choices: dict) -> str | None:
    value = answers.get(name)
    if value is None:
        return None
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in choices:
        raise _bad(name, f"Answer {value!r} is not one of: {', '.join(choices)}.")
    return text


def parse_ahc(answers: dict) -> AhcAnswers:
    """Check AHC answers under the API field names; BadParameter names `screening.<field>`."""
    if not isinstance(answers, dict):
        raise BadParameter("The screening answers must be a JSON object.", "screening")
    for name in answers:
        if name not in QUESTIONS:
            raise _bad(name, f"{name!r} is not a question of the AHC core screening. "
                             f"Questions: {', '.join(QUESTIONS)}.")
    problems = answers.get("housing_problems")
    if problems is not None:
        if not isinstance(problems, list) or any(
                not isinstance(p, str) or p not in PROBLEMS for p in problems):
            raise _bad("housing_problems", "Housing problems must be a list of: "
                       f"{', '.join(PROBLEMS)} (an empty list for none).")
        problems = tuple(dict.fromkeys(problems))
    transportation = answers.get("transportation")
    if transportation is not None and not isinstance(transportation, bool):
        raise _bad("transportation", f"Transportation must be true or false, not "
                                     f"{transportation!r}.")
    return AhcAnswers(
        living_situation=_one_of(answers, "living_situation", LIVING),
        housing_problems=problems,
        food_worry=_one_of(answers, "food_worry", OFTEN),
        food_didnt_last=_one_of(answers, "food_didnt_last", OFTEN),
        transportation=transportation,
        utilities=_one_of(answers, "utilities", UTILITIES),
        safety=_safety(answers.get("safety")),
    )


def _safety(value: Any) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _bad("safety", 'Safety must be an object like {"hurt": 1, "insult": 1, '
                             '"threaten": 1, "scream": 1}.')
    for item in value:
        if item not in SAFETY:
            raise _bad("safety", f"{item!r} is not a safety question; they are: "
                                 f"{', '.join(SAFETY)}.")
    out = {}
    for item in SAFETY:
        score = value.get(item)
        if score is None:
            continue
        if isinstance(score, bool) or not isinstance(score, int) or score not in FREQUENCY:
            raise _bad("safety", f"Safety answer {item} must be 1 (Never) to 5 (Frequently), "
                                 f"not {score!r}.")
        out[item] = score
    return out


def score_ahc(parsed: AhcAnswers) -> ScreeningResult:
    """Score each domain on its own (there is no total) into need codes."""
    scored = [_score_housing(parsed), _score_housing_quality(parsed), _score_food(parsed),
              _score_transportation(parsed), _score_utilities(parsed),
              _score_safety(parsed.safety)]
    return ScreeningResult(
        tuple(d for d in scored if isinstance(d, PositiveDomain)),
        _safety_review(parsed.safety),
        tuple(d for d in scored if isinstance(d, NotAssessed)))


# Each domain: PositiveDomain, NotAssessed (not answered, or not enough to decide) or None.
Scored = PositiveDomain | NotAssessed | None


def _score_housing(parsed: AhcAnswers) -> Scored:
    living = parsed.living_situation
    if living is None:
        return NotAssessed("housing", NOT_ANSWERED)
    if living == "steady":
        return None
    code = "housing-instability" if living == "worried" else "homelessness"
    return PositiveDomain("housing", code,
                          (Answer("living_situation", living, LIVING[living]),))


def _score_housing_quality(parsed: AhcAnswers) -> Scored:
    if parsed.housing_problems is None:
        return NotAssessed("housing_quality", NOT_ANSWERED)
    if not parsed.housing_problems:
        return None
    return PositiveDomain("housing_quality", "inadequate-housing", tuple(
        Answer("housing_problems", p, PROBLEMS[p]) for p in parsed.housing_problems))


def _score_food(parsed: AhcAnswers) -> Scored:
    food = {n: getattr(parsed, n) for n in FOOD if getattr(parsed, n) is not None}
    hits = [Answer(n, v, f"{FOOD[n]}: {OFTEN[v]}") for n, v in food.items() if v != "never"]
    if hits:
        return PositiveDomain("food", "food-insecurity", tuple(hits))
    if len(food) < len(FOOD):
        return NotAssessed("food", NOT_ANSWERED if not food else "One of the two food "
                           "questions was answered Never true and the other was not answered")
    return None


def _score_transportation(parsed: AhcAnswers) -> Scored:
    if parsed.transportation is None:
        return NotAssessed("transportation", NOT_ANSWERED)
    if not parsed.transportation:
        return None
    return PositiveDomain("transportation", "transportation-insecurity", (Answer(
        "transportation", True, "Lack of reliable transportation kept them from medical "
        "appointments, meetings, work or getting things needed for daily living"),))


def _score_utilities(parsed: AhcAnswers) -> Scored:
    if parsed.utilities is None:
        return NotAssessed("utilities", NOT_ANSWERED)
    if parsed.utilities == "no":
        return None
    return PositiveDomain("utilities", "utility-insecurity", (Answer(
        "utilities", parsed.utilities, "Electric, gas, oil or water company threatened to "
        f"shut off services: {UTILITIES[parsed.utilities]}"),))


def _score_safety(safety: dict[str, int]) -> Scored:
    answers = tuple(Answer(f"safety.{i}", s, f"{SAFETY[i]}: {FREQUENCY[s]}")
                    for i, s in safety.items())
    total, unanswered = sum(safety.values()), len(SAFETY) - len(safety)
    # Each unanswered item would add 1 to 5, so some partial answers still decide the domain.
    if total >= SAFETY_THRESHOLD:
        return PositiveDomain("safety", "intimate-partner-violence", (*answers, Answer(
            "safety", total, f"Safety total {total} (11 or more is positive)")))
    if not safety:
        return NotAssessed("safety", NOT_ANSWERED)
    if total + 5 * unanswered >= SAFETY_THRESHOLD:
        return NotAssessed("safety", f"{len(safety)} of 4 safety questions answered, total "
                           f"{total}: not enough to score")
    return None


def _safety_review(safety: dict[str, int]) -> tuple[Answer, ...]:
    """Being hurt at all (above Never) is flagged for review, whatever the total."""
    hurt = safety.get("hurt", 1)
    return (Answer("safety.hurt", hurt, f"{SAFETY['hurt']}: {FREQUENCY[hurt]}, above Never: "
                   "review for safety"),) if hurt > 1 else ()
