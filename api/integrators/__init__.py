"""Integrators (城运中心, 12345, vendor AI boxes): their keys, and later their API."""
