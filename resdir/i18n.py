"""Languages of the public pages (Flask-Babel): English and Spanish.

Translated: the public search, program pages and the client's hand-out (the pages a person
looking for help reads). Every other page is for staff and stays in English whatever is
chosen, so a page never mixes two languages. Program data (names, descriptions, how to
apply...) is shown as the agency wrote it; only the interface around it is translated.

The language is the person's own choice (the switch in the header, kept in a cookie that
holds nothing but the language code) or else the browser's Accept-Language.
Catalogs: resdir/translations/<lang>/LC_MESSAGES/messages.po, compiled to messages.mo and
committed (`make translations` extracts, updates and compiles them).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, has_request_context, redirect, request
from flask_babel import Babel, get_locale

LANGUAGES = {"en": "English", "es": "Español"}
DEFAULT = "en"
COOKIE = "resdir_language"
COOKIE_DAYS = 365
TRANSLATED_ENDPOINTS = frozenset({"directory.search", "directory.program",
                                  "referrals.handout", "picks.handout_page"})

babel = Babel()


def N_(text: str) -> str:
    """Marks a word for the catalog where it is defined; it is translated where shown."""
    return text


# Words the pages show from lists and data the app itself defines (not the agencies'):
# categories (data/categories.csv), capacity and program status, insurance, days, hours.
WORDS = (
    N_("Housing"), N_("Food"), N_("Transportation"), N_("Mental health"),
    N_("Financial help"), N_("Utilities"), N_("Health care"), N_("Legal help"),
    N_("Employment"), N_("Education"), N_("Child care"), N_("Safety"),
    N_("Accepting clients"), N_("Waitlist"), N_("No openings"), N_("Assessment required"),
    N_("Capacity unknown"), N_("Inactive"), N_("Defunct"), N_("Temporarily closed"),
    N_("Medicaid"), N_("Medicare"), N_("private insurance"), N_("no insurance"),
    N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
    N_("Saturday"), N_("Sunday"), N_("Closed"), N_("Open 24 hours"),
    N_("phone"), N_("email"), N_("text"), N_("in-person"),
)
bp = Blueprint("i18n", __name__)


def language_for(codes) -> str:
    """The language to write to a person in: the first of theirs we have (a client's
    languages, ISO 639-1), else the language of this page."""
    for code in codes or ():
        if code in LANGUAGES:
            return code
    return current_language()


def translated_page() -> bool:
    return has_request_context() and request.endpoint in TRANSLATED_ENDPOINTS


def select_locale() -> str:
    if not translated_page():
        return DEFAULT
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT)


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT


@bp.post("/language")
def choose():
    """Remember the chosen language and go back to the page the switch was on."""
    language = request.form.get("language", "")
    if language not in LANGUAGES:
        abort(400, description=f"language: choose one of {', '.join(LANGUAGES)}")
    back = request.form.get("next", "")
    parts = urlsplit(back)
    # Only a path on this site: never an open redirect to somewhere else.
    if not back.startswith("/") or back.startswith("//") or parts.scheme or parts.netloc:
        back = "/"
    response = redirect(back, code=303)
    response.set_cookie(COOKIE, language, max_age=COOKIE_DAYS * 86400, httponly=True,
                        samesite="Lax", secure=request.is_secure)
    return response


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)

    @app.context_processor
    def languages():
        translated = translated_page()
        return {"page_language": current_language() if translated else DEFAULT,
                "language_switch": LANGUAGES if translated else {}}
