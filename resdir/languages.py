"""Language names and codes as people and files write them ('Spanish', 'es', 'spa',
'Chinese (Mandarin)') to ISO 639 codes: one reading for imports and the client form."""

from __future__ import annotations

import re

from babel import Locale

_LANGUAGE_ALIASES = {"mandarin": "zh", "chinese": "zh", "farsi": "fa", "asl": "ase",
                     "sign language": "ase", "filipino": "tl", "cantonese": "yue",
                     "creole": "ht", "haitian creole": "ht", "toishanese": "zh"}


def language_code(text: str) -> str | None:
    """An ISO 639 code for a language name or code ('Spanish', 'es', 'spa'); None if unknown."""
    low = " ".join(text.strip().lower().split())
    if not low:
        return None
    names = _language_names()
    if re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]+)?", low) and low.split("-")[0] in names.values():
        return low.split("-")[0]
    if low in _LANGUAGE_ALIASES:
        return _LANGUAGE_ALIASES[low]
    if low in names:
        return names[low]
    inner = re.match(r"^(.*?)\s*\((.*)\)$", low)  # "Chinese (Mandarin)"
    if inner:
        return language_code(inner.group(2)) or language_code(inner.group(1))
    return None


_NAMES: dict[str, str] = {}
_THREE_LETTER = {"eng": "en", "spa": "es", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de",
                 "zho": "zh", "chi": "zh", "ara": "ar", "rus": "ru", "vie": "vi", "kor": "ko",
                 "por": "pt", "urd": "ur", "hin": "hi", "tgl": "tl", "amh": "am", "fas": "fa"}


def _language_names() -> dict[str, str]:
    if not _NAMES:
        for code, name in Locale("en").languages.items():
            if "_" not in code:
                _NAMES.setdefault(name.lower(), code)
        _NAMES.update(_THREE_LETTER)
    return _NAMES
