"""stub"""
from __future__ import annotations


def add_routes(app, ctx):
    pass
