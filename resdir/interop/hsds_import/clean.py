"""Reading one messy value: text and HTML, ZIP codes, states, coordinates, times, weekdays,
dates, statuses, numbers and languages. Each repair is reported with the record's place.

HTML policy: resdir stores plain text (pages escape it when they show it). Markup found in
a text field is turned into plain text with nh3 (list items become "- " lines, paragraphs
and line breaks become new lines, every other tag is dropped with its attributes; the
contents of script and style elements are dropped too), entities are decoded, and the
repair is reported.
"""

from __future__ import annotations

import html
import re
from datetime import date, time

import nh3

from resdir.geo import normalize_zip
from resdir.interop.hsds_import.parse import parse_date, parse_days, parse_time
from resdir.interop.hsds_import.report import ImportReport
from resdir.interop.hsds_import.tables import Rec
from resdir.values import http_url_problem

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_BLOCK = re.compile(r"<\s*(br|/p|p|/div|div|/li|/ul|/ol|/h\d|tr)\b[^>]*>", re.I)
_ITEM = re.compile(r"<\s*li\b[^>]*>", re.I)
# Line breaks a source escaped once too often ("funding.\\n\\nNote: ...", 211 Miami's
# descriptions): a backslash-n after a sentence's end, a space or a word's colon (not a
# drive letter's: "C:\\new"), or before another one.
_ESCAPED_BREAK = re.compile(r"([.!?;)\s]|\w\w:)\\[nr]|\\[nr](\\[nr]|\s|$)")
_BARE_DOMAIN = re.compile(r"^(www\.)?[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}([/?#:]|$)", re.I)
_ACTIVE_WORDS = {"verified", "vetted", "not vetted", "verification in progress", "open",
                 "available", "approved", "published", "current", "yes", "true"}
_STATUS_WORDS = {"active": "active", "inactive": "inactive", "defunct": "defunct",
                 "temporarily closed": "temporarily closed", "closed": "inactive",
                 "temporarily_closed": "temporarily closed", "suspended": "temporarily closed"}


def looks_like_html(text: str) -> bool:
    return bool(_TAG.search(text))


