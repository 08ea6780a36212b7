"""Unit-test fixtures: the registry of request kinds as app.py builds it, and parsing through it."""

from __future__ import annotations

import pytest

from app import families
from handlers.commands import parse
from kinds.registry import Parsed, Registry, build_registry


@pytest.fixture(scope="session")
def registry() -> Registry:
    return build_registry(families())


def command_of(text: str, registry: Registry) -> object:
    """What ``text`` parses to through the registry: the command value, or TooLong/Unknown."""
    parsed = parse(text, registry)
    return parsed.command if isinstance(parsed, Parsed) else parsed
