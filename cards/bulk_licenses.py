"""The reply to a pasted list of people for a license: each line, whether it was filed, and why not."""

from __future__ import annotations

from dataclasses import dataclass

from cards.elements import Element, card, execute, facts, text, title
from cards.i18n import Translator
from cards.verbs import Verb


@dataclass(frozen=True, slots=True)
class BulkLine:
    entry: str  # the line as typed
    person: str | None = None  # "Display Name <upn>" when found
    reason: str | None = None  # None = valid; else why it was not filed (already localized)


@dataclass(frozen=True, slots=True)
class BulkReportView:
    plan: str
    lines: tuple[BulkLine, ...]
    request_id: str | None = None  # None = nothing was filed
    approvers: str = ""


def bulk_report_card(view: BulkReportView, t: Translator) -> Element:
    valid = [line for line in view.lines if line.reason is None]
    invalid = [line for line in view.lines if line.reason is not None]
    body: list[Element] = [title(t("license.bulk.title", plan=view.plan))]
    body.append(facts([(t("license.bulk.valid"), str(len(valid))), (t("license.bulk.invalid"), str(len(invalid)))]))
    if view.request_id:
        body.append(text(t("license.bulk.filed", request_id=view.request_id, approvers=view.approvers), color="Good"))
    else:
        body.append(text(t("license.bulk.nothing_filed"), color="Attention"))
    if valid:
        body.append(text(t("license.bulk.valid"), weight="Bolder"))
        body.extend(text(f"✓ {line.entry} → {line.person or line.entry}") for line in valid)
    if invalid:
        body.append(text(t("license.bulk.invalid"), weight="Bolder", color="Attention"))
        body.extend(text(f"✗ {line.entry} — {line.reason}") for line in invalid)
    return card(body, [execute(t("help.button.my_requests"), Verb.MY_REQUESTS, {})])
