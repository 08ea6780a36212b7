"""Repositories: the only code that reads and writes ORM rows on behalf of a unit of work."""

from __future__ import annotations

from storage.repositories.audit import AuditRepository
from storage.repositories.cards import CardCopyRepository
from storage.repositories.conversations import ConversationRepository
from storage.repositories.decisions import DecisionRepository
from storage.repositories.jobs import JobRepository
from storage.repositories.prices import PriceRepository
from storage.repositories.requests import RequestRepository

__all__ = [
    "AuditRepository",
    "CardCopyRepository",
    "ConversationRepository",
    "DecisionRepository",
    "JobRepository",
    "PriceRepository",
    "RequestRepository",
]
