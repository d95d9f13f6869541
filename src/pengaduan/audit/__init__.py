"""Audit: who did what, when and from where."""
