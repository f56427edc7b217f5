"""Catalogue entries with the tagging head (see xstore/tasks/__init__.py for the row shape)."""

from __future__ import annotations

ENTRIES: list = []
