from __future__ import annotations

import csv
import json
import os

import pytest

from resdir.basics import ROOT
from resdir.errors import BadParameter
from resdir.matching.needs import Need, load_needs
from resdir.matching.screening import DOMAINS, parse_ahc, score_ahc

NEVER = {"hurt": 1, "insult": 1, "threaten": 1, "scream": 1}
ALL_NEGATIVE = {
    "living_situation": "steady", "housing_problems": [], "food_worry": "never",
    "food_didnt_last": "never", "transportation": False, "utilities": "no", "safety": NEVER,
}


def screen(**answers):
    return score_ahc(parse_ahc(answers))


def test_all_negative_answers_give_no_needs_and_every_domain_assessed():
    result = screen(**ALL_NEGATIVE)
    assert result.positives == () and result.review_flags == ()
    assert result.not_assessed == ()


def test_nothing_answered_says_every_domain_was_not_assessed():
    result = screen()
    assert [n.domain for n in result.not_assessed] == list(DOMAINS)
    assert {n.reason for n in result.not_assessed} == {"Not answered"}


@pytest.mark.parametrize(
    ("answers", "domain", "code", "texts"),
    [
        ({"living_situation": "worried"}, "housing", "housing-instability",
         ["I have a place to live today, but I am worried about losing it in the future"]),
        ({"living_situation": "no_steady_place"}, "housing", "homelessness",
         ["I do not have a steady place to live"]),
        ({"housing_problems": ["mold", "leaks"]}, "housing_quality", "inadequate-housing",
         ["Mold", "Water leaks"]),
        ({"housing_problems": ["smoke_detectors"]}, "housing_quality", "inadequate-housing",
         ["Smoke detectors missing or not working"]),
        ({"food_worry": "often", "food_didnt_last": "never"}, "food", "food-insecurity",
         ["Worried that food would run out before there was money to buy more: Often true"]),
        ({"food_worry": "never", "food_didnt_last": "sometimes"}, "food", "food-insecurity",
         ["The food bought just didn't last and there was no money to get more: "
          "Sometimes true"]),
        ({"food_didnt_last": "sometimes"}, "food", "food-insecurity",
         ["The food bought just didn't last and there was no money to get more: "
          "Sometimes true"]),
        ({"transportation": True}, "transportation", "transportation-insecurity",
         ["Lack of reliable transportation kept them from medical appointments, meetings, "
          "work or getting things needed for daily living"]),
        ({"utilities": "yes"}, "utilities", "utility-insecurity",
         ["Electric, gas, oil or water company threatened to shut off services: Yes"]),
        ({"utilities": "already_shut_off"}, "utilities", "utility-insecurity",
         ["Electric, gas, oil or water company threatened to shut off services: "
          "Already shut off"]),
        ({"safety": {"hurt": 1, "insult": 4, "threaten": 3, "scream": 3}}, "safety",
         "intimate-partner-violence",
         ["Physically hurt you: Never", "Insulted or talked down to you: Fairly often",
          "Threatened you with harm: Sometimes", "Screamed or cursed at you: Sometimes",
          "Safety total 11 (11 or more is positive)"]),
    ],
)
def test_positive_domain_shows_the_answers_that_made_it_positive(answers, domain, code, texts):
    result = screen(**{**ALL_NEGATIVE, **answers})
    assert [(p.domain, p.code) for p in result.positives] == [(domain, code)]
    assert [a.text for a in result.positives[0].answers] == texts
    assert result.codes == [code]


@pytest.mark.parametrize(
    ("safety", "positive"),
    [
        ({"hurt": 1, "insult": 3, "threaten": 3, "scream": 3}, False),  # 10
        ({"hurt": 1, "insult": 4, "threaten": 3, "scream": 3}, True),  # 11
        ({"hurt": 5, "insult": 5, "threaten": 5, "scream": 5}, True),
        ({"hurt": 5, "insult": 5, "threaten": 1}, True),  # 11 already, one unanswered
        ({"hurt": 1, "insult": 1, "threaten": 1}, False),  # at most 8 whatever the fourth
    ],
)
def test_safety_is_positive_at_a_total_of_11(safety, positive):
    result = screen(safety=safety)
    assert ("intimate-partner-violence" in result.codes) is positive
    assert "safety" not in [n.domain for n in result.not_assessed]


def test_safety_partly_answered_that_could_go_either_way_is_not_assessed():
    result = screen(safety={"hurt": 1, "insult": 3, "scream": None})
    assert [(n.domain, n.reason) for n in result.not_assessed if n.domain == "safety"] == [
        ("safety", "2 of 4 safety questions answered, total 4: not enough to score")]


def test_food_with_one_never_and_one_unanswered_is_not_assessed():
    result = screen(food_worry="never")
    reasons = {n.domain: n.reason for n in result.not_assessed}
    assert reasons["food"].startswith("One of the two food questions was answered Never true")


