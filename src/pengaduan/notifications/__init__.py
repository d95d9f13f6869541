"""Notifications: the in-app centre and the outbox for outside channels."""
