"""Every card the desk can send, in every state and language, validates against the Adaptive Card 1.5 schema."""

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft6Validator
from test_mailbox_cards import example_cards as mailbox_cards

from app import families
from cards.catalogue import CatalogueView, PlanLine, catalogue_card
from cards.group_membership import GroupLeaveOffer, GroupLeaveOfferView, group_leave_offer_card
from cards.help import help_card
from cards.i18n import Translator
from cards.licenses import license_form
from cards.lists import (
    BrowseSection,
    BrowseView,
    DirectoryEntry,
    ListDetailView,
    browse_card,
    create_list_form,
    list_card,
)
from cards.my_requests import my_requests_card
from cards.reports import ComplianceSection, Finding, LicenseReportView, OverAssigned, license_report_card
from cards.requests import approval_card, status_card
from cards.seat_orders import FulfilmentView, SeatFigures, SeatOfferView, fulfilment_card, seat_offer_card
from cards.sla import SlaKindLine, SlaReportView, sla_card
from cards.verbs import Verb
from cards.views import (
    DecisionView,
    LicenseFormView,
    MyRequestsView,
    PlanChoice,
    RequestSummaryView,
    RequestView,
    StepView,
)
from handlers.commands import ShowSla
from handlers.lifecycle import RequestState
from kinds.digest.commands import SetDigest
from kinds.licenses.commands import SetPrice
from kinds.licenses.report_commands import ShowLicenseReport
from kinds.registry import Registry, build_registry
from kinds.seats.commands import OrderSeats
from kinds.statistics.commands import ShowStatistics
from m365.ports import DistributionList, ListMember
from tests.unit.conftest import command_of

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "adaptive-card-1.5.schema.json").read_text())
VALIDATOR = Draft6Validator(SCHEMA)
HELP_TOPICS = build_registry(families()).help_topics()
WHEN = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
LOCALES = ["en-US", "pl-PL", "de-DE"]


def _view(state: str) -> RequestView:
    decided = state not in ("pending",)
    return RequestView(
        request_id="REQ-2026-000042",
        version=3,
        kind="license.assign",
        state=state,
        requester_name="Zofia Wiśniewska",
        target_label="Zofia Wiśniewska · Office 365 E3",
        created_at=WHEN,
        steps=(
            StepView("step.set_usage_location", {"user": "Zofia Wiśniewska", "country": "PL"}, "done"),
            StepView("step.assign_license", {"user": "Zofia Wiśniewska", "plan": "Office 365 E3"}, None),
        ),
        approver_names=("Jürgen Müller", "Emily Clarke"),
        decision=DecisionView("rejected" if state == "rejected" else "approved", "Jürgen Müller", WHEN, "budget")
        if decided
        else None,
        facts=(("request.field.free_seats", "3 / 25"),),
        error="License assignment failed" if state == "failed" else None,
    )


def _cards() -> list[tuple[str, dict]]:
    cards = []
    for locale in LOCALES:
        t = Translator(locale, "Europe/Warsaw")
        for state in RequestState:
            view = _view(state.value)
            cards.append((f"approval-{state}-{locale}", approval_card(view, t, can_decide=True, notice="note")))
            cards.append((f"status-{state}-{locale}", status_card(view, t)))
        cards.append((f"help-{locale}", help_card(t, HELP_TOPICS, greeting="Hi")))
        groups = (GroupLeaveOffer("g-1", "LIC_Office365_E3"), GroupLeaveOffer("g-2", "LIC_All_Staff"))
        for count in (1, 2):
            offer = GroupLeaveOfferView("u-1", "Tomasz Nowak", "Office 365 E3", groups[:count])
            cards.append((f"group-leave-offer-{count}-{locale}", group_leave_offer_card(offer, t)))
        plans = (PlanChoice("sku-1", "Office 365 E3", 3), PlanChoice("sku-2", "Microsoft 365 Business Basic", 0))
        cards.append((f"form-{locale}", license_form(LicenseFormView(plans=plans), t)))
        cards.append(
            (f"form-location-{locale}", license_form(LicenseFormView(plans, "sku-1", "a@b.c", True, "why"), t))
        )
        summary = RequestSummaryView("REQ-2026-000001", "dl.join", "pending", "Sales <sales@contoso.com>", WHEN)
        cards.append((f"mine-{locale}", my_requests_card(MyRequestsView(items=(summary,)), t)))
        cards.append((f"mine-empty-{locale}", my_requests_card(MyRequestsView(), t)))
        about = RequestSummaryView("REQ-2026-000002", "mailbox.revoke", "completed", "Sales <s@contoso.com>", WHEN,
                                   requested_by="M365 Desk")
        both = MyRequestsView(items=(summary,), about_me=(about,))
        cards.append((f"mine-about-me-{locale}", my_requests_card(both, t)))
        cards.append((f"mine-only-about-me-{locale}", my_requests_card(MyRequestsView(about_me=(about,)), t)))
        cards.append((f"catalogue-{locale}", catalogue_card(_catalogue(can_set_prices=True), t)))
        cards.append((f"catalogue-reader-{locale}", catalogue_card(_catalogue(can_set_prices=False), t)))
        cards.append((f"catalogue-empty-{locale}", catalogue_card(CatalogueView(), t)))
        for state in ("pending", "completed"):
            late = replace(_view(state), due_at=WHEN + timedelta(days=3), breached=True)
            cards.append((f"approval-sla-{state}-{locale}", approval_card(late, t, can_decide=True)))
            cards.append((f"status-sla-{state}-{locale}", status_card(late, t)))
        cards.append((f"sla-{locale}", sla_card(_sla_report(), t)))
        cards.extend((f"{name}-{locale}", built) for name, built in _seat_cards(t))
        cards.append((f"sla-empty-{locale}", sla_card(SlaReportView(month=date(2026, 11, 1), as_of=WHEN), t)))
        cards.extend((f"{name}-{locale}", built) for name, built in _report_cards(t))
        cards.extend((f"{name}-{locale}", built) for name, built in mailbox_cards(t))  # shared mailboxes (F6)
        cards.extend((f"{name}-{locale}", built) for name, built in _list_cards(t))
    return cards


