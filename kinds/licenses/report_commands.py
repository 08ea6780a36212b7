"""The admins' license report command (F11) as typed in English, Polish and German, and its parser."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ShowLicenseReport:
    """ "report licenses [N] [csv]": ``days`` as typed ("" = the configured default); the handler validates it."""

    days: str = ""
    csv: bool = False


_REPORT = re.compile(
    r"^(?:(?:show|poka[żz]|zeige?)\s+)?(?:(?:report\s+licen[cs]es|licen[cs]e\s+report)|raport\s+licencji|lizenzbericht|lizenz\s*bericht)"
    r"(?P<rest>(?:\s+\S+)*)$",
    re.IGNORECASE,
)


def parse_report(text: str, _raw: str | None = None) -> ShowLicenseReport | None:
    """The command, or None when ``text`` is not a license report command; "csv" may come before or after N."""
    found = _REPORT.match(text)
    if found is None:
        return None
    words = found.group("rest").split()
    wants_csv = any(word.casefold() == "csv" for word in words)
    days = " ".join(word for word in words if word.casefold() != "csv")
    return ShowLicenseReport(days=days, csv=wants_csv)
