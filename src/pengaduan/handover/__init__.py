"""Hand-over to outside agencies: the signed document sent through the outbox, and the
agency's signed updates coming back through the lifecycle."""
