"""Assessment figures."""
