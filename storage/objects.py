"""Object storage (any S3-compatible store) through the minio SDK.

The SDK is synchronous; async callers go through ``asyncio.to_thread`` so the event
loop never blocks on the network.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from minio import Minio

from offsite.settings import S3Settings


class ObjectStore:
    """The evidence bucket and the client that reaches it."""

    def __init__(self, settings: S3Settings) -> None:
        url = urlsplit(settings.endpoint)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise ValueError(f"S3_ENDPOINT must be an http(s) URL, got {settings.endpoint!r}")
        self.bucket = settings.bucket
        self.client = Minio(
            url.netloc,
            access_key=settings.access_key,
            secret_key=settings.secret_key,
            secure=url.scheme == "https",
            region=settings.region,
        )

    def ensure_bucket(self) -> None:
        """Create the bucket when missing (start-up and migrations; idempotent)."""
        if not self.client.bucket_exists(self.bucket):
            self.client.make_bucket(self.bucket)

    async def ping(self) -> None:
        """Raise when the store does not answer or the bucket is missing."""
        if not await asyncio.to_thread(self.client.bucket_exists, self.bucket):
            raise RuntimeError(f"bucket {self.bucket} does not exist")