def plain_text(text: str) -> str:
    """Markup to plain text (see the module's HTML policy)."""
    text = _ITEM.sub("\n- ", text)
    text = _BLOCK.sub("\n", text)
    text = html.unescape(nh3.clean(text, tags=set(), attributes={}))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _unescape_breaks(text: str) -> str:
    text = text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\\r", "\n")
    lines = [line.rstrip() for line in text.replace("\\t", " ").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def unique(recs: list[Rec], report: ImportReport, details: bool = False) -> list[Rec]:
    """Records with distinct ids. An object repeated elsewhere (nested in another JSON
    object, or in another file) is merged into its first copy; an id repeated within one
    table file is a duplicate row, skipped and reported. With `details` (languages, phones,
    hours), a repeated id on a row that says something else is kept: 211 Miami's
    languages.csv gives every language row of a program the program's id."""
    first: dict[str, Rec] = {}
    out: list[Rec] = []
    kept: list[Rec] = []
    for rec in recs:
        key = rec.get("id")
        if not key:
            out.append(rec)
            continue
        seen = first.get(key)
        if seen is None:
            first[key] = rec
            out.append(rec)
        elif rec.nested or seen.nested or rec.file != seen.file:
            for name, value in rec.data.items():
                if value not in (None, "") and seen.data.get(name) in (None, ""):
                    seen.data[name] = value
        elif details and _differs(rec, seen):
            rec.data["id"] = f"{key}#{rec.row}"
            out.append(rec)
            kept.append(rec)
        else:
            report.skipped(rec.file, rec.row, "id", f"duplicate id {key!r} (first on row "
                                                    f"{seen.row}); this row is ignored")
    if kept:
        more = f" (and {len(kept) - 1} more rows)" if len(kept) > 1 else ""
        report.repaired(kept[0].file, kept[0].row, "id", f"the id of an earlier row, with other "
                        f"values{more}; kept as rows of their own")
    return out


def _differs(rec: Rec, seen: Rec) -> bool:
    return any(rec.data.get(k) != seen.data.get(k) for k in rec.data if k != "id")


def ids(rec: Rec, name: str, clean: Cleaner) -> list[str]:
    """The ids in a reference cell; a comma-joined list (reported) gives several."""
    raw = rec.get(name)
    if "," not in raw:
        return [raw] if raw else []
    found = [p.strip() for p in raw.split(",") if p.strip()]
    if len(found) > 1:
        clean.repaired(rec, name, f"{len(found)} ids in one cell; applied to each")
    return found


class Cleaner:
    """Value readers that report what they repair, at the record being read."""

    def __init__(self, report: ImportReport):
        self.report = report

    def repaired(self, rec: Rec, name: str, reason: str) -> None:
        self.report.repaired(rec.file, rec.row, rec.column(name), reason)

    def skipped(self, rec: Rec, name: str, reason: str) -> None:
        self.report.skipped(rec.file, rec.row, rec.column(name), reason)

    # -- text -----------------------------------------------------------------------------
    def text(self, rec: Rec, name: str, limit: int | None = None, value=None) -> str | None:
        raw = rec.get(name) if value is None else str(value).strip()
        if not raw:
            return None
        if looks_like_html(raw):
            clean = plain_text(raw)
            if clean != raw:
                self.repaired(rec, name, "HTML converted to plain text")
            raw = clean
        if _ESCAPED_BREAK.search(raw):
            raw = _unescape_breaks(raw)
            self.repaired(rec, name, "escaped line breaks (\\n) turned into line breaks")
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1].strip()
            self.repaired(rec, name, "surrounding quotes removed")
        if limit and len(raw) > limit:
            self.repaired(rec, name, f"cut to {limit} characters (was {len(raw)})")
            raw = raw[:limit].rstrip()
        return raw or None

    def url(self, rec: Rec, name: str, limit: int | None = None) -> str | None:
        """A web address: `www.example.org` gains `https://` (reported); anything else that
        is no http(s) address is left out (reported): `javascript:` or `data:` would run in
        the browser of whoever clicks the link, and real feeds hold "N/A" and e-mail
        addresses here, which should not stop a whole import."""
        raw = self.text(rec, name, limit)
        if raw is None:
            return None
        if "://" not in raw and _BARE_DOMAIN.match(raw) and (not limit or len(raw) + 8 <= limit):
            raw = "https://" + raw
            self.repaired(rec, name, "https:// added")
        if reason := http_url_problem(raw):
            self.skipped(rec, name, f"{reason}; left out")
            return None
        return raw

    # -- places ---------------------------------------------------------------------------
    def zip_code(self, rec: Rec, name: str, limit: int = 10) -> str:
        raw = rec.get(name)
        code = normalize_zip(raw)
        if code is None and raw:
            digits = re.sub(r"[^\d-]", "", raw)
            code = normalize_zip(digits) if len(digits) in (5, 9, 10) else None
        if code is None:
            if raw:
                self.repaired(rec, name, f"{raw!r} is not a US ZIP code; kept as given")
            return raw[:limit]
        if code != raw:
            self.repaired(rec, name, f"{raw!r} normalized to {code}")
        return code

    def state(self, rec: Rec, name: str) -> str:
        rec.used.add(name)
        raw = rec.data.get(name) or ""
        raw = str(raw)
        value = raw.strip()
        if len(value) == 2:
            value = value.upper()
        if value != raw:
            self.repaired(rec, name, f"{raw!r} normalized to {value!r}")
        return value[:60]

    def coordinates(self, rec: Rec) -> tuple[float | None, float | None]:
        lat_raw, lon_raw = rec.get("latitude"), rec.get("longitude")
        if not lat_raw and not lon_raw:
            return None, None
        try:
            lat, lon = float(lat_raw), float(lon_raw)
        except ValueError:
            self.repaired(rec, "latitude", f"({lat_raw!r}, {lon_raw!r}) are not coordinates; "
                          "dropped")
            return None, None
        if lat == 0 and lon == 0:
            self.repaired(rec, "latitude", "(0, 0) is not a real place; dropped")
            return None, None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            if -90 <= lon <= 90 and -180 <= lat <= 180:
                self.repaired(rec, "latitude", f"latitude and longitude swapped ({lat}, {lon})")
                return lon, lat
            self.repaired(rec, "latitude", f"({lat}, {lon}) is out of range; dropped")
            return None, None
        return lat, lon

    # -- times and days -------------------------------------------------------------------
    def time_of_day(self, rec: Rec, name: str) -> time | None:
        raw = rec.get(name)
        if not raw:
            return None
        low = raw.lower()
        if low in ("noon", "midday"):
            value = time(12, 0)
        elif low in ("midnight", "24 hours", "24 hrs", "24hrs", "24/7", "24:00"):
            value = time(0, 0)
        else:
            value = parse_time(raw)
        if value is None:
            self.skipped(rec, name, f"{raw!r} is not a time of day")
            return None
        if not re.fullmatch(r"\d{2}:\d{2}(:\d{2})?", raw):
            self.repaired(rec, name, f"{raw!r} read as {value:%H:%M}")
        return value

    def weekdays(self, rec: Rec, name: str, raw: str | None = None) -> list[int]:
        """Day numbers (0 = Monday) from a name, an HSDS 1.1 number (1 = Monday), an iCal
        code or a list or range of them; [] (reported) when none can be read."""
        raw = rec.get(name) if raw is None else raw
        days = parse_days(raw)
        if days is None:
            reason = "is blank" if not raw else f"{raw!r} is not a day of the week"
            self.skipped(rec, name, reason)
            return []
        if raw.strip().isdigit() and raw.strip() == "0":
            self.repaired(rec, name, "0 read as Sunday")
        return days

    def day(self, rec: Rec, name: str) -> date | None:
        raw = rec.get(name)
        if not raw:
            return None
        value = parse_date(raw)
        if value is None:
            self.skipped(rec, name, f"{raw!r} is not a date")
        elif raw != value.isoformat():
            self.repaired(rec, name, f"{raw!r} read as {value.isoformat()}")
        return value

    # -- the rest -------------------------------------------------------------------------
    def status(self, rec: Rec, name: str = "status") -> str:
        raw = rec.get(name)
        low = " ".join(raw.lower().replace("_", " ").split())
        if low in _STATUS_WORDS:
            return _STATUS_WORDS[low]
        if not low:
            self.repaired(rec, name, "blank; set to 'active'")
        elif low in _ACTIVE_WORDS:
            self.repaired(rec, name, f"{raw!r} read as 'active'")
        else:
            self.repaired(rec, name, f"unknown status {raw!r}; set to 'active'")
        return "active"

    def integer(self, rec: Rec, name: str, low: int, high: int) -> int | None:
        raw = rec.get(name)
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            self.repaired(rec, name, f"{raw!r} is not a number; dropped")
            return None
        if not value.is_integer() or not low <= value <= high:
            self.repaired(rec, name, f"{raw!r} is not a whole number in {low}..{high}; dropped")
            return None
        return int(value)

    def number(self, rec: Rec, name: str) -> float | None:
        raw = rec.get(name).lstrip("$")
        if not raw:
            return None
        try:
            return float(raw.replace(",", ""))
        except ValueError:
            self.repaired(rec, name, f"{raw!r} is not a number; dropped")
            return None
