"""The Action.Execute verbs, shared by the card builders and the bot's routes."""

from __future__ import annotations

import enum


class Verb(enum.StrEnum):
    APPROVE = "request.approve"
    REJECT = "request.reject"
    REFRESH = "request.refresh"
    LICENSE_SUBMIT = "license.submit"
    LIST_JOIN_SUBMIT = "dl.join.submit"
    SHOW_HELP = "help.show"
    MY_REQUESTS = "requests.mine"
    SEATS_ORDER = "seats.order"
    SEATS_FULFIL = "seats.fulfil"
    SEATS_UNFULFILLABLE = "seats.unfulfillable"
    GROUP_LEAVE = "group.leave"
