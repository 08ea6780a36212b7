"""Audit chain verification and its alert to the admins, in English, Polish and German; merged into cards/i18n.py."""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "audit.broken": "⚠️ Security alert: the desk's audit log failed its integrity check on {time}. Records in the desk's database may have been changed outside the desk. Please ask your IT operators to look into it: the desk's log names the first record that does not check out.",
    },
    "pl": {
        "audit.broken": "⚠️ Alert bezpieczeństwa: dziennik audytu desku nie przeszedł kontroli integralności ({time}). Zapisy w bazie danych desku mogły zostać zmienione poza deskiem. Poproś dział IT o sprawdzenie: log desku wskazuje pierwszy zapis, który się nie zgadza.",
    },
    "de": {
        "audit.broken": "⚠️ Sicherheitswarnung: Das Audit-Protokoll des Desks hat die Integritätsprüfung am {time} nicht bestanden. Einträge in der Datenbank des Desks wurden möglicherweise außerhalb des Desks geändert. Bitte lassen Sie das von Ihrem IT-Betrieb prüfen: Das Log des Desks nennt den ersten Eintrag, der nicht stimmt.",
    },
}
