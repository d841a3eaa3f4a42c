"""Object storage (any S3-compatible store) through the minio SDK.

The SDK is synchronous; async callers go through ``asyncio.to_thread`` so the event
loop never blocks on the network.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import BinaryIO
from urllib.parse import urlsplit

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import CopySource
from minio.datatypes import PostPolicy
from minio.error import ServerError

from offsite.settings import S3Settings

# A store that is down must fail a request in seconds (the API answers 503
# storage_unavailable, a job retries later), not after the SDK's default five-minute
# read timeout and five retries.
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 30.0

# What the SDK raises when the store cannot be reached or answers 5xx.
UNREACHABLE: tuple[type[Exception], ...] = (urllib3.exceptions.HTTPError, ServerError)


def _http_pool() -> urllib3.PoolManager:
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S),
        maxsize=10,
        cert_reqs="CERT_REQUIRED",
        ca_certs=certifi.where(),
        retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )


class ObjectStore:
    """The evidence bucket and the client that reaches it."""

    def __init__(self, settings: S3Settings) -> None:
        url = urlsplit(settings.endpoint)
        self.public_endpoint = (settings.public_endpoint or settings.endpoint).rstrip("/")
        if url.scheme not in ("http", "https") or not url.netloc:
            raise ValueError(f"S3_ENDPOINT must be an http(s) URL, got {settings.endpoint!r}")
        self.bucket = settings.bucket
        self.client = self._client(settings.endpoint, settings)
        # Links and upload grants are signed for the host phones reach (signing is
        # offline: with the region given, this client never connects).
        self.signer = (
            self._client(settings.public_endpoint, settings)
            if settings.public_endpoint
            else self.client
        )

    @staticmethod
    def _client(endpoint: str, settings: S3Settings) -> Minio:
        url = urlsplit(endpoint)
        return Minio(
            url.netloc,
            access_key=settings.access_key,
            secret_key=settings.secret_key,
            secure=url.scheme == "https",
            region=settings.region,
            http_client=_http_pool(),
        )

    def ensure_bucket(self) -> None:
        """Create the bucket when missing (start-up and migrations; idempotent)."""
        if not self.client.bucket_exists(self.bucket):
            self.client.make_bucket(self.bucket)

    def upload_url(self) -> str:
        """Where phones POST an upload (the bucket's URL as they reach it)."""
        return f"{self.public_endpoint}/{self.bucket}"

    def size(self, key: str) -> int:
        size = self.client.stat_object(self.bucket, key).size
        return int(size or 0)

    def stream(self, key: str, chunk: int = 256 * 1024) -> Iterator[bytes]:
        response = self.client.get_object(self.bucket, key)
        try:
            yield from response.stream(chunk)
        finally:
            response.close()
            response.release_conn()

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            self.bucket, key, io.BytesIO(data), len(data), content_type=content_type
        )

    def move(self, source: str, target: str) -> None:
        """Copy ``source`` to ``target`` inside the bucket, then delete ``source``."""
        self.client.copy_object(self.bucket, target, CopySource(self.bucket, source))
        self.client.remove_object(self.bucket, source)

    def put_stream(self, key: str, data: BinaryIO, size: int, content_type: str) -> None:
        self.client.put_object(self.bucket, key, data, size, content_type=content_type)

    def older_than(self, prefix: str, cutoff: datetime) -> list[str]:
        """Keys under ``prefix`` last written before ``cutoff``."""
        return [
            o.object_name
            for o in self.client.list_objects(self.bucket, prefix=prefix, recursive=True)
            if o.object_name and o.last_modified and o.last_modified < cutoff
        ]

    def remove(self, key: str) -> None:
        self.client.remove_object(self.bucket, key)

    def view_url(self, key: str, ttl_s: int) -> str:
        """A short-lived link to read one object (the caller checked jurisdiction)."""
        url: str = self.signer.presigned_get_object(
            self.bucket, key, expires=timedelta(seconds=ttl_s)
        )
        return url

    def post_policy_fields(self, policy: PostPolicy) -> dict[str, str]:
        """Form fields of a presigned POST policy (signed offline, for the public host)."""
        fields: dict[str, str] = self.signer.presigned_post_policy(policy)
        return fields

    async def ping(self) -> None:
        """Raise when the store does not answer or the bucket is missing."""
        if not await asyncio.to_thread(self.client.bucket_exists, self.bucket):
            raise RuntimeError(f"bucket {self.bucket} does not exist")
