"""Every message in the catalogue is used by the product code: a key nothing looks up is dead text that
translators keep paying for."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from cards.i18n import Catalogues

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("app.py", "bot", "cards", "handlers", "kinds", "m365", "storage")

# Keys the code builds from a value instead of writing them out, as patterns: "*" stands for a string that must
# itself be written somewhere in the product code (an enum value, a plan step's op, a kind), so a message whose
# value the code no longer produces (a removed step, state or kind) still counts as unused.
BUILT_KEYS = (
    "request.kind.*",  # the kind of a request: cards/requests.py, handlers/delivery.py
    "request.state.*",  # a request's state: cards/my_requests.py, handlers/approvals.py, withdrawal, seat orders
    "step.*",  # a plan step's op: f"step.{step['op']}" on the request card
    "step.status.*",  # how a step ended: cards/requests.py
    "approval.decided.*",  # the decision's outcome: cards/requests.py
    "catalogue.status.*",  # a plan's capabilityStatus: cards/catalogue.py
    "mailbox.access.*",  # the kind of mailbox access: cards/mailboxes.py, kinds/mailboxes/ (grant, expiry)
    "list.restriction.*",  # a list's join/depart restriction: cards/lists.py, kinds/lists/manage.py
    "names.choose.*",  # lists or mailboxes of one name: cards/lists.py
    "browse.title.*",  # the browse view: cards/lists.py
    "browse.title.*.all",
    "browse.section.*",  # lists or mailboxes sections of the browse card: cards/lists.py
    "browse.none.*",
    "browse.previous.*",
    "browse.next.*",
    "queue.incident.event.*",  # an incident event's action in its timeline: kinds/queue/incidents.py
)

# Help lines of the request families not yet moved to kinds/: d1fb07a made the help card list the topics the
# registry's families declare (kinds/desk.py: HelpTopic), and each family declares its own when it moves there.
# Take a key out as its family registers it.
WAITING_FOR_THEIR_FAMILY = frozenset({
    "help.license", "help.license_changes", "help.seat_orders", "help.licenses", "help.join", "help.lists",
    "help.list_changes",
})


def _strings_in_product_code() -> tuple[set[str], set[str]]:
    """Every string literal, and the literal start of every f-string, in the product code."""
    literals: set[str] = set()
    starts: set[str] = set()
    files = [path for name in PRODUCT for path in ((ROOT / name).rglob("*.py") if (ROOT / name).is_dir()
                                                   else [ROOT / name])]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                literals.add(node.value)
            elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                starts.add(str(node.values[0].value))
    return literals, starts


def _built(key: str, literals: set[str]) -> bool:
    for pattern in BUILT_KEYS:
        found = re.fullmatch(re.escape(pattern).replace(r"\*", "(.+)"), key)
        if found and found.group(1) in literals:
            return True
    return False


def test_every_message_is_used_by_the_product_code() -> None:
    literals, _ = _strings_in_product_code()
    keys = Catalogues.read()["en"].messages
    unused = [key for key in keys if key not in literals and not _built(key, literals)]
    assert [key for key in unused if key not in WAITING_FOR_THEIR_FAMILY] == []


def test_every_built_key_pattern_is_still_built_by_the_code() -> None:
    # The allow-list must not outlive the code that needs it: each prefix is still written, as a literal
    # ("request.kind." + kind) or the start of an f-string (f"step.{op}").
    literals, starts = _strings_in_product_code()
    written = literals | starts
    assert [pattern for pattern in BUILT_KEYS if pattern.split("*")[0] not in written] == []
