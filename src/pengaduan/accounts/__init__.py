"""Accounts: users, roles and sessions.

- fields, passwords, nik, personal_data: the rules and the encryption, no database
- registration, login, tokens (links by mail), password_change, reset_requests, reset_codes,
  profile: what a person does with their account
- sessions (the lookup every request makes), throttle, guards (who may use a route)
- user_admin, admin_cli: accounts made and managed by administrators
- routes, reset_routes, admin_routes: the pages
"""
