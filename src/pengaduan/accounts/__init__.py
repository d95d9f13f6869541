"""Accounts: users, roles and sessions."""
