"""The license request form: plan, person and, when the directory lacks it, the usage location."""

from __future__ import annotations

from cards.elements import Element, card, execute, text, title
from cards.i18n import Translator
from cards.verbs import Verb
from cards.views import LicenseFormView


def license_form(view: LicenseFormView, t: Translator) -> Element:
    body: list[Element] = [title(t("license.form.title"))]
    if view.notice:
        body.append(text(view.notice, color="Attention"))
    body.append(
        {
            "type": "Input.ChoiceSet",
            "id": "sku_id",
            "label": t("license.form.plan"),
            "isRequired": True,
            "style": "compact",
            "value": view.selected_sku_id or (view.plans[0].sku_id if view.plans else ""),
            "choices": [
                {"title": t("license.plan_choice", plan=plan.name, free=plan.free_units), "value": plan.sku_id}
                for plan in view.plans
            ],
        }
    )
    body.append({"type": "Input.Text", "id": "for_user", "label": t("license.form.for_user"), "value": view.for_user})
    if view.ask_usage_location:
        body.append(
            {
                "type": "Input.Text",
                "id": "usage_location",
                "label": t("license.form.usage_location"),
                "isRequired": True,
                "maxLength": 2,
                "regex": "^[A-Za-z]{2}$",
            }
        )
    return card(body, [execute(t("license.form.submit"), Verb.LICENSE_SUBMIT, {})])
