"""How people ask: optional filler words, needs that point to a category, precise synonyms,
stems and senses, and the ranking formula (text, distance, capacity, staleness).

Every case builds programs with the `make_service` factory (real database, real Whoosh
index in tmp_path) and searches through `GET /api/v1/search`.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from resdir.search import lexicon, querytext

ROOT = Path(__file__).resolve().parent.parent
with (ROOT / "data" / "categories.csv").open(encoding="utf-8") as _handle:
    CATEGORY_SLUGS = {r["slug"] for r in csv.DictReader(_handle)}


def search(client, **params) -> dict:
    response = client.get("/api/v1/search", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def names(client, **params) -> list[str]:
    return [r["name"] for r in search(client, **params)["results"]]


def make_programs(make_service, programs) -> None:
    """Programs given as (name, categories, description), made in that order."""
    for name, categories, description in programs:
        make_service(name, categories=categories, description=description)


# -- filler and intent words are optional ------------------------------------------------


@pytest.fixture
def everyday(make_service):
    """Programs worded as agencies word them, not as people ask."""
    make_service("Utility Assistance", categories=("utilities",),
                 description="One-time grants toward electric bills and gas bills.")
    make_service("VITA Tax Preparation", categories=("financial",),
                 description="Volunteers prepare and e-file federal tax returns at no cost.")
    make_service("Nightly Emergency Shelter", categories=("housing",),
                 description="Beds for single adults, intake from 7 pm.")
    make_service("Hilltop Food Pantry", categories=("food",),
                 description="Groceries every Tuesday; bring a bag.")
    make_service("Youth Soccer League", categories=("education",),
                 description="Saturday games in the park at night, all ages.")


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("help paying electric bill", "Utility Assistance"),
        ("electric bill", "Utility Assistance"),
        ("free tax help", "VITA Tax Preparation"),
        ("shelter tonight", "Nightly Emergency Shelter"),
        ("food near me", "Hilltop Food Pantry"),
        ("I need a bed", "Nightly Emergency Shelter"),
        ("where can I get groceries today", "Hilltop Food Pantry"),
    ],
)
def test_filler_words_need_not_match(client, everyday, q, expected):
    found = names(client, q=q)
    assert found and found[0] == expected, found


def test_filler_words_do_not_shrink_the_results(client, everyday):
    assert names(client, q="help paying electric bill") == names(client, q="electric bill")


def test_a_companys_bill_is_a_utility_bill(client, make_service):
    # San Mateo's "help paying PG&E bill" found only the one program that says PG&E: the
    # others that pay utility bills never name the company.
    make_programs(make_service, [
        ("Emergency Assistance", ("financial", "utilities"),
         "Food, clothing and PG&E assistance through the REACH program."),
        ("Energy Help Fund", ("utilities",), "Grants toward overdue gas and power accounts."),
        ("Car Loans", ("financial",), "Low-interest loans to buy a used car."),
    ])
    found = names(client, q="help paying PG&E bill")
    assert found[0] == "Emergency Assistance"
    assert set(found) == {"Emergency Assistance", "Energy Help Fund"}
    # A directory that never names the company still answers, and does not "correct" it.
    body = search(client, q="my Comcast bill")
    assert {r["name"] for r in body["results"]} == {"Energy Help Fund", "Emergency Assistance"}
    assert body["suggestion"] is None and body["corrected"] is False


def test_known_words_before_bill_keep_their_sense(client, make_service):
    make_programs(make_service, [
        ("Energy Help Fund", ("utilities",), "Grants toward overdue gas and power accounts."),
        ("Hospital Bill Advocates", ("health",), "We negotiate medical bills with hospitals."),
    ])
    assert names(client, q="medical bills") == ["Hospital Bill Advocates"]


def test_a_soup_kitchen_is_any_free_meal_served_on_site(client, make_service):
    # Near a Miami ZIP "soup kitchen" found 2 programs: the senior centers and churches
    # serving meals there say "congregate meals" or "free meals", not "soup kitchen".
    make_programs(make_service, [
        ("Soup Kitchen", ("food",), "A hot lunch for anyone, no questions asked."),
        ("Riverside Senior Center", ("food",), "Congregate meals and bingo for adults 60+."),
        ("Grace Church Supper", ("food",), "Free meals every Tuesday evening in the hall."),
        ("Meals on Wheels", ("food",), "Hot meals delivered to homebound elders."),
    ])
    found = names(client, q="soup kitchen")
    assert found[0] == "Soup Kitchen"
    assert set(found) == {"Soup Kitchen", "Riverside Senior Center", "Grace Church Supper"}


def test_shelter_tonight_puts_emergency_shelter_first(client, make_service):
    # Near Miami's 33125, "shelter tonight" led with a homeless prevention program and
    # supportive housing: help for tonight is the shelter that takes people overnight.
    make_programs(make_service, [
        ("Family Stability Program", ("housing",),
         "Shelter diversion and shelter referrals for families at risk of losing their home."),
        ("Harbor House", ("housing",),
         "Emergency shelter for families: overnight stays and case management."),
    ])
    assert names(client, q="shelter tonight") == ["Harbor House", "Family Stability Program"]
    assert names(client, q="shelter")[0] == "Family Stability Program"  # no urgency, no boost


def test_tonight_is_not_corrected_to_night(client, everyday):
    body = search(client, q="shelter tonight")
    assert body["suggestion"] is None and body["corrected"] is False
    assert "Youth Soccer League" not in [r["name"] for r in body["results"]]


def test_a_query_of_filler_words_only_still_needs_them(client, everyday):
    # "near me" alone is not "everything near": it is what the person typed, found nowhere.
    assert names(client, q="near me") == []


# -- a named need boosts its category over a passing mention ------------------------------


@pytest.mark.parametrize(
    ("q", "programs", "expected_first"),
    [
        ("rent assistance",
         [("Community Hall", ("education",), "We rent out our hall for parties and offer "
           "assistance with event planning, catering, music, decorations and parking."),
          ("Housing Stability Program", ("housing",), "Back rent paid to landlords.")],
         "Housing Stability Program"),
        ("ride to the doctor",
         [("Riverside Clinic", ("health",), "Doctor visits. A ride home after surgery "
           "must be arranged by the patient."),
          ("Medical Transportation", ("transportation",),
           "Free rides to doctor and clinic appointments.")],
         "Medical Transportation"),
        ("bus pass",
         [("Senior Center", ("food",), "Lunch daily. TRANSPORTATION: bus lines 54 and 83 "
           "stop at the door; pass holders ride free on weekends."),
          ("Transit Fare Help", ("transportation",), "Monthly bus passes for job seekers.")],
         "Transit Fare Help"),
        ("diapers",
         [("Grace Church", ("education",), "Sunday services and choir. Accepts diaper "
           "donations for the county drive; volunteers needed."),
          ("Diaper Bank", ("childcare",), "Free diapers and wipes for families.")],
         "Diaper Bank"),
        ("I need food",
         [("Annual Gala", ("financial",), "Volunteers needed to serve food at our gala."),
          ("Community Pantry", ("food",), "Free groceries and fresh produce.")],
         "Community Pantry"),
    ],
)
def test_a_category_match_outranks_a_passing_mention(client, make_service, q, programs,
                                                     expected_first):
    make_programs(make_service, programs)
    found = names(client, q=q)
    assert found and found[0] == expected_first, found


def test_and_joins_two_kinds_of_help(client, make_service):
    # "food and clothing" asks for either; a program offering both ranks first.
    make_service("Clothes Closet", categories=("financial",),
                 description="Free clothing and shoes.")
    make_service("Hilltop Food Pantry", categories=("food",),
                 description="Groceries every Tuesday.")
    make_service("Corps Community Center", categories=("food",),
                 description="Emergency food boxes and clothing vouchers.")
    make_service("Tax Help", categories=("financial",), description="Tax returns.")
    found = names(client, q="emergency food and clothing")
    assert found[0] == "Corps Community Center"
    assert sorted(found[1:]) == ["Clothes Closet", "Hilltop Food Pantry"]
    # Without "and", every part is still needed.
    assert names(client, q="food clothing") == ["Corps Community Center"]


# A query finds exactly these programs, in this order: (query, programs as (name,
# categories, description) in the order they are made, the names found).
FOUND_EXACTLY = [
    # -- a named need reaches its category; a narrower word does not
    pytest.param("I need a bed", [("Safe Haven", ("housing",), "Overnight stays."),
                                  ("Garden Club", ("education",), "Flower beds.")],
                 ["Safe Haven"], id="named-category-without-the-word"),
    # "tax" belongs to financial help, but a clothes closet in that category is not tax help.
    pytest.param("free tax help",
                 [("VITA Tax Preparation", ("financial",),
                   "Volunteers prepare federal tax returns at no cost."),
                  ("Clothes Closet", ("financial",), "Free clothes.")],
                 ["VITA Tax Preparation"], id="narrower-word-not-its-whole-category"),
    # A parenting class a classifier filed under child care, with no description: the
    # category's name is not the listing's words, so the day care that says "child care"
    # comes first (the category's name, indexed as text of a short listing, outranked it).
    pytest.param("child care",
                 [("Parenting Seminars", ("childcare",), ""),
                  ("Sunrise Early Learning", ("education",),
                   "Licensed child care for ages 0 to 5, 6 am to 6 pm, with meals, naps, "
                   "outdoor play and a preschool curriculum every weekday.")],
                 ["Sunrise Early Learning", "Parenting Seminars"],
                 id="guessed-category-is-not-the-programs-words"),
    pytest.param("after school program",
                 [("Little Steps Infant Care", ("childcare",),
                   "Care for infants 6 weeks to 2 years."),
                  ("Homework Club", ("education",),
                   "After school tutoring and snacks for grades 1 to 8.")],
                 ["Homework Club"], id="after-school-is-narrower-than-child-care"),
    # -- phrases: synonyms of the whole phrase, lay words, words standing together
    # "family violence" is a synonym of "domestic violence"; "family visits ... youth
    # violence" is neither (an index built with the current vocabulary has every phrase
    # as a term, so a phrase it lacks is in none of its texts).
    pytest.param("domestic violence help",
                 [("Family Strengthening Center", ("education",),
                   "Family visits, parenting classes and youth violence prevention."),
                  ("Safe Harbor", ("education",), "Support for survivors of domestic violence.")],
                 ["Safe Harbor"], id="synonym-phrase-is-not-its-words-apart"),
    pytest.param("I need someone to talk to",
                 [("Peer Counseling", ("education",),
                   "Free counseling with a trained volunteer."),
                  ("Book Club", ("education",), "Talk about a novel.")],
                 ["Peer Counseling"], id="lay-phrase-someone-to-talk-to"),
    pytest.param("homework help for my kids",
                 [("Study Hall", ("education",), "Tutoring for children in grades 1 to 8."),
                  ("Kids Soccer", ("education",), "Games for children.")],
                 ["Study Hall"], id="lay-phrase-homework-help"),
    pytest.param("bus pass", [("Token Program", ("education",), "Bus tokens for job seekers."),
                              ("Pass Clinic", ("education",), "Passport photos.")],
                 ["Token Program"], id="lay-phrase-bus-pass"),
    pytest.param("child care",
                 [("Kids Club", ("education",), "Care packages for every child at the holidays."),
                  ("Sunrise Child Care", ("education",), "Licensed child care, 6 am to 6 pm.")],
                 ["Sunrise Child Care"], id="phrase-only-where-its-words-stand-together"),
    # -- a word's other sense
    # The other sense excludes a program even when a crosswalk or classifier put it in the
    # category the word names.
    pytest.param("shelter",
                 [("County Animal Services", ("housing",), "Adoptions, licences and lost pets."),
                  ("Family Shelter", ("housing",), "Beds for families.")],
                 ["Family Shelter"], id="animal-shelter-filed-under-housing-is-not-shelter"),
    pytest.param("shelter",
                 [("Weekend Volunteers", ("education",),
                   "Volunteers walk dogs at the animal shelter."),
                  ("Family Shelter", ("education",), "Beds for families.")],
                 ["Family Shelter"], id="shelter-inside-animal-shelter-is-not-shelter"),
    pytest.param("animal shelter",
                 [("County Animal Shelter", ("education",), "Adopt a dog or a cat.")],
                 ["County Animal Shelter"], id="the-other-sense-when-the-person-asks-for-it"),
]


@pytest.mark.parametrize(("q", "programs", "expected"), FOUND_EXACTLY)
def test_a_query_finds_exactly(client, make_service, q, programs, expected):
    make_programs(make_service, programs)
    assert names(client, q=q) == expected


# -- precise synonyms, stems and senses ---------------------------------------------------


@pytest.mark.parametrize(
    ("q", "wrong", "right"),
    [
        ("ride", ("Therapeutic Horseback Riding", "Riding lessons for children."),
         ("Volunteer Driver Program", "A ride to any appointment.")),
        ("shelter", ("County Animal Shelter", "Adopt a dog or a cat."),
         ("Family Shelter", "Emergency shelter for families.")),
        ("bus pass", ("Transitional Housing", "Transitional apartments for families."),
         ("Fare Card Program", "Reduced fares on every bus.")),
        ("free clinic", ("Tenant Legal Clinic", "Free advice for renters."),
         ("Free Medical Clinic", "Free care for adults without insurance.")),
        ("child care", ("Adult Day Care", "Day care for seniors with memory loss."),
         ("Little Steps Child Care", "Child care for ages 0 to 5.")),
    ],
)
def test_synonyms_and_stems_keep_their_sense(client, make_service, q, wrong, right):
    make_service(wrong[0], description=wrong[1], categories=("education",))
    make_service(right[0], description=right[1], categories=("education",))
    found = names(client, q=q)
    assert right[0] in found
    assert wrong[0] not in found


def test_day_care_inside_adult_day_care_is_not_child_care(client, make_service):
    make_service("Metro Rides", categories=("transportation",),
                 description="Rides for people over 60 to adult day care and clinics.")
    make_service("Little Steps", categories=("education",),
                 description="Day care for toddlers, 7 am to 6 pm.")
    assert names(client, q="child care") == ["Little Steps"]
    assert "Metro Rides" in names(client, q="adult day care")


# -- the vocabulary file itself -----------------------------------------------------------


def test_every_need_names_a_real_category():
    assert {slug for slugs in lexicon.NEEDS.values() for slug in slugs} <= CATEGORY_SLUGS


@pytest.mark.parametrize("phrase", sorted(lexicon.PHRASES | lexicon.OPTIONAL))
def test_every_vocabulary_entry_is_searchable_words(phrase):
    assert phrase == phrase.lower().strip()
    assert querytext.words(phrase), phrase


@pytest.mark.parametrize("word", sorted(lexicon.SYNONYMS))
def test_every_synonym_has_words_that_reach_the_index(word):
    for alternative in lexicon.SYNONYMS[word]:
        assert any(querytext.analyse(w) for w in alternative.split()), (word, alternative)


@pytest.mark.parametrize("phrase", sorted(lexicon.QUALIFIED))
def test_every_qualified_phrase_is_one_indexed_term(phrase):
    assert querytext.phrase_of(phrase), phrase
    for longer in lexicon.QUALIFIED[phrase]:
        assert querytext.phrase_of(longer), (phrase, longer)


def test_stems_from_the_vocabulary_file():
    assert querytext.analyse("riding") != querytext.analyse("ride")
    assert querytext.analyse("transitional") != querytext.analyse("transit")
    assert querytext.analyse("rides") == querytext.analyse("ride")  # Porter otherwise


# -- ranking: text, then distance, capacity and staleness ---------------------------------

# Near ZIP 15214 (Pittsburgh North Side, centre 40.4810 -80.0122).
HALF_MILE = (40.4882, -80.0122)
NINE_MILES = (40.6110, -80.0122)
THIRD_OF_A_MILE = (40.4858, -80.0122)
OLD = date(2020, 1, 1)


@pytest.mark.parametrize(
    ("rival", "why"),
    [
        ({"point": NINE_MILES, "description": "Rent help."}, "9 miles away"),
        ({"point": THIRD_OF_A_MILE, "assured": OLD}, "not verified since 2020"),
        ({"point": THIRD_OF_A_MILE, "capacity_status": "no-capacity"}, "full"),
        ({"point": THIRD_OF_A_MILE, "capacity_status": "waitlist"}, "waitlist"),
    ],
)
def test_near_accepting_current_program_comes_first(client, make_service, rival, why):
    text = "Rent help for tenants behind on rent."
    lat, lon = HALF_MILE
    make_service("Northside Rent Help", description=text, zip_code="15214", lat=lat,
                 lon=lon, categories=("housing",), capacity_status="capacity")
    lat, lon = rival.pop("point")
    make_service("Other Rent Help", zip_code="15214", lat=lat, lon=lon,
                 categories=("housing",),
                 **{"description": text, "capacity_status": "capacity", **rival})
    body = search(client, q="rent help", zip="15214", radius_mi=10)
    assert [r["name"] for r in body["results"]] == ["Northside Rent Help", "Other Rent Help"], why


def test_a_much_better_match_a_little_further_still_leads(client, make_service):
    make_service("Rent Help Center", description="Rent help: back rent, rent deposits.",
                 zip_code="15214", lat=40.5100, lon=-80.0122, categories=("housing",))
    make_service("Neighborhood Services", description="Many services; ask about rent.",
                 zip_code="15214", lat=40.4830, lon=-80.0122, categories=("education",))
    assert names(client, q="rent help", zip="15214", radius_mi=10)[0] == "Rent Help Center"
