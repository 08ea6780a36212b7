"""Refusals of malformed or oversized input at the Teams edge, in English, Polish and German; merged into cards/i18n.py."""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "en": {},
    "pl": {},
    "de": {},
}
