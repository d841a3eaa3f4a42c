"""The violation catalogue over HTTP."""