def _list_cards(t: Translator) -> list[tuple[str, dict]]:
    """Lists and browsing (F1–F5): results in pages, a list as an owner and as a reader, the forms."""
    dl = DistributionList("dl-1", "Sales", "Sales Poland", "sales@contoso.com", "sales", ("o@contoso.com",),
                          description="Everyone selling in Poland", accepts_external_senders=True)
    entries = tuple(DirectoryEntry("list", f"dl-{n}", f"List {n}", f"l{n}@contoso.com", "about") for n in range(10))
    boxes = (DirectoryEntry("mailbox", "mb-1", "Helpdesk", "helpdesk@contoso.com"),)
    search = BrowseView("search", "sa", (BrowseSection("lists", entries, 25, 10), BrowseSection("mailboxes", boxes,
                                                                                                1, 0)), synced_at="x")
    members = tuple(ListMember(f"m{n}@contoso.com", f"Member {n}") for n in range(20))
    built = [
        ("browse-search", browse_card(search, t)),
        ("browse-empty", browse_card(BrowseView("my_lists", "", (BrowseSection("lists", (), 0, 0),)), t)),
        ("create-form", create_list_form(t, domains=["contoso.com"], name="Sales", notice="taken",
                                         values={"external": "true", "join": "Open"})),
    ]
    for owner in (True, False):
        view = ListDetailView(dl, members, 45, 20, is_member=not owner, is_owner=owner, may_manage=owner)
        built.append((f"list-owner-{owner}", list_card(view, t, notice="note" if owner else None)))
    synced = ListDetailView(replace(dl, is_dir_synced=True), (), 0, 0, False, False, True)
    built.append(("list-dir-synced", list_card(synced, t)))
    return built


def _seat_cards(t: Translator) -> list[tuple[str, dict]]:
    """Seat orders (F10): the approver's and requester's cards, the fulfiller's in each state, the offer."""
    seats = SeatFigures("Office 365 E3", purchased=25, assigned=20, change=5, resulting=30)
    built = []
    for state in ("pending", "awaiting_fulfilment", "completed", "failed"):
        view = replace(
            _view(state),
            kind="license.seats",
            target_label="Office 365 E3 · +5",
            steps=(StepView("step.order_seats", {"plan": "Office 365 E3", "change": "+5", "seats": "30"}, None),),
            facts=(("seats.field.purchased", "25"), ("seats.field.change", "+5"), ("seats.field.result", "30")),
            due_at=WHEN + timedelta(days=1),
        )
        built.append((f"seats-approval-{state}", approval_card(view, t, can_decide=True)))
        built.append((f"seats-status-{state}", status_card(view, t)))
        reference = "CSP-2026-0042" if state == "completed" else None
        for can_fulfil in (True, False):
            fulfil = FulfilmentView(view, seats, can_fulfil, reference, "Emily Clarke" if reference else None, "note")
            built.append((f"seats-fulfil-{state}-{can_fulfil}", fulfilment_card(fulfil, t)))
    reduction = SeatFigures("Microsoft 365 Business Basic", purchased=30, assigned=27, change=-3, resulting=27)
    built.append(("seats-fulfil-reduction", fulfilment_card(FulfilmentView(_view("pending"), reduction, False), t)))
    built.append(("seats-offer", seat_offer_card(SeatOfferView("sku-5", "Office 365 E5", 4, 4), t)))
    return built


