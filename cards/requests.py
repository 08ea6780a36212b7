"""Cards that show one request: the approver's card (with Approve / Reject) and the requester's status card."""

from __future__ import annotations

from cards.elements import Element, card, execute, facts, text, title
from cards.i18n import Translator
from cards.verbs import Verb
from cards.views import DecisionView, RequestView

_STATE_COLOURS = {
    "pending": "Warning",
    "approved": "Accent",
    "executing": "Accent",
    "awaiting_fulfilment": "Accent",
    "completed": "Good",
    "failed": "Attention",
    "rejected": "Attention",
    "cancelled": "Default",
    "expired": "Default",
}


def approval_card(view: RequestView, t: Translator, *, can_decide: bool, notice: str | None = None) -> Element:
    """The card every approver sees; buttons only while the request waits and this reader may decide."""
    body = [title(t("approval.title")), *_summary(view, t, for_approver=True)]
    if notice:
        body.insert(1, text(notice, color="Attention"))
    actions: list[Element] = []
    if can_decide and view.state == "pending":
        click = {"request_id": view.request_id, "version": view.version}
        actions = [
            execute(t("approval.approve"), Verb.APPROVE, click, style="positive"),
            *([execute(t("editing.edit"), Verb.EDIT_REQUEST, click)] if view.editable else []),
            {
                "type": "Action.ShowCard",
                "title": t("approval.reject"),
                "card": {
                    "type": "AdaptiveCard",
                    "body": [
                        {
                            "type": "Input.Text",
                            "id": "reason",
                            "label": t("approval.reject_reason"),
                            "isMultiline": True,
                            "maxLength": 500,
                        }
                    ],
                    "actions": [execute(t("approval.confirm_reject"), Verb.REJECT, click, style="destructive")],
                },
            },
        ]
    return card(body, actions)


def status_card(view: RequestView, t: Translator, *, notice: str | None = None) -> Element:
    """The requester's own card, updated in place as the request moves on; it can be withdrawn while it waits."""
    body = [title(f"{t('request.kind.' + view.kind)} · {view.request_id}"), *_summary(view, t, for_approver=False)]
    if notice:
        body.insert(1, text(notice, color="Attention"))
    actions = [execute(t("help.button.my_requests"), Verb.MY_REQUESTS, {})]
    if view.state == "pending":
        click = {"request_id": view.request_id}
        confirm = execute(t("withdraw.confirm_button"), Verb.WITHDRAW, click, style="destructive")
        actions.append(
            {
                "type": "Action.ShowCard",
                "title": t("withdraw.button"),
                "card": {"type": "AdaptiveCard", "body": [text(t("withdraw.confirm"))], "actions": [confirm]},
            }
        )
    if view.state == "expired":
        # Nobody decided in time (F15): one click files the same request again, validated and routed anew.
        actions.append(execute(t("workflow.ask_again.button"), Verb.ASK_AGAIN, {"request_id": view.request_id}))
    return card(body, actions)


def _summary(view: RequestView, t: Translator, *, for_approver: bool) -> list[Element]:
    pairs = [
        (t("request.field.id"), view.request_id),
        (t("request.field.kind"), t("request.kind." + view.kind)),
        (t("request.field.requester"), view.requester_name),
        (t("request.field.target"), view.target_label),
        (t("request.field.created"), t.datetime(view.created_at)),
    ]
    if view.due_at is not None:
        pairs.append((t("request.field.due"), t.datetime(view.due_at)))
    if view.approver_names:
        pairs.append((t("request.field.approvers"), ", ".join(view.approver_names)))
    if for_approver:
        pairs.extend((t(label_key), value) for label_key, value in view.facts)
    elements: list[Element] = [facts(pairs), text(t("request.field.change"), weight="Bolder")]
    for step in view.steps:
        line = "• " + t(step.message_key, **step.params)
        if step.status:
            line += f" — {t('step.status.' + step.status)}"
        elements.append(text(line))
    elements.append(
        text(
            f"{t('request.field.state')}: {t('request.state.' + view.state)}",
            weight="Bolder",
            color=_STATE_COLOURS.get(view.state),
        )
    )
    if view.stage is not None:
        for number, name in view.stage.approvals:
            elements.append(text(t("stages.approved_at", name=name, number=number), subtle=True))
        if view.state == "pending":
            who = stage_name(view.stage.who, t)
            elements.append(text(t("stages.current", number=view.stage.number, total=view.stage.total, who=who)))
    if view.breached:
        elements.append(text(t("request.sla_breached"), color="Attention", weight="Bolder"))
    if view.decision:
        decided = t(
            "approval.decided." + view.decision.outcome,
            name=decider_name(view.decision, t),
            time=t.datetime(view.decision.decided_at),
        )
        elements.append(text(decided, subtle=True))
        if view.decision.reason:
            elements.append(text(f"{t('request.field.reason')}: {view.decision.reason}", subtle=True))
    if view.error:
        elements.append(text(f"{t('request.field.error')}: {view.error}", color="Attention"))
    return elements


# Who decides at an approval stage (F14), as cards and messages name them.
_STAGE_NAMES = {
    "manager": "stages.who.manager",
    "owners": "stages.who.owners",
    "admins": "stages.who.admins",
    "fulfillers": "stages.who.fulfillers",
    "group": "stages.who.group",
}


def stage_name(who: str, t: Translator) -> str:
    return t(_STAGE_NAMES.get(who, "stages.who.group"))


def decider_name(decision: DecisionView, t: Translator) -> str:
    """Who decided, as cards and messages say it: "Anna Nowak for Jan Kowalski" when a delegate decided (F15)."""
    if decision.on_behalf_of_name:
        return t("delegation.decided_for", name=decision.approver_name, principal=decision.on_behalf_of_name)
    return decision.approver_name
