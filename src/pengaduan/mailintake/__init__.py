"""Complaints by email (`pengaduan mail-intake`, started by `running`): mail to the
complaints address arrives through the SMTP/LMTP `listener` or the IMAP `polling`, is read
(`reading`, `trimming`), told apart from automatic mail (`loops`) and checked against the
agency's mail server's verdict (`authentication`), then made a complaint or a message on one
(`taking`, with `addressing` for the per-complaint reply addresses and `answers` for what is
told back)."""
