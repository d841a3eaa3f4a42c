"""Persistence: PostgreSQL through Piccolo, object storage through the minio SDK."""
