"""Refused clicks and decisions (who may see and decide a request), in English, Polish and German; merged into cards/i18n.py."""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "en": {},
    "pl": {},
    "de": {},
}
