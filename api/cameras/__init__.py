"""The camera registry over HTTP."""
