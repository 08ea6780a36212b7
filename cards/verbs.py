"""The Action.Execute verbs, shared by the card builders and the bot's routes."""

from __future__ import annotations

import enum


class Verb(enum.StrEnum):
    APPROVE = "request.approve"
    REJECT = "request.reject"
    REFRESH = "request.refresh"
    # Edit-and-approve (F13): the approver's Edit opens the form (or, with "cancel", goes back to the card); its
    # Approve carries the edited inputs.
    EDIT_REQUEST = "request.edit"
    APPROVE_EDITED = "request.approve_edited"
    WITHDRAW = "request.withdraw"  # the requester, while the request still waits
    ASK_AGAIN = "request.ask_again"  # the requester, once it expired undecided: files it again (F15)
    LICENSE_SUBMIT = "license.submit"
    LIST_JOIN_SUBMIT = "dl.join.submit"
    SHOW_HELP = "help.show"
    # A "did you mean …?" button: data {"text": "<command>"}, parsed and validated again like typed text.
    RUN_COMMAND = "command.run"
    MY_REQUESTS = "requests.mine"
    SEATS_ORDER = "seats.order"
    SEATS_FULFIL = "seats.fulfil"
    SEATS_UNFULFILLABLE = "seats.unfulfillable"
    GROUP_LEAVE = "group.leave"
    # Browsing lists and mailboxes (F1–F3): paging and opening one from a result card.
    BROWSE_PAGE = "browse.page"
    LIST_SHOW = "dl.show"
    # List requests (F4, F5).
    LIST_LEAVE = "dl.leave"
    LIST_CREATE_SUBMIT = "dl.create.submit"
    LIST_MODIFY_SUBMIT = "dl.modify.submit"
    LIST_DELETE = "dl.delete"
    LIST_MEMBERS_SUBMIT = "dl.members.submit"
    # Shared mailboxes (F6); handled by the mailboxes family (kinds/mailboxes/).
    MAILBOX_SHOW = "mailbox.show"
    MAILBOX_CREATE_SUBMIT = "mailbox.create.submit"
    MAILBOX_DELETE = "mailbox.delete"
    MAILBOX_GRANT_SUBMIT = "mailbox.grant.submit"
    MAILBOX_REVOKE = "mailbox.revoke"
    # The admins' queue (F19): paging it, and opening one waiting request's approval card from it.
    QUEUE_PAGE = "queue.page"
    QUEUE_OPEN = "queue.open"
    # Orphaned lists and mailboxes (F20); handled by the orphans family (kinds/orphans/).
    ORPHANS_PAGE = "orphans.page"
    ORPHAN_TAKE_OVER = "orphan.take_over"
    ORPHAN_CHOOSE_OWNER = "orphan.choose_owner"
    ORPHAN_DELETE = "orphan.delete"
    ORPHAN_KEEP = "orphan.keep"
    # "Still needed?" for unused lists and mailboxes (F20); handled by kinds/still_needed/.
    STILL_NEEDED_KEEP = "still_needed.keep"
    STILL_NEEDED_DELETE = "still_needed.delete"
    # The searchable history (F21): its page buttons carry the filters.
    HISTORY_PAGE = "history.page"
    # Unused lists and mailboxes (F20); handled by the usage family (kinds/usage/).
    USAGE_PAGE = "usage.page"
    # Incidents (F18); handled by the incidents family (kinds/incidents/): the form, the reporter's and support's steps.
    INCIDENT_SUBMIT = "incident.submit"
    INCIDENT_COMMENT = "incident.comment"
    INCIDENT_CATEGORY = "incident.category"
    INCIDENT_REOPEN = "incident.reopen"
    INCIDENT_CONFIRM = "incident.confirm"
    INCIDENT_CLAIM = "incident.claim"
    INCIDENT_PRIORITY = "incident.priority"
    INCIDENT_WAIT = "incident.wait"
    INCIDENT_ESCALATE = "incident.escalate"
    INCIDENT_RESOLVE = "incident.resolve"
