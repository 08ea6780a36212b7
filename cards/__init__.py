"""Adaptive Card builders: pure functions from view models to card dicts, plus verbs and localized text."""
