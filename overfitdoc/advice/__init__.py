"""Ranked remediation advice (placeholder until the rule registry lands)."""
from __future__ import annotations


def advise(diagnosis, context=None, top=None) -> list:
    return []
