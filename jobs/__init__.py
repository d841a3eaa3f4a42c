"""arq workers: scheduled and queued background work."""
