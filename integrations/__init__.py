"""Clients for outside systems, one module each, behind configurable base URLs."""
