"""Complaints by WhatsApp and SMS: the signed inbound webhook of the SMS gateway (`routes`;
its signature is `pengaduan.signing`), what a message asks for (`commands`), doing it
(`inbound`) and the answers that go back through the outbox (`answers`)."""
