"""Refusals of malformed or oversized input at the Teams edge, in English, Polish and German; merged into cards/i18n.py."""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "en": {
        # A click on a button this version of the desk no longer knows (an old card, or a forged action).
        "input.unknown_action": "This button is no longer supported. Type **help** to see what I can do.",
    },
    "pl": {
        "input.unknown_action": "Ten przycisk nie jest już obsługiwany. Napisz **pomoc**, aby zobaczyć, co potrafię.",
    },
    "de": {
        "input.unknown_action": (
            "Diese Schaltfläche wird nicht mehr unterstützt. Schreiben Sie **Hilfe**, um zu sehen, was ich kann."
        ),
    },
}
