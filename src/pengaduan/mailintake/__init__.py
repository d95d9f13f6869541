"""Complaints by email: mail to the complaints address (through the SMTP/LMTP `listener` or
the IMAP `polling`) read (`reading`, `trimming`), told apart from automatic mail (`loops`),
and made a complaint or a message on one (`taking`, with `addressing` for reply addresses)."""
