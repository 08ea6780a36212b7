"""An incident's category suggested from what the reporter wrote (English, Polish, German): keyword stems, and
rapidfuzz for a mistyped word ("licnese", "skrzyka"); the reporter can change it on the card."""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz, process

LICENSE, MAILBOX, LIST, ACCESS, OTHER = "license", "mailbox", "list", "access", "other"
CATEGORIES = (LICENSE, MAILBOX, LIST, ACCESS, OTHER)

# Stems of the words people use, folded (lower case, no diacritics): a word starting with a stem counts. Polish and
# German inflect, so stems, not words ("licencji", "skrzynce", "Postfächer", "Verteilerliste").
STEMS: dict[str, tuple[str, ...]] = {
    LICENSE: ("licens", "licenc", "lizenz", "subscription", "subskrypc", "abonnement", "e3", "e5", "copilot",
              "business premium", "business standard", "business basic", "activation", "aktywac", "aktivier"),
    MAILBOX: ("mailbox", "outlook", "e-mail", "email", "inbox", "calendar", "skrzyn", "poczt", "kalendarz",
              "postfach", "postfaech", "kalender", "posteingang", "send as", "full access"),
    LIST: ("distribution", "mailing list", "dystrybuc", "lista", "listy", "liste", "list", "verteiler"),
    ACCESS: ("access", "permission", "password", "sign in", "signin", "login", "log in", "locked", "mfa",
             "dostep", "uprawnien", "haslo", "logowan", "zalogowa", "zablokowan",
             "zugriff", "berechtigung", "passwort", "kennwort", "anmeld", "gesperrt"),
}
# Whole words for the fuzzy pass (a mistyped word is matched to one of these, not to a stem).
_WORDS: dict[str, str] = {
    word: category
    for category, words in {
        LICENSE: ("license", "licence", "licencja", "lizenz", "subscription"),
        MAILBOX: ("mailbox", "outlook", "skrzynka", "postfach", "calendar", "kalender"),
        LIST: ("distribution", "verteiler", "verteilerliste", "dystrybucyjna"),
        ACCESS: ("access", "permission", "password", "dostęp", "uprawnienia", "zugriff", "berechtigung", "passwort"),
    }.items()
    for word in words
}
FUZZY_MIN = 85.0  # "licnese" ≈ "license" 86, "skrzyka" ≈ "skrzynka" 93; "list" ≈ "last" 75 is not one
_FUZZY_SHORTEST = 5  # shorter words are too easily near one another ("lost", "list")
# Ties go to the more specific category: a mailbox or list problem is usually also "access".
_ORDER = (LICENSE, MAILBOX, LIST, ACCESS)


def fold(text: str) -> str:
    """Lower case without diacritics, whitespace collapsed ("Dostęp do skrzynki" → "dostep do skrzynki")."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ł", "l").replace("ß", "ss"))
    return re.sub(r"\s+", " ", "".join(c for c in decomposed if not unicodedata.combining(c))).strip()


def suggest_category(text: str) -> str:
    """The category the text most likely belongs to; ``other`` when nothing in it points anywhere."""
    folded = fold(text)
    words = re.findall(r"[\w-]+", folded)
    score = dict.fromkeys(_ORDER, 0.0)
    for category, stems in STEMS.items():
        for stem in stems:
            if " " in stem:
                score[category] += folded.count(stem)
            else:
                score[category] += sum(1 for word in words if word.startswith(stem))
    folded_words = {fold(word): category for word, category in _WORDS.items()}
    for word in words:
        if len(word) < _FUZZY_SHORTEST or any(word.startswith(stem) for stems in STEMS.values() for stem in stems):
            continue
        found = process.extractOne(word, list(folded_words), scorer=fuzz.ratio, score_cutoff=FUZZY_MIN)
        if found is not None:
            score[folded_words[found[0]]] += 0.5  # a guess from a typo weighs less than a word as written
    best = max(_ORDER, key=lambda category: (score[category], -_ORDER.index(category)))
    return best if score[best] > 0 else OTHER
