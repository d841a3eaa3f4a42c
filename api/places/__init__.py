"""The place lookup over HTTP (a typed address on the officer's phone)."""
