"""The public pages in Spanish (issue 10): the person picks the language (the header's
switch, remembered in a cookie holding only the language) or the browser asks for it; the
interface is translated, the program's own text stays as the agency wrote it, and staff
pages stay in English."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from resdir.directory import models as m
from resdir.extensions import db

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "resdir" / "translations"
SPANISH = {"Accept-Language": "es-US,es;q=0.9,en;q=0.5"}


def program_id(app, name):
    with app.app_context():
        return db.session.query(m.Service.id).filter_by(name=name).scalar()


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_program_page_in_spanish_keeps_the_agencys_words(app, mini, client):
    page = text_of(client.get(f"/programs/{program_id(app, 'Sliding Scale Counseling')}",
                              headers=SPANISH))
    assert '<html lang="es">' in page
    for spanish in ("Quién puede recibirlo", "Horario", "Cómo solicitarlo", "Lunes",
                    "Edades de 18 años o más", "Salud mental", "Ir al contenido"):
        assert spanish in page, spanish
    assert "Who can get it" not in page and "How to apply" not in page
    # The program as the agency wrote it, untranslated.
    assert "<h1>Sliding Scale Counseling</h1>" in page
    assert ("Individual and family counseling with licensed therapists for depression, "
            "anxiety and grief.") in page
    # Language names in the reader's language.
    assert "inglés" in page and "nepalí" in page


def test_search_in_spanish_keeps_the_programs_as_written(mini, client):
    page = text_of(client.get("/?q=food&zip=15213", headers=SPANISH))
    assert '<html lang="es">' in page
    for spanish in ("Buscar programas", "¿Qué necesita?", "Código postal", "Categorías",
                    "a 10 millas o menos de Pittsburgh, PA 15213", "Alimentos"):
        assert spanish in page, spanish
    assert re.search(r"\d+ programas? a 10 millas", page)
    assert "What do you need?" not in page and "Find programs" not in page
    # The program's own words, as the agency wrote them (the word that matched "food",
    # its synonym "groceries", highlighted), not translated.
    assert "Hilltop Food Pantry" in page
    assert "Free <mark>groceries</mark> and fresh produce every week." in page


def test_zip_the_search_cannot_place_is_explained_in_spanish(mini, client):
    page = client.get("/?zip=99999", headers=SPANISH)
    assert page.status_code == 400
    assert ("No conocemos el código postal 99999. Revíselo o busque sin código postal."
            in text_of(page))
    # The JSON API speaks English to programs, whatever the caller's browser says.
    answer = client.get("/api/v1/search?zip=99999", headers=SPANISH)
    assert "We don't know ZIP 99999" in answer.get_data(as_text=True)


def test_browser_language_decides_until_the_person_chooses(app, mini, client):
    rent = f"/programs/{program_id(app, 'Emergency Rent Assistance')}"
    english = text_of(client.get(rent, headers={"Accept-Language": "en-US,en;q=0.9"}))
    assert '<html lang="en">' in english and "Who can get it" in english
    assert ("Household income at or below 200% of the federal poverty guideline"
            in english)

    # The switch: a button in the header, remembered in a cookie with just the language.
    chosen = client.post("/language", data={"language": "es", "next": rent,
                                            "csrf_token": _token(client, rent)})
    assert chosen.status_code == 303 and chosen.headers["Location"] == rent
    cookie = client.get_cookie("resdir_language")
    assert cookie.value == "es" and cookie.http_only
    spanish = text_of(client.get(rent, headers={"Accept-Language": "en-US,en;q=0.9"}))
    assert '<html lang="es">' in spanish
    assert ("Ingresos del hogar iguales o menores al 200% del nivel federal de pobreza"
            in spanish)
    assert 'value="en" lang="en"' in spanish  # the way back to English

    # Staff pages stay English, whole, whatever was chosen.
    login = text_of(client.get("/login"))
    assert '<html lang="en">' in login and "Sign in" in login


def _token(client, path):
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(True))
    assert found, "no language switch on " + path
    return found.group(1)


@pytest.mark.parametrize("back", ["//evil.example/", "https://evil.example/", "javascript:x"])
def test_switch_never_sends_people_off_the_site(mini, client, back):
    chosen = client.post("/language", data={"language": "es", "next": back,
                                            "csrf_token": _token(client, "/")})
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/"


def test_unknown_language_is_refused_by_name(mini, client):
    refused = client.post("/language", data={"language": "xx", "next": "/",
                                             "csrf_token": _token(client, "/")})
    assert refused.status_code == 400
    assert "language" in refused.get_data(as_text=True)
    assert client.get_cookie("resdir_language") is None


def test_handout_in_spanish(app, people, client):
    from resdir.auth.models import User
    from resdir.matching.operations import create_client
    from resdir.referrals.operations import create_referral

    with app.app_context():
        coord = db.session.get(User, people.ids["coord_a"])
        found = create_client(coord, {"name": "Marisol Quintanilla-Ferreira", "zip": "15213",
                                      "needs": ["food-insecurity"]})
        referral = create_referral(coord, {
            "client_id": found.id, "service_id": program_id(app, "Hilltop Food Pantry"),
            "need": "food-insecurity", "contact_preference": "phone",
            "consent": {"given": True, "method": "verbal", "scope": "Name and ZIP"}})
        db.session.commit()
        referral_id = referral.id
    people.login(client, "coord_a")
    page = text_of(client.get(f"/referrals/{referral_id}/handout", headers=SPANISH))
    assert '<html lang="es">' in page
    for spanish in ("Dónde", "Cuándo", "Próximos pasos", "Sábado",
                    "El programa puede comunicarse con usted por teléfono."):
        assert spanish in page, spanish
    assert "<h1>Hilltop Food Pantry</h1>" in page
    assert "Free groceries and fresh produce every week. Bring a bag." in page


def _key(text):
    return tuple(text) if isinstance(text, list | tuple) else text


def test_committed_catalogs_are_compiled_from_their_po_files():
    """The .mo files are committed (no build step); they must say what the .po files say,
    and every interface text must have a Spanish translation."""
    for po_path in CATALOGS.glob("*/LC_MESSAGES/messages.po"):
        with po_path.open("rb") as f:
            messages = [msg for msg in read_po(f) if msg.id]
        assert [msg.id for msg in messages if msg.fuzzy] == [], f"{po_path}: fuzzy entries"
        po = {_key(msg.id): _key(msg.string) for msg in messages}
        with po_path.with_suffix(".mo").open("rb") as f:
            mo = {_key(msg.id): _key(msg.string) for msg in read_mo(f) if msg.id}
        assert mo == po, f"{po_path}: run `make translations`"
        untranslated = [k for k, v in po.items() if not (all(v) if isinstance(v, tuple) else v)]
        assert untranslated == [], f"{po_path}: untranslated"
    in_code = {message for _file, _line, message, _comments, _context
               in extract_from_dir(ROOT, method_map=[("resdir/**.py", "python"),
                                                     ("templates/**.html", "jinja2"),
                                                     ("templates/**.txt", "jinja2")])}
    missing = sorted(str(m) for m in in_code if m and _key(m) not in po)
    assert missing == [], "catalog behind the code: run `make translations`"


def test_picked_programs_handout_in_spanish_printed_and_emailed(app, people, api, csrf_token,
                                                               mailbox):
    """The one hand-out for all picked programs: printed in the page's language, e-mailed
    in the client's own language (Spanish for a Spanish speaker, whatever the page)."""
    coord = people.login(app.test_client(), "coord_a")
    csrf = csrf_token(coord, "/picks")
    coord.post("/picks", data={"csrf_token": csrf, "next": "/",
                               "service_id": program_id(app, "Hilltop Food Pantry")})
    printed = text_of(coord.get("/picks/handout", headers=SPANISH))
    assert '<html lang="es">' in printed
    for spanish in ("Programas que su equipo de atención encontró para usted", "Dónde:",
                    "Hoy:", "Cómo solicitarlo", "¿Preguntas?", "Sábado"):
        assert spanish in printed, spanish
    assert "Hilltop Food Pantry" in printed and "Hilltop Community Pantry" in printed
    assert re.search(r"\d{1,2} de [a-z]+ de \d{4}", printed)  # the date, in Spanish

    for name, languages in (("Rosalía Etxeberria", ["es", "en"]), ("Maren Lindqvist", ["en"])):
        found = api("POST", "/api/v1/clients", json={
            "name": name, "zip": "15219", "languages": languages,
            "email": "client@example.org", "email_ok": True}).get_json()["id"]
        sent = coord.post("/picks/handout/email", data={"csrf_token": csrf, "client_id": found})
        assert sent.status_code == 303
    spanish, english = mailbox.messages
    assert spanish["Subject"] == "Programas que su equipo de atención encontró para usted"
    assert "Cómo solicitarlo:" in spanish.get_content()
    assert "Hilltop Food Pantry" in spanish.get_content()
    assert english["Subject"] == "Programs your care team found for you"
    assert "How to apply:" in english.get_content()
