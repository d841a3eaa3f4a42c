"""Local HTTP servers that speak the protocols of systems tests cannot reach."""
