"""Emulated Microsoft Graph v1.0: users, licensing, groups and $batch."""
