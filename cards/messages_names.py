"""Choosing a resource by exact name (several candidates) and refusing too-long input, in English, Polish and German; merged into cards/i18n.py."""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "names.choose.lists": "{count} distribution lists are called \"{name}\". Which one do you mean?",
        "names.choose.mailboxes": "{count} shared mailboxes are called \"{name}\". Which one do you mean?",
        "names.choose.more": "…and {count} more. Type the address of the one you mean.",
        "names.too_long.message": "That message is too long for me ({length} characters; at most {max}). Send one "
                                  "command at a time, or split a long list of people into several messages.",
        "names.too_long.name": "\"{start}…\" is too long to be a name ({length} characters; a name has at most "
                               "{max}). Please check what you pasted.",
        "names.too_long.address": "\"{start}…\" is too long to be an e-mail address ({length} characters; an "
                                  "address has at most {max}). Please check what you pasted.",
    },
    "pl": {
        "names.choose.lists": "Nazwę \"{name}\" ma kilka list dystrybucyjnych ({count}). O którą chodzi?",
        "names.choose.mailboxes": "Nazwę \"{name}\" ma kilka skrzynek współdzielonych ({count}). O którą chodzi?",
        "names.choose.more": "…i {count} więcej. Wpisz adres tej, o którą chodzi.",
        "names.too_long.message": "Ta wiadomość jest dla mnie za długa ({length} znaków; najwyżej {max}). Wysyłaj "
                                  "jedno polecenie naraz, a długą listę osób podziel na kilka wiadomości.",
        "names.too_long.name": "\"{start}…\" jest za długie jak na nazwę ({length} znaków; nazwa ma najwyżej "
                               "{max}). Sprawdź, co zostało wklejone.",
        "names.too_long.address": "\"{start}…\" jest za długie jak na adres e-mail ({length} znaków; adres ma "
                                  "najwyżej {max}). Sprawdź, co zostało wklejone.",
    },
    "de": {
        "names.choose.lists": "{count} Verteilerlisten heißen \"{name}\". Welche meinen Sie?",
        "names.choose.mailboxes": "{count} freigegebene Postfächer heißen \"{name}\". Welches meinen Sie?",
        "names.choose.more": "…und {count} weitere. Geben Sie die Adresse der gemeinten ein.",
        "names.too_long.message": "Diese Nachricht ist mir zu lang ({length} Zeichen; höchstens {max}). Senden Sie "
                                  "einen Befehl nach dem anderen und teilen Sie lange Personenlisten auf mehrere "
                                  "Nachrichten auf.",
        "names.too_long.name": "\"{start}…\" ist zu lang für einen Namen ({length} Zeichen; ein Name hat höchstens "
                               "{max}). Bitte prüfen Sie, was Sie eingefügt haben.",
        "names.too_long.address": "\"{start}…\" ist zu lang für eine E-Mail-Adresse ({length} Zeichen; eine Adresse "
                                  "hat höchstens {max}). Bitte prüfen Sie, was Sie eingefügt haben.",
    },
}
