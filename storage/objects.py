"""Object storage (any S3-compatible store) through the minio SDK.

The SDK is synchronous; async callers go through ``asyncio.to_thread`` so the event
loop never blocks on the network.
"""

from __future__ import annotations

import asyncio
import base64
import enum
import hashlib
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
from minio.error import S3Error, ServerError

from offsite.settings import S3Settings

# A store that is down must fail a request in seconds (the API answers 503
# storage_unavailable, a job retries later), not after the SDK's default five-minute
# read timeout and five retries.
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 30.0

# What the SDK raises when the store cannot be reached or answers 5xx.
UNREACHABLE: tuple[type[Exception], ...] = (urllib3.exceptions.HTTPError, ServerError)


class CorsOutcome(enum.StrEnum):
    """What ``ObjectStore.ensure_cors`` did."""

    set = "set"  # the bucket's rule names exactly these origins now
    unsupported = "unsupported"  # the store has no bucket CORS API (MinIO): configure it there


# Store answers meaning "no bucket CORS API here" (MinIO: NotImplemented).
_NO_CORS_API = {"NotImplemented", "MethodNotAllowed", "InvalidRequest"}


def cors_origins(spec: str) -> list[str]:
    """The origins of ``S3_CORS_ORIGINS`` (comma-separated ``scheme://host[:port]``), or
    ValueError naming the one that is not an origin (a path, no scheme, a wildcard)."""
    found: list[str] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        url = urlsplit(item)
        if (
            url.scheme not in ("http", "https")
            or not url.hostname
            or url.path not in ("", "/")
            or url.query
            or url.fragment
            or "*" in item
        ):
            raise ValueError(f"S3_CORS_ORIGINS: {item!r} is not an origin (scheme://host[:port])")
        origin = f"{url.scheme}://{url.netloc}".lower()
        if origin not in found:
            found.append(origin)
    return found


def cors_configuration(origins: list[str]) -> bytes:
    """The bucket's CORS rule for the app's ``origins``: POST (the photo upload with the
    grant's policy), GET and HEAD (view links), any request header, ETag readable."""
    allowed = "".join(f"<AllowedOrigin>{o}</AllowedOrigin>" for o in origins)
    methods = "".join(f"<AllowedMethod>{m}</AllowedMethod>" for m in ("POST", "GET", "HEAD"))
    return (
        '<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule>'
        f"{allowed}{methods}<AllowedHeader>*</AllowedHeader>"
        "<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3600</MaxAgeSeconds>"
        "</CORSRule></CORSConfiguration>"
    ).encode()


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

    def ensure_cors(self, origins: list[str]) -> CorsOutcome:
        """Set the bucket's CORS rule to ``origins`` (PutBucketCors; the minio SDK has no
        call for it, so a request signed by its low-level ``_execute``). ``unsupported``
        when the store has no such API (MinIO: its server setting
        ``MINIO_API_CORS_ALLOW_ORIGIN`` does it)."""
        body = cors_configuration(origins)
        headers: dict[str, str | list[str] | tuple[str]] = {
            "Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode(),
            "Content-Type": "application/xml",
        }
        try:
            self.client._execute(
                "PUT", self.bucket, body=body, headers=headers, query_params={"cors": ""}
            )
        except S3Error as exc:
            if exc.code in _NO_CORS_API:
                return CorsOutcome.unsupported
            raise
        return CorsOutcome.set

    def cors_rule(self) -> str | None:
        """The bucket's CORS configuration as the store returns it (XML), or None."""
        try:
            answer = self.client._execute("GET", self.bucket, query_params={"cors": ""})
        except S3Error as exc:
            if exc.code == "NoSuchCORSConfiguration" or exc.code in _NO_CORS_API:
                return None
            raise
        return answer.data.decode()

    def drop_cors(self) -> None:
        """Remove the bucket's CORS rule (tests, and going back to the store's default)."""
        self.client._execute("DELETE", self.bucket, query_params={"cors": ""})

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
