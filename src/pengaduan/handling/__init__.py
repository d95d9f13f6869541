"""Handling: the officers' side of complaints (their unit's work)."""
