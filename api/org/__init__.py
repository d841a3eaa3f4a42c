"""The organisation over HTTP: me, squads, grid cells, users, integrator keys."""
