""""Did you mean …?" suggestions for near-miss commands and names, in English, Polish and German; merged into cards/i18n.py."""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "suggest.did_you_mean": "I didn't understand \"{text}\". Did you mean:",
        "suggest.list_not_found": "I couldn't find a distribution list \"{name}\". Did you mean:",
        "suggest.mailbox_not_found": "I couldn't find a shared mailbox \"{name}\". Did you mean:",
        "suggest.button.help": "What can I type?",
    },
    "pl": {
        "suggest.did_you_mean": "Nie rozumiem „{text}”. Czy chodziło o:",
        "suggest.list_not_found": "Nie znalazłem listy dystrybucyjnej „{name}”. Czy chodziło o:",
        "suggest.mailbox_not_found": "Nie znalazłem skrzynki współdzielonej „{name}”. Czy chodziło o:",
        "suggest.button.help": "Co mogę wpisać?",
    },
    "de": {
        "suggest.did_you_mean": "Das habe ich nicht verstanden: „{text}“. Meinten Sie:",
        "suggest.list_not_found": "Ich habe keine Verteilerliste „{name}“ gefunden. Meinten Sie:",
        "suggest.mailbox_not_found": "Ich habe kein freigegebenes Postfach „{name}“ gefunden. Meinten Sie:",
        "suggest.button.help": "Was kann ich eingeben?",
    },
}
