"""Where generated files go: a local directory or an S3 prefix, and how they are encoded."""

from __future__ import annotations

import bz2
import gzip
import os
import shutil
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from emr_jobs import lzop


def encode(data: bytes, *, compression: str, name: str, level: int) -> bytes:
    """Compress one file's bytes; deterministic (no timestamps, no names in gzip)."""
    if compression == "gz":
        return gzip.compress(data, compresslevel=level, mtime=0)
    if compression == "bz2":
        return bz2.compress(data, compresslevel=9)
    if compression == "lzo":
        # lzop records the original name, as `lzop events.json` would
        return lzop.compress(data, filename=name.removesuffix(".lzo"), mtime=0)
    if compression == "none":
        return data
    raise ValueError(f"unknown compression {compression!r}")


class Sink(Protocol):
    uri: str

    def exists(self, key: str) -> bool: ...
    def any_under(self, prefix: str) -> bool: ...
    def remove_under(self, prefix: str) -> None: ...
    def put(self, key: str, data: bytes) -> None: ...


class LocalSink:
    def __init__(self, root: str) -> None:
        self.root = Path(root).expanduser().resolve()
        self.uri = str(self.root)

    def exists(self, key: str) -> bool:
        return (self.root / key).exists()

    def any_under(self, prefix: str) -> bool:
        path = self.root / prefix
        return path.is_dir() and any(path.iterdir())

    def remove_under(self, prefix: str) -> None:
        path = self.root / prefix
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()

    def put(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_bytes(data)
        tmp.replace(path)  # readers never see a half-written file


class S3Sink:
    """An s3://bucket/prefix; boto3 honours AWS_ENDPOINT_URL (LocalStack, moto, MinIO)."""

    def __init__(self, uri: str, client: Any = None) -> None:
        parsed = urlparse(uri)
        if not parsed.netloc:
            raise ValueError(f"S3 URI has no bucket: {uri!r} (expected s3://bucket/prefix)")
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self.uri = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        if client is None:
            import boto3  # only S3 output needs it

            client = boto3.client("s3")
        self.client = client

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def exists(self, key: str) -> bool:
        resp = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self._key(key), MaxKeys=1)
        return any(o["Key"] == self._key(key) for o in resp.get("Contents", []))

    def any_under(self, prefix: str) -> bool:
        resp = self.client.list_objects_v2(
            Bucket=self.bucket, Prefix=self._key(prefix).rstrip("/") + "/", MaxKeys=1
        )
        return resp.get("KeyCount", 0) > 0

    def remove_under(self, prefix: str) -> None:
        paginator = self.client.get_paginator("list_objects_v2")
        base = self._key(prefix).rstrip("/")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=base + "/"):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys})
        if self.exists(prefix):
            self.client.delete_object(Bucket=self.bucket, Key=base)

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)


def open_sink(uri: str) -> Sink:
    """A sink for a local path (or file:// URI) or an s3://bucket/prefix URI."""
    if uri.startswith("s3://"):
        return S3Sink(uri)
    if uri.startswith("file://"):
        return LocalSink(urlparse(uri).path)
    if "://" in uri:
        raise ValueError(f"unsupported output URI {uri!r}: use a local path or s3://bucket/prefix")
    return LocalSink(uri)
