"""Sign-in: passwords, WeChat, rotating refresh tokens."""
