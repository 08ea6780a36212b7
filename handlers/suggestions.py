"""“Did you mean …?”: the desk's answer to a text nobody understood, and the near names of a list or mailbox that
was not found.

The matching itself is handlers/suggestion_matching.py, the command phrases it matches handlers/suggestion_templates.py;
this module reads what they are matched against (plans from the tenant, lists and mailboxes from the directory cache)
and turns what they find into cards with a button per candidate.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from cards.i18n import Translator
from cards.suggestions import NearName, SuggestionsView, near_names_card, suggestions_card
from cards.verbs import Verb
from handlers.context import Actor, Reply, actor_translator
from handlers.plans import PlanCatalogue
from handlers.services import Services
from handlers.suggestion_matching import MAX_TEXT_LENGTH, Name, near, needed_kinds, suggest
from m365.errors import M365Error
from m365.ports import Sku

logger = logging.getLogger(__name__)

MAX_COMMAND_LENGTH = 300  # a suggestion's button never runs a longer command
# A caller's command, run again for one list or mailbox the person picks: its verb and data (see find_list).
Then = Callable[[Any], tuple[Verb, dict[str, Any]]]


async def unknown_command(services: Services, actor: Actor, text: str) -> Reply:
    """The answer to a text nobody understood: "did you mean …?" with a button per candidate, else today's help."""
    t = actor_translator(actor)
    kinds = needed_kinds(text, t.language)
    vocabulary = await load_vocabulary(services, kinds) if kinds else {}
    found = suggest(text, t.language, vocabulary, services.kinds)
    if not found:
        return Reply(text=t("unknown_command", text=text[:MAX_TEXT_LENGTH]))
    view = SuggestionsView(typed=text[:MAX_TEXT_LENGTH], commands=tuple(s.command for s in found))
    return Reply(card=suggestions_card(view, t))


async def near_names_reply(
    services: Services, t: Translator, name: str, *, kind: str, then: Then | None = None
) -> Reply | None:
    """For a list or shared mailbox that was not found: the near names in the directory cache, as a card with a
    button per name; None when nothing is close (the caller says "not found" as before).

    ``then`` is the caller's way of running its command again for one list or mailbox (the same the choice card of
    several exact matches uses: "join …" joins the one clicked); without it, a button opens the list or mailbox.
    """
    name = name.strip()
    if not 0 < len(name) <= MAX_TEXT_LENGTH:
        return None
    vocabulary = await load_vocabulary(services, {kind})
    found = near(name, vocabulary.get(kind, ()))
    if not found:
        return None
    names: list[NearName] = []
    async with services.uow() as uow:
        for match, _ in found:
            label = match.label or match.text
            cache = uow.directory_cache
            cached = await (cache.get_list if kind == "list" else cache.get_mailbox)(match.ref)
            if cached is None:
                continue  # gone since the names were read
            if then is not None:
                verb, data = then(cached)
            elif kind == "list":
                verb, data = Verb.LIST_SHOW, {"list_id": match.ref}
            else:
                verb, data = Verb.MAILBOX_SHOW, {"mailbox_id": match.ref}
            names.append(NearName(label, verb, data))
    if not names:
        return None
    return Reply(card=near_names_card(name, kind, tuple(names), t))


async def load_vocabulary(services: Services, kinds: set[str]) -> dict[str, list[Name]]:
    """The names each kind can take: plans from the tenant's subscriptions, lists and mailboxes from the cache."""
    vocabulary: dict[str, list[Name]] = {}
    if "plan" in kinds:
        try:
            skus = await services.tenant.licenses.list_skus()
        except M365Error:
            # A suggestion is a courtesy: without the plans, no plan is corrected and the answer still comes.
            logger.warning("plans unavailable for suggestions", exc_info=True)
            skus = []
        vocabulary["plan"] = list(plan_names(services.plans, skus))
    if kinds & {"list", "mailbox"}:
        async with services.uow() as uow:
            entries = await uow.directory_cache.names()
        for entry in entries:
            if entry.kind not in kinds:
                continue
            for text in dict.fromkeys(v for v in (entry.display_name, entry.alias, entry.address) if v):
                vocabulary.setdefault(entry.kind, []).append(Name(text, entry.kind, entry.identity,
                                                                  entry.display_name))
    return vocabulary


def plan_names(plans: PlanCatalogue, skus: Iterable[Sku]) -> Iterator[Name]:
    """Each plan's display name, part number, and every run of words of its display name that the plan catalogue
    takes for it ("E3" of "Office 365 E3", "Business Basic"): the short names people type, spelled as shown."""
    for sku in skus:
        if sku.applies_to != "User":
            continue  # tenant-wide SKUs cannot be requested for a person
        display = plans.name(sku)
        yield Name(display, "plan", sku.sku_id, display)
        if sku.sku_part_number != display:
            yield Name(sku.sku_part_number, "plan", sku.sku_id, display)
        words = display.split()
        for start, end in itertools.combinations(range(len(words) + 1), 2):
            run = " ".join(words[start:end])
            if run != display and any(c.isalpha() for c in run) and plans.match(run, [sku]) is not None:
                yield Name(run, "plan", sku.sku_id, display)