def _report_cards(t: Translator) -> list[tuple[str, dict]]:
    """The license report (F11): empty, full (long lists cut, overlaps, compliance), and with its CSV link."""
    finding = Finding("disabled_account", "u1", "Jürgen Weiß", "j@contoso.com", "Office 365 E3", "ENTERPRISEPACK",
                      Decimal("22.60"), "EUR", via_group=True)
    people = tuple(replace(finding, user_id=f"u{n}") for n in range(14))
    full = LicenseReportView(
        as_of=WHEN,
        stale_days=90,
        plans=_catalogue(can_set_prices=True).plans,
        disabled=people,
        stale=(replace(finding, kind="stale_sign_in", last_sign_in=WHEN), replace(finding, kind="stale_sign_in")),
        overlaps=(replace(finding, kind="overlap", covered_by="Office 365 E5", saving=None, currency=None),),
        over_assigned=(OverAssigned("Office 365 E3", 20, 21),),
        compliance=(ComplianceSection(("Office 365 A3",), "Faculty", (replace(finding, kind="compliance"),)),),
    )
    return [
        ("report-empty", license_report_card(LicenseReportView(as_of=WHEN, stale_days=60), t)),
        ("report-full", license_report_card(full, t)),
        ("report-csv", license_report_card(replace(full, csv_url="https://desk.example/reports/abc.csv"), t)),
    ]


def _catalogue(*, can_set_prices: bool) -> CatalogueView:
    plans = (
        PlanLine("O365_BUSINESS_ESSENTIALS", "Microsoft 365 Business Basic", 30, 27, Decimal("5.60"), "EUR"),
        PlanLine("ENTERPRISEPACK", "Office 365 E3", 20, 21, Decimal("22.60"), "EUR", status="Warning"),
        PlanLine("SPB", "Microsoft 365 Business Premium", 5, 5, Decimal("86.50"), "PLN"),
        PlanLine("ENTERPRISEPREMIUM", "Office 365 E5", 4, 2),  # no price
    )
    return CatalogueView(plans=plans, can_set_prices=can_set_prices)


def _sla_report() -> SlaReportView:
    lines = (
        SlaKindLine("dl.join", 1.0, submitted=2, finished=0, on_time=0, breached=0),  # compliance not known yet
        SlaKindLine("license.assign", 3.0, submitted=7, finished=5, on_time=4, breached=2, unmeasured=1),
    )
    return SlaReportView(month=date(2026, 11, 1), as_of=WHEN, lines=lines, previous_month="2026-10")


@pytest.mark.parametrize(("name", "card"), _cards(), ids=[name for name, _ in _cards()])
def test_card_validates_against_schema(name: str, card: dict) -> None:
    errors = sorted(VALIDATOR.iter_errors(card), key=lambda e: list(e.path))
    assert not errors, f"{name}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:3])


def test_schema_check_catches_a_broken_card() -> None:
    broken = help_card(Translator("en"), HELP_TOPICS)
    broken["body"].append({"type": "TextBlock"})  # TextBlock requires text
    assert list(VALIDATOR.iter_errors(broken))


def test_approval_buttons_only_while_pending_and_for_approvers() -> None:
    t = Translator("en")
    pending = approval_card(_view("pending"), t, can_decide=True)
    verbs = [a.get("verb") for a in pending["actions"]] + [
        a["verb"] for s in pending["actions"] if s["type"] == "Action.ShowCard" for a in s["card"]["actions"]
    ]
    assert Verb.APPROVE in verbs and Verb.REJECT in verbs
    assert pending["actions"][0]["data"] == {"request_id": "REQ-2026-000042", "version": 3}
    assert "actions" not in approval_card(_view("pending"), t, can_decide=False)
    assert "actions" not in approval_card(_view("approved"), t, can_decide=True)
    decided_text = json.dumps(approval_card(_view("approved"), t, can_decide=True), ensure_ascii=False)
    assert "Approved by Jürgen Müller" in decided_text


def test_cards_are_localized() -> None:
    polish = json.dumps(approval_card(_view("pending"), Translator("pl-PL"), can_decide=True), ensure_ascii=False)
    assert "Zatwierdź" in polish and "Wymagane zatwierdzenie" in polish


@pytest.mark.parametrize("locale", LOCALES)
def test_help_mentions_seat_orders_and_the_admin_commands(locale: str, registry: Registry) -> None:
    """The commands the help card shows are ones the desk understands, in the reader's language."""
    t = Translator(locale)
    shown = json.dumps(help_card(t, registry.help_topics()), ensure_ascii=False)
    seats = re.findall(r"\*\*(.+?)\*\*", t("help.seat_orders"))
    admin = re.findall(r"\*\*(.+?)\*\*", t("help.admins"))
    assert t("help.seat_orders") in shown and t("help.admins") in shown
    assert [type(command_of(command, registry)) for command in seats] == [OrderSeats, OrderSeats]
    # The channel's example is typed after an @mention, which Teams delivers and the bot strips before parsing.
    admin = [command.removeprefix("@M365 Desk ") for command in admin]
    assert [type(command_of(command, registry)) for command in admin] == [
        ShowLicenseReport, ShowSla, ShowStatistics, SetPrice, SetDigest
    ]