@pytest.mark.parametrize(
    ("hurt", "flagged"), [(1, False), (2, True), (3, True), (5, True)]
)
def test_physically_hurt_above_never_is_flagged_for_review(hurt, flagged):
    result = screen(safety={**NEVER, "hurt": hurt})
    assert bool(result.review_flags) is flagged
    if flagged:
        flag = result.review_flags[0]
        assert flag.question == "safety.hurt" and "above Never: review for safety" in flag.text
    # Hurt alone never reaches 11, yet it is flagged.
    assert "intimate-partner-violence" not in result.codes


def test_several_domains_are_scored_independently_in_order():
    result = screen(living_situation="no_steady_place", utilities="yes", food_worry="often",
                    transportation=True)
    assert result.codes == ["homelessness", "food-insecurity", "transportation-insecurity",
                            "utility-insecurity"]
    body = result.as_dict()
    assert body["needs"][0]["answers"][0] == {
        "question": "living_situation", "value": "no_steady_place",
        "text": "I do not have a steady place to live"}
    assert [n["domain"] for n in body["not_assessed"]] == ["housing_quality", "safety"]


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        ({"living_situation": "maybe"}, "screening.living_situation",
         "Answer 'maybe' is not one of: steady, worried, no_steady_place."),
        ({"living_situation": 1}, "screening.living_situation", "is not one of"),
        ({"housing_problems": "mold"}, "screening.housing_problems", "must be a list of"),
        ({"housing_problems": ["roaches"]}, "screening.housing_problems",
         "pests, mold, lead, heat, stove, smoke_detectors, leaks (an empty list for none)"),
        ({"housing_problems": [["mold"]]}, "screening.housing_problems", "must be a list"),
        ({"food_worry": "yes"}, "screening.food_worry", "not one of: often, sometimes, never"),
        ({"food_didnt_last": True}, "screening.food_didnt_last", "not one of"),
        ({"transportation": "yes"}, "screening.transportation", "must be true or false"),
        ({"utilities": True}, "screening.utilities", "yes, no, already_shut_off"),
        ({"safety": [1, 1, 1, 1]}, "screening.safety", "Safety must be an object"),
        ({"safety": {"hurt": 6}}, "screening.safety",
         "Safety answer hurt must be 1 (Never) to 5 (Frequently), not 6"),
        ({"safety": {"scream": 0}}, "screening.safety", "scream must be 1 (Never)"),
        ({"safety": {"insult": "often"}}, "screening.safety", "insult must be 1"),
        ({"safety": {"insult": True}}, "screening.safety", "insult must be 1"),
        ({"safety": {"kick": 2}}, "screening.safety", "'kick' is not a safety question"),
        ({"income": "low"}, "screening.income", "not a question of the AHC core screening"),
    ],
)
def test_bad_answers_name_the_field(answers, field, message):
    with pytest.raises(BadParameter) as caught:
        parse_ahc(answers)
    assert caught.value.field == field
    assert message in caught.value.message


def test_answers_must_be_an_object():
    with pytest.raises(BadParameter) as caught:
        parse_ahc("steady")  # type: ignore[arg-type]
    assert caught.value.field == "screening"


def test_need_codes_are_the_23_gravity_categories_with_their_display_names():
    source = ROOT.parent / "shared" / "external" / "fhir-sdoh-clinicalcare" / \
        "sdohcc-2.3.0-codes.json"
    gravity = json.loads(source.read_text())["sdoh_categories"]
    needs = load_needs()
    assert [(n.code, n.display) for n in needs.values()] == [
        (c["code"], c["display"]) for c in gravity]
    assert needs["food-insecurity"].categories == ("food",)


def test_every_need_crosswalks_to_known_categories():
    with (ROOT / "data" / "categories.csv").open(newline="") as handle:
        categories = {row["slug"]: row for row in csv.DictReader(handle)}
    for need in load_needs().values():
        assert set(need.categories) <= set(categories), need.code
        assert need.categories or need.code == "sdoh-category-unspecified", need.code
        for code in need.open_eligibility:
            assert code.split(" ", 1)[0].isdigit(), (need.code, code)


def test_every_screening_result_is_a_known_need_with_categories():
    result = screen(living_situation="worried", housing_problems=["lead"], food_worry="often",
                    transportation=True, utilities="yes",
                    safety={"hurt": 5, "insult": 5, "threaten": 5, "scream": 5})
    needs = load_needs()
    assert len(result.codes) == 6
    assert all(needs[code].categories for code in result.codes)
    assert needs["intimate-partner-violence"].categories[0] == "safety"


def test_needs_file_is_read_again_after_an_edit(tmp_path):
    path = tmp_path / "needs.csv"
    path.write_text("code,display,categories,open_eligibility\nstress,Stress,mental-health,\n")
    assert load_needs(path)["stress"].categories == ("mental-health",)
    path.write_text("code,display,categories,open_eligibility\n"
                    "stress,Stress,mental-health;health,1220 Counseling\n")
    os.utime(path, ns=(1, 10**18))
    assert load_needs(path)["stress"] == Need("stress", "Stress", ("mental-health", "health"),
                                              ("1220 Counseling",))
