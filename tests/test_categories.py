"""Categories for every program: the taxonomy crosswalk (AIRS/211 LA prefixes, Open
Eligibility ids and codes, names), the data-package layout, coverage in the import report,
and the admins' crosswalk page.

tests/data/airs_package is the layout of 211 Miami's HSDS 1.1 package (datapackage.json
beside data/) with AIRS-style codes; its term names are our own words, not AIRS names."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from resdir.categorize.crosswalk import Crosswalk, airs_prefixes, read_file
from resdir.directory import models as m
from resdir.extensions import db
from resdir.interop.hsds_import import import_path

DATA = Path(__file__).parent / "data"
PACKAGE = DATA / "airs_package"


def cats(name: str) -> set[str]:
    service = db.session.scalars(select(m.Service).where(m.Service.name == name)).one()
    return {c.code for c in service.categories}


def note(report, words: str) -> bool:
    return any(e.kind == "note" and words in e.reason for e in report.entries)


def test_data_package_root_with_data_folder_imports(app):
    """datapackage.json beside data/ (211 Miami's layout) was 'unknown, source ""'."""
    with app.app_context():
        report = import_path(PACKAGE)
        assert report.ok, str(report)
        assert report.form == "HSDS 1.x CSV" and report.created["service"] == 4
        # the same source as importing its data/ folder: a second import updates
        again = import_path(PACKAGE / "data")
        assert again.source == report.source and again.created["service"] == 0


def test_airs_codes_by_longest_prefix_and_coverage_in_report(app):
    with app.app_context():
        report = import_path(PACKAGE)
        assert cats("Saturday Pantry") == {"food"}          # BD-1800.2000 -> BD
        assert cats("Little Steps Daycare") == {"childcare"}  # PH-1250 beats P and PH
        assert cats("Hot Meals Tonight") == {"food"}          # a name the crosswalk knows
        # a target-population code (Y...) says who, not what: Seniors Club has no known term
        assert note(report, "3 of 4 programs categorized from taxonomy terms; 1 without a "
                            "known term")


def test_ohana_ids_without_their_table_are_read_most_specific_first(app, tmp_path):
    """`101-03` (Emergency Food) is food, not safety (its top level, Emergency)."""
    folder = tmp_path / "ohana"
    folder.mkdir()
    for name in ("organizations.csv", "locations.csv", "addresses.csv", "mail_addresses.csv"):
        shutil.copy(Path(__file__).resolve().parents[2] / "shared" / "external"
                    / "ohana-san-mateo-county-sample" / name, folder / name)
    header = ("id,location_id,program_id,accepted_payments,alternate_name,application_process,"
              "audience,description,eligibility,email,fees,funding_sources,"
              "interpretation_services,keywords,languages,name,required_documents,"
              "service_areas,status,wait_time,website,taxonomy_ids\n")
    rows = ('1,1,,,,,,Hot meals.,,,,,,,,Meal Program,,,active,,,"101-03"\n'
            '2,1,,,,,,Bills.,,,,,,,,Bill Help,,,active,,,"101-02-06, 108"\n')
    (folder / "services.csv").write_text(header + rows, encoding="utf-8")
    with app.app_context():
        report = import_path(folder)
        assert report.ok, str(report)
        assert cats("Meal Program") == {"food"}
        assert cats("Bill Help") == {"utilities"}


def test_crosswalk_lookup_order():
    walk = Crosswalk(read_file())
    assert airs_prefixes("BD-1800.2000-100") == ["BD-1800.2000-100", "BD-1800.2000", "BD-1800",
                                                 "BD", "B"]
    assert walk.term("anything", "RX-8450.1000") == (True, "mental-health")
    assert walk.term("anything", "NL-6000.2000-220") == (True, "food")   # SNAP before NL
    assert walk.term("anything", "YF-1700") == (True, None)              # populations
    assert walk.term("Emergency Food", None) == (True, "food")
    assert walk.term(None, "1120") == (True, "food")                     # OE code
    assert walk.code_only("101-02-06-99") == (True, "utilities")         # an unknown child
    assert walk.term("Unheard of", "Q17") == (False, None)
    # travelers' help is under AIRS transportation, but a consulate is not a ride
    assert walk.term("anything", "BT-8750.1400") == (True, None)
    assert walk.term("anything", "BT-4500.6500") == (True, "transportation")
    # domestic violence shelters and hotlines answer a safety need (data/categories.csv),
    # not only housing or counseling
    assert walk.term("anything", "BH-1800.1500-100") == (True, "safety")
    assert walk.term("anything", "BH-1800.8500") == (True, "housing")
    assert walk.term("anything", "RP-1500.1400-200") == (True, "safety")


def test_admin_changes_a_rule_and_the_next_import_uses_it(app, client, people, csrf_token):
    people.login(client, "admin")
    token = csrf_token(client, "/categories/crosswalk")
    response = client.post("/categories/crosswalk", data={
        "scheme": "airs", "match": "yb", "category": "health", "note": "test",
        "csrf_token": token})
    assert response.status_code == 303
    page = client.get("/categories/crosswalk?scheme=airs&q=yb").get_data(as_text=True)
    assert "YB" in page and "health" in page
    with app.app_context():
        import_path(PACKAGE)
        assert cats("Seniors Club") == {"health"}
    bad = client.post("/categories/crosswalk", data={
        "scheme": "airs", "match": "BD", "category": "nonsense", "csrf_token": token})
    assert bad.status_code == 400 and "nonsense" in bad.get_data(as_text=True)


def test_only_admins_change_the_crosswalk(app, client, people, csrf_token):
    people.login(client, "coord_a")
    token = csrf_token(client, "/categories/crosswalk")
    response = client.post("/categories/crosswalk", data={
        "scheme": "airs", "match": "BD", "category": "health", "csrf_token": token})
    assert response.status_code == 403
    with app.app_context():
        from resdir.categorize.operations import rules

        assert [r.category for r in rules() if (r.scheme, r.match) == ("airs", "BD")] == ["food"]


# -- from text, the review queue, matching ----------------------------------------------

ORG = "id,name,description\no1,Eastside Neighbors,A neighborhood charity.\n"
SERVICES = ("id,organization_id,name,description,status\n"
            "s1,o1,Eastside Food Pantry,Free groceries and hot meals every week.,active\n"
            "s2,o1,Helping Hands,\"Play mornings for toddlers, with a speaker on health or "
            "money.\",active\n")  # a guess, mixed evidence: queued for review


def _no_taxonomy(folder: Path) -> Path:
    folder.mkdir()
    (folder / "organizations.csv").write_text(ORG, encoding="utf-8")
    (folder / "services.csv").write_text(SERVICES, encoding="utf-8")
    (folder / "services_at_location.csv").write_text("id,service_id,location_id\n",
                                                     encoding="utf-8")
    return folder


def test_programs_without_terms_are_categorized_from_their_text(app, tmp_path):
    with app.app_context():
        report = import_path(_no_taxonomy(tmp_path / "plain"))
        assert report.ok, str(report)
        assert cats("Eastside Food Pantry") == {"food"}
        assert cats("Helping Hands") == {"childcare"}
        assert note(report, "0 of 2 programs categorized from taxonomy terms")
        assert note(report, "2 programs categorized from their text (1 uncertain")
        from resdir.categorize import review

        (row, service), = review.pending()
        assert service.name == "Helping Hands" and row.suggested == "childcare"
        assert row.confidence < 0.6 and "toddler" in row.evidence


def test_report_counts_coverage_of_the_programs_coordinators_see(app, tmp_path):
    """San Mateo's export holds a defunct and an inactive test record ("just a test
    service") that name no topic: 19 of 21 programs had a category, yet every program a
    coordinator can find had one. The report says both."""
    folder = _no_taxonomy(tmp_path / "plain")
    with (folder / "services.csv").open("a", encoding="utf-8") as handle:
        handle.write("s3,o1,Service for Admin Test Location,just a test service,inactive\n"
                     "s4,o1,Old Pantry,Free groceries on Fridays.,defunct\n")
    with app.app_context():
        report = import_path(folder)
        assert report.ok, str(report)
        assert note(report, "3 programs categorized from their text")
        assert note(report, "1 without a category")
        assert note(report, "2 of 2 listed programs have a category (2 inactive or defunct "
                            "not counted)")


def test_admin_correction_is_kept_through_reimports(app, client, people, csrf_token, tmp_path):
    folder = _no_taxonomy(tmp_path / "plain")
    with app.app_context():
        import_path(folder)
        sid = db.session.scalars(select(m.Service.id).where(
            m.Service.name == "Helping Hands")).one()
    people.login(client, "admin")
    page = client.get("/categories/review").get_data(as_text=True)
    assert "Helping Hands" in page and "toddler" in page
    token = csrf_token(client, "/categories/review")
    response = client.post("/categories/review", data={
        "service_id": sid, "action": "correct", "category": ["education", "childcare"],
        "csrf_token": token})
    assert response.status_code == 303
    assert "Helping Hands" not in client.get("/categories/review").get_data(as_text=True)
    with app.app_context():
        assert cats("Helping Hands") == {"education", "childcare"}
        report = import_path(folder)  # the classifier would say childcare alone again
        assert cats("Helping Hands") == {"education", "childcare"}
        assert note(report, "1 kept as an admin decided")
    empty = client.post("/categories/review", data={
        "service_id": sid, "action": "correct", "csrf_token": token})
    assert empty.status_code == 400


def test_classifier_recovers_the_seed_directory_categories():
    """The seed (our own invented directory) by its text alone: the model's rules were
    written from the category descriptions, not fitted to these rows."""
    import csv

    from resdir.categorize.classify import suggest

    tp = fp = fn = covered = 0
    with (Path(__file__).parents[1] / "data" / "seed_resources.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        truth = set(row["categories"].split(";"))
        got = set(suggest(row["program_name"], row["program_description"]).categories)
        covered += bool(got)
        tp, fp, fn = tp + len(got & truth), fp + len(got - truth), fn + len(truth - got)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert covered / len(rows) >= 0.95
    assert precision >= 0.7 and 2 * precision * recall / (precision + recall) >= 0.65


def test_match_finds_programs_on_a_real_directory_without_taxonomy(app, people, tmp_path):
    """DC's export without its taxonomy files: every need whose categories have programs
    within reach of the client returns ranked, explained results."""
    source = Path(__file__).resolve().parents[2] / "shared" / "external" / \
        "hsds-1.1-washington-dc-orservices"
    folder = tmp_path / "dc"
    folder.mkdir()
    for name in ("organizations.csv", "services.csv", "locations.csv", "physical_addresses.csv",
                 "services_at_location.csv"):
        shutil.copy(source / name, folder / name)
    with app.app_context():
        assert import_path(folder).ok
    from resdir.matching.needs import load_needs

    client = app.test_client()
    headers = people.bearer("coord_a")
    checked = 0
    for code, need in load_needs().items():
        if not need.categories:
            continue
        near = client.get("/api/v1/search", query_string=[
            ("zip", "20001"), ("radius_mi", "25"), *(("category", c) for c in need.categories)
        ]).get_json()
        body = client.post("/api/v1/match", headers=headers, json={
            "client": {"zip": "20001"}, "needs": [code]}).get_json()
        results = body["needs"][0]["results"] + body["needs"][0]["ineligible"]
        if near["total"]:
            checked += 1
            assert results, f"{code}: {near['total']} programs in range, no match"
            assert all(r["eligibility"]["summary"] for r in results)
    assert checked >= 15


def test_classifier_reads_the_longest_phrase_and_counts_plurals_once(tmp_path):
    """"Nutrition education" is food, not also education; a word's singular and plural rows
    in the phrase file are one phrase, not two votes."""
    from resdir.categorize.classify import _phrases, suggest

    assert suggest("Nutrition Education Classes").categories == ("food",)
    assert suggest("Substance Abuse Treatment").categories == ("mental-health",)
    rules = tmp_path / "phrases.csv"
    rules.write_text("category,phrase,weight\nfood,meal,3\nfood,meals,3\nhousing,pet,-1\n"
                     "housing,pets,-2\n", encoding="utf-8")
    assert _phrases(rules) == {("meal",): [("food", 3.0)], ("pet",): [("housing", -2.0)]}


def test_after_school_care_is_child_care_not_a_school():
    """A real 211 Miami program (its taxonomy term: extended child care): homework help in
    the description does not outvote "after school" in the name."""
    from resdir.categorize.classify import suggest

    got = suggest(
        "AFTER SCHOOL PROGRAM",
        "The After School program provides homework help, one-on-one tutoring, computer lab "
        "training, arts and crafts classes, conflict resolution, crime prevention workshops, "
        "recreational activities, and cultural enriching activities.")
    assert got.categories[0] == "childcare" and "after school" in got.evidence


def test_a_second_category_only_the_description_mentions_needs_more_weight():
    """A real Washington DC youth shelter (its source term: housing): a later sentence that
    only mentions counseling leaves it housing, unless the name says counseling too; one that
    lists kinds of counseling service ("crisis intervention; individual, group, and family
    counseling") names a service it gives, so mental health is added."""
    from resdir.categorize.classify import suggest

    shelter = ("Our short-term program (up to 21 days) provides emergency shelter to homeless "
               "and runaway youth, ages 12-17. Our long-term program helps older homeless youth, "
               "18-21, transition to adulthood in a loving home.")
    mention = " Staff can refer youth to counseling, advocacy and case management."
    listed = (" These services include crisis intervention; individual, group, and family "
              "counseling; mental health assessments; advocacy; referrals; intensive case "
              "management; and transportation.")
    assert suggest("Family-based Housing", shelter + mention).categories == ("housing",)
    assert set(suggest("Family-based Housing and Counseling", shelter + mention).categories) == {
        "housing", "mental-health"}
    assert set(suggest("Family-based Housing", shelter + listed).categories) == {
        "housing", "mental-health"}


def test_a_program_without_topic_words_is_read_through_its_organization(app, tmp_path):
    """DC's "Farms and Gardening" says nothing of its topic; its organization is a food bank.
    The guess is the organization's, so it always waits in the review queue."""
    folder = tmp_path / "org"
    folder.mkdir()
    (folder / "organizations.csv").write_text(
        "id,name,description\no1,Capital Area Food Bank,"
        "The region's food bank: groceries for pantries and hot meals for neighbors.\n"
        "o2,Quiet Org,Serving the community since 1926.\n", encoding="utf-8")
    (folder / "services.csv").write_text(
        "id,organization_id,name,description,status\n"
        "s1,o1,Farms and Gardening,,active\ns2,o2,Third Street,,active\n", encoding="utf-8")
    with app.app_context():
        report = import_path(folder)
        assert report.ok, str(report)
        assert cats("Farms and Gardening") == {"food"} and cats("Third Street") == set()
        assert note(report, "1 programs categorized from their text (1 uncertain")
        from resdir.categorize import review

        (row, service), = review.pending()
        assert service.name == "Farms and Gardening" and row.suggested == "food"
        assert row.confidence < 0.6 and row.evidence.startswith("organization: ")


def test_one_weak_clue_still_suggests_a_category_for_review():
    """Better a guess an admin confirms in a click than a program no facet or match finds."""
    from resdir.categorize.classify import suggest

    got = suggest("Community Room", "Open to families on a low income.")
    assert got.categories == ("financial",) and got.uncertain


def _bench():
    """bench/categories.py as a module (bench/ is not a package)."""
    import importlib.util

    path = Path(__file__).parents[1] / "bench" / "categories.py"
    spec = importlib.util.spec_from_file_location("bench_categories", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_category_benchmark_judges_a_broad_term_by_its_branch_only():
    """bench/categories.py: a program tagged with a broad term ("Health", whose branch holds
    counseling) is not contradicted by mental-health, but is by food; strict F1 ignores
    branches."""
    bench = _bench()
    rows = [{"name": "Adult Psychotherapy", "truth": {"health"},
             "scopes": {"health": {"health", "mental-health"}}},
            {"name": "Pantry", "truth": {"food"}, "scopes": {"food": {"food"}}},
            {"name": "Test record", "truth": set(), "scopes": {}}]
    said = {"Adult Psychotherapy": {"mental-health"}, "Pantry": {"food", "health"},
            "Test record": set()}
    result = bench.judge(rows, lambda row: said[row["name"]])
    assert result["judged"] == 2 and abs(result["coverage"] - 2 / 3) < 1e-9
    assert abs(result["precision"] - 2 / 3) < 1e-9 and result["recall"] == 1.0
    assert abs(result["strict"] - 2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2)) < 1e-9


def test_the_lead_sentence_says_what_a_program_is():
    """The first sentence names the program ("an after-school program"); the activities listed
    after it (literacy, homework, tutoring) do not outvote it."""
    from resdir.categorize.classify import suggest

    got = suggest("Creative Play", "The city runs an after-school program for children. "
                  "Activities include literacy, homework support, a science curriculum, "
                  "tutoring and learning games.")
    assert got.categories[0] == "childcare" and "after school" in got.evidence


def test_a_second_category_needs_a_strong_phrase_of_its_own():
    """Many passing mentions (school, homework, literacy) do not make a food market a school;
    one phrase that names the service (tutoring) does, when the lead sentence names it beside
    the groceries. Named only in a later sentence, it must nearly match the first category
    (on the real files such a second category was right less than half the time)."""
    from resdir.categorize.classify import suggest

    mentions = suggest("Friday Market", "Free groceries every Friday. While parents shop, "
                       "children get help with school, homework, literacy and enrichment.")
    assert mentions.categories == ("food",) and mentions.scores["education"] >= 4
    service = suggest("Friday Market", "Free groceries and tutoring every Friday.")
    assert set(service.categories) == {"food", "education"}
    later = suggest("Friday Market", "Free groceries every Friday. While parents shop, "
                    "volunteers offer tutoring and homework help.")
    assert later.categories == ("food",) and later.scores["education"] >= 4


def test_the_text_classifiers_confidence_is_how_often_it_is_right(app):
    """An admin reads the confidence as a chance: on Washington DC's held-out half (its own
    terms hidden; the weights were chosen on the other half), the programs the classifier is
    sure of are right 9 times in 10, and the mean confidence is close to the share right."""
    bench = _bench()
    from resdir.categorize.classify import for_program

    with app.app_context():
        rows = [r for r in bench.programs(bench.DATASETS["dc"]) if bench.half(r) == "b"]
    said = []
    for row in rows:
        guess = for_program(f"{row['name']} {row['alternate_name']}", row["description"],
                            None, row["organization"])
        if row["truth"] and guess.categories:
            allowed = row["truth"].union(*row["scopes"].values())
            said.append((guess.confidence, guess.categories[0] in allowed))
    sure = [right for confidence, right in said if confidence >= 0.9]
    assert len(said) > 250 and len(sure) > 100 and sum(sure) / len(sure) >= 0.9
    mean = sum(c for c, _ in said) / len(said)
    assert abs(mean - sum(r for _, r in said) / len(said)) < 0.05


def test_where_a_group_meets_is_not_what_it_offers():
    """211 Miami's listing of a support group (its own words) names the hospital building it
    meets in; the place is not a service: the group is mental-health (a support group), not
    also health care. Its illness names who it is for, not what it does."""
    from resdir.categorize.classify import suggest

    got = suggest("EPILEPSY SUPPORT GROUP",
                  "This group is for the person with epilepsy and for their family, friends and "
                  "caregivers who are welcome to come. Group is led by an nurse navigator and the "
                  "Epilepsy Foundation.  *Group meets at Baptist Medical Arts Building Health "
                  "Resource Center*")
    assert got.categories == ("mental-health",)


def test_what_a_program_asks_of_others_is_not_what_it_offers():
    """Volunteers wanted at a pantry and a shelter, donations accepted, a hall for rent: none of
    these is a service to the people the listing is for."""
    from resdir.categorize.classify import suggest

    volunteers = suggest("Community Center", "Computer classes for adults. Volunteers are "
                         "needed at our food pantry and homeless shelter.")
    donations = suggest("Diaper Bank", "Accepts diaper and baby formula donations at the front "
                        "desk. Offers job readiness classes.")
    hall = suggest("Community Hall", "We rent out our hall for weddings and family parties. "
                   "Computer classes for adults on Tuesdays.")
    assert volunteers.categories == ("education",)
    assert donations.categories == ("employment",)
    assert hall.categories == ("education",) and "housing" not in hall.scores


def test_a_pile_of_mentions_counts_less_than_its_sum():
    """211 Miami's after-school program at a middle school (its own words): the school's name
    and a list of activities (academic, homework, students, enrichment, arts, recreation) each
    count for less than the one before, so they do not bury the "after school program" the
    lead sentence names: the program is child care too, not only education."""
    from resdir.categorize.classify import suggest

    got = suggest("REDLAND MIDDLE SCHOOL",
                  "In partnership with FIU, this after school program combines academic "
                  "enrichment, homework help, tutorial services, cultural arts, life skills and "
                  "recreational programs for students attending this middle school.")
    assert set(got.categories) == {"education", "childcare"}


def test_housing_law_and_visitation_are_legal_help():
    """Real listings (Washington DC's Legal Aid housing practice, San Mateo's family
    visitation center, their own words): tenants' cases and housing law are legal help first;
    supervised visits (a court's order, usually) are legal help beside the safety they give."""
    from resdir.categorize.classify import suggest

    housing_law = suggest("Housing Law", "Keeping families in safe, affordable housing is at the "
                          "core of our housing law practice. Our housing law attorneys understand "
                          "the importance of getting our clients effective and timely relief in "
                          "matters such as eviction, housing code violations, the termination of "
                          "housing subsidies, and the preservation of affordable housing.")
    visits = suggest("Family Visitation Center", "Provides supervised visitation services and a "
                     "neutral site for parents to carry out supervised exchanges of children in "
                     "a safe manner. Provides counseling for child abuse prevention and domestic "
                     "violence.")
    assert housing_law.categories[0] == "legal"
    assert set(visits.categories) == {"safety", "legal"}


def test_jails_and_reentry_are_legal_help_not_housing_or_health():
    """Invented listings: a county jail "houses" inmates and a reentry program helps people
    leaving prison; both belong to the justice system (legal help), not to housing, health care
    or safety."""
    from resdir.categorize.classify import suggest

    jail = suggest("Pretrial Detention Center", "A county facility that houses adult inmates "
                   "awaiting trial. Family members may schedule visits online.")
    reentry = suggest("Second Start", "Helps ex-offenders returning home after incarceration "
                      "with re-entry planning and mentoring.")
    assert jail.categories == ("legal",)
    assert reentry.categories[0] == "legal"


def test_the_settings_a_service_reaches_are_not_services():
    """Invented listing: therapy delivered "in a variety of settings: homes, shelters, schools
    and detention centers" is counseling; the places listed are not housing, schooling or
    legal help."""
    from resdir.categorize.classify import suggest

    got = suggest("Kids in Focus", "Provides individual and family therapy for children in a "
                  "variety of settings: foster homes, shelters, schools, day cares and detention "
                  "centers.")
    assert got.categories == ("mental-health",)


def test_everyday_words_of_health_and_recovery_services():
    """Invented listings with service words the classifier did not know: day care for older
    adults is health care (an adult day program), not child care; birth control and abortion
    care are health care; "psychotherapeutic" services and help for people addicted to
    opioids are mental health and recovery; truancy help is education."""
    from resdir.categorize.classify import suggest

    seniors = suggest("Golden Years Senior Day Care", "Senior day care with meals, exercise "
                      "and activities for frail elders while their caregivers work.")
    women = suggest("Women's Choice Fund", "Helps low-income women pay for abortion care and "
                    "long-acting birth control.")
    therapy = suggest("Bright Minds", "Offers psychotherapeutic services to children at home.")
    addicted = suggest("New Dawn", "Daily dosing for adults addicted to opioids.")
    truancy = suggest("Back on Track", "Works with students and parents to end truancy.")
    assert seniors.categories[0] == "health" and "childcare" not in seniors.categories
    assert women.categories[0] == "health"
    assert therapy.categories == ("mental-health",)
    assert addicted.categories == ("mental-health",)
    assert truancy.categories == ("education",)


def test_crosswalk_sends_recreation_nowhere_and_school_nurses_to_health():
    """A 211 file's sports leagues, parks and fitness groups are not Education (or Child care):
    resdir has no recreation category, and Open Eligibility's Recreation already gives none.
    Its arts and craft classes stay education, its camps child care; health services for
    students are health care; minor home repairs are housing, as Open Eligibility's Maintenance
    & Repairs."""
    walk = Crosswalk(read_file())
    assert walk.term("anything", "PL-7000.8900-100") == (True, None)    # a sports league
    assert walk.term("anything", "PL-6400.6500") == (True, None)        # a public park
    assert walk.term("anything", "PL-6600.9700") == (True, None)        # a fitness class
    assert walk.term("anything", "PL-7400.1700") == (True, "education")  # dance classes
    assert walk.term("anything", "PL-6400.1500-820") == (True, "childcare")  # a summer camp
    assert walk.term("anything", "HL-8120.8030") == (True, "health")    # school nurses
    assert walk.term("anything", "HL-8700") == (True, "education")      # tutoring
    assert walk.term("anything", "PH-3300.2750-250") == (True, "housing")  # home repairs
    assert walk.term("anything", "PH-3300.3000") == (True, "health")    # homemakers


def test_crosswalk_advocacy_interpreters_and_clubs_are_not_legal_or_mental_health():
    """On the Miami 211 file, a climate campaign and a breast-cancer foundation (AIRS issue and
    group advocacy) and a telephone relay service for deaf callers (AIRS interpretation) came
    out Legal help, and knitting clubs and choirs (special interest clubs) Mental health: a
    coordinator looking for legal aid or counseling found them. Legal advice, representation
    and mediation stay legal."""
    walk = Crosswalk(read_file())
    assert walk.term("anything", "FP-0500.3500") == (True, None)        # issue advocacy
    assert walk.term("anything", "FP-0500.2500") == (True, None)        # group advocacy
    assert walk.term("anything", "PH-3500.8500") == (True, None)        # telephone relay
    assert walk.term("anything", "PH-3500.4500") == (True, None)        # interpretation
    assert walk.term("anything", "PS-8200.6000-400") == (True, None)    # knitting clubs
    assert walk.term("anything", "FP-4500") == (True, "legal")          # legal representation
    assert walk.term("anything", "FP-0700.5000") == (True, "legal")     # mediation
    assert walk.term("anything", "PS-8000.1800") == (True, "mental-health")  # social clubs


def test_a_kind_of_service_named_up_front_is_a_second_category():
    """Invented listings: a senior center whose lead sentence names a hot meal beside its
    parenting classes for grandparents gives both; a clinic listing primary care, dental care,
    immunizations and mental health counseling is health care and mental health. A phrase that
    names a kind of service (a meal, a support group, a class, a treatment, counseling) where a
    program says what it is counts as a service it gives, even beside a longer list of another
    category's words; a topic word alone ("dating violence" in a talk) does not."""
    from resdir.categorize.classify import suggest

    seniors = suggest("Riverside Senior Center", "Offers a hot meal at noon, bingo, exercise and "
                      "parenting classes for grandparents raising grandchildren.")
    clinic = suggest("Oak Street Clinic", "Primary care, dental care, immunizations and mental "
                     "health counseling.")
    topic = suggest("Westside Youth Center", "An after-school program with homework help, "
                    "tutoring, sports, art and field trips. Talks on dating violence.")
    assert set(seniors.categories) == {"childcare", "food"}
    assert clinic.categories == ("health", "mental-health")
    assert set(topic.categories) == {"childcare", "education"}


def test_emergency_food_beside_material_goods_and_gifts_for_children():
    """Invented listings: a corps handing out clothing, furniture and household goods names
    emergency food too: it is food help beside the material goods (financial), not only the
    latter; Christmas gifts for children are material help, not child care. A 211 file's
    holiday gifts and toys term is material goods too, not food."""
    from resdir.categorize.classify import suggest

    corps = suggest("Hope Corps", "Provides emergency food, clothing, furniture and household "
                    "goods to families in crisis.")
    pantry = suggest("Eastgate Church", "Clothing closet, furniture bank and a weekly food "
                     "pantry for neighbors in need.")
    gifts = suggest("Holiday Help", "Christmas gifts for children of families who are "
                    "struggling this winter.")
    assert corps.categories == ("financial", "food")
    assert pantry.categories == ("financial", "food")
    assert gifts.categories == ("financial",)
    walk = Crosswalk(read_file())
    assert walk.term("anything", "PH-2950.3200") == (True, "financial")    # gifts and toys
    assert walk.term("anything", "PH-2950.8500-870") == (True, "food")     # holiday meals


def test_category_benchmark_tells_first_from_later_guesses_and_missed_seconds():
    """bench/categories.py --confusion: how often a first and a later suggestion is right, and
    which misses are a second category of a program that has several (what the recall work
    looks for)."""
    bench = _bench()
    rows = [{"name": "Pantry and Tutoring", "truth": {"food", "education"},
             "scopes": {"food": {"food"}, "education": {"education"}}},
            {"name": "Shelter", "truth": {"housing"}, "scopes": {"housing": {"housing"}}}]
    said = {"Pantry and Tutoring": ("food", "legal"), "Shelter": ("health",)}
    result = bench.judge(rows, lambda row: said[row["name"]])
    assert result["order"] == {"first": [1, 2], "later": [0, 1]}
    assert result["per"]["education"]["missed"] == 1 and result["per"]["education"]["beside"] == 1
    assert result["per"]["housing"]["missed"] == 1 and result["per"]["housing"]["beside"] == 0


def test_treatment_safety_and_first_aid_words():
    """Invented listings: medication assisted treatment for opioid use is recovery (mental
    health), not a clinic visit; a workshop on bullying is safety, not school; CPR and first
    aid classes are health, not education; nutrition counseling is food help, not therapy."""
    from resdir.categorize.classify import suggest

    recovery = suggest("Harbor Recovery", "Medication assisted treatment for adults with an "
                       "opioid use disorder, with daily dosing at our clinic.")
    bullying = suggest("Stop Bullying Now", "Workshops for students, parents and teachers on "
                       "bullying at school.")
    first_aid = suggest("Community CPR", "CPR and first aid classes for parents and "
                        "babysitters.")
    nutrition = suggest("Pathways", "Nutrition counseling for families with young children.")
    assert recovery.categories[0] == "mental-health"
    assert bullying.categories[0] == "safety"
    assert first_aid.categories[0] == "health"
    assert nutrition.categories == ("food",)


def test_renting_out_a_bus_or_a_desk_is_not_housing():
    """Invented listings: a bus for hire is transportation and a desk for rent is no housing
    help; "rental" alone is housing ("rental assistance"), not with what is rented before it."""
    from resdir.categorize.classify import suggest

    bus = suggest("Accessible Bus Rentals", "Community groups can rent our wheelchair-accessible "
                  "buses for outings, with a driver.")
    desks = suggest("Shared Workspace Rentals", "Desks and small offices by the month for "
                    "start-ups and nonprofits.")
    rent = suggest("Keep Your Home", "Rental assistance for families behind on rent.")
    assert bus.categories == ("transportation",)
    assert "housing" not in desks.categories
    assert rent.categories == ("housing",)


def test_food_shelter_and_clothing_named_up_front_are_services_on_their_own():
    """Invented listings: a corps whose lead sentence names food beside its emergency
    assistance and clothing gives food help too; a center whose lead sentence names shelter
    beside its meals gives housing too. "food", "shelter" and "clothing" need no longer phrase
    ("emergency food") to name a service where a program says what it is; said only in a
    later sentence they stay a mention."""
    from resdir.categorize.classify import suggest

    corps = suggest("Eastside Corps", "Provides emergency assistance including food and "
                    "clothing for families in immediate need.")
    mention = suggest("Eastside Corps", "Provides emergency assistance and clothing for "
                      "families in immediate need. Volunteers sort donated food on Fridays.")
    assert set(corps.categories) == {"financial", "food"}
    assert mention.categories == ("financial",)


def test_a_service_listed_in_a_later_sentence_is_a_second_category():
    """Invented listings: a clinic whose later sentence lists a support group and substance
    abuse treatment gives mental health help beside its health care; a later sentence naming
    energy assistance beside emergency food and vouchers is utilities help. A single topic word
    there ("counseling") is not enough: the listing must name a kind of service."""
    from resdir.categorize.classify import suggest

    clinic = suggest("Harbor Community Health Center", "Primary care and pediatrics for adults "
                     "and children. Services also include a weekly support group and "
                     "outpatient substance abuse treatment.")
    corps = suggest("Harbor Corps", "Provides emergency food, clothing and furniture vouchers "
                    "to low-income families. Administers energy assistance funds to prevent "
                    "a shut-off of the heat.")
    mention = suggest("Harbor Community Health Center", "Primary care and pediatrics for "
                      "adults and children. Staff refer to counseling.")
    assert clinic.categories == ("health", "mental-health")
    assert "utilities" in corps.categories
    assert mention.categories == ("health",)


def test_twelve_step_fellowships_gambling_and_false_friends_of_court_and_recovery():
    """Invented listings: a group for families of people with a drinking problem (Al-Anon,
    Alateen) and a helpline for problem gambling are mental health and recovery; a basketball
    court is no legal help and credit recovery is money help, not recovery from addiction."""
    from resdir.categorize.classify import suggest

    alanon = suggest("Al-Anon Family Groups", "Support for family and friends of people with "
                     "a drinking problem. Alateen is for teenagers.")
    gambling = suggest("Gambling Helpline", "A 24-hour line for people with a problem gambling "
                       "habit and their families.")
    center = suggest("Eastgate Community Center", "A gym with a basketball court, a computer "
                     "lab and a weekly food pantry.")
    credit = suggest("Credit Builders", "One-on-one coaching for credit recovery and a "
                     "household budget.")
    assert alanon.categories == ("mental-health",)
    assert gambling.categories == ("mental-health",)
    assert "legal" not in center.categories and center.categories[0] == "food"
    assert credit.categories == ("financial",)


def test_counseling_of_another_kind_is_not_therapy():
    """Invented listing: a program that names foreclosure counseling means that counseling by
    its later "counselors" and "confidential counseling sessions", not mental health help;
    "counseling" alone still is."""
    from resdir.categorize.classify import suggest

    foreclosure = suggest("Keep Your Home", "Foreclosure counseling for homeowners behind on "
                          "their mortgage. Our counselors meet you one-on-one and offer "
                          "confidential counseling sessions by phone.")
    therapy = suggest("Second Wind", "Confidential counseling sessions for adults, in person or "
                      "by phone.")
    assert foreclosure.categories == ("housing",)
    assert therapy.categories == ("mental-health",)


def test_a_place_in_the_name_is_not_a_second_service():
    """Invented listings: a grief support group named after the hospital that hosts it is mental
    health help; the hospital in its name does not make it health care as well (a topic word of
    the name needs SECOND_NAME_TOPIC of the best score). A name that names a clinic beside the
    group says both."""
    from resdir.categorize.classify import suggest

    group = suggest("Eastside Hospital", "A support group and individual counseling for "
                    "parents grieving the loss of a child.")
    clinic = suggest("Eastside Hospital Clinic and Support Group", "A support group for "
                     "parents grieving the loss of a child.")
    assert group.categories == ("mental-health",)
    assert set(clinic.categories) == {"mental-health", "health"}


def test_a_field_of_law_is_legal_help_and_survivors_say_who_it_is_for():
    """Invented listings: a public benefits law practice is legal help, not money help beside
    it (the benefits are what the cases are about); "survivors" says who a fund is for, so a
    fund paying survivors' rent and deposits is housing help first."""
    from resdir.categorize.classify import suggest

    benefits = suggest("Public Benefits Law", "Our attorneys help clients who were denied food "
                       "stamps, TANF or disability benefits.")
    fund = suggest("Survivor Relief Fund", "Emergency grants that help survivors pay rent and a "
                   "security deposit on a new apartment.")
    assert benefits.categories == ("legal",)
    assert fund.categories[0] == "housing"
