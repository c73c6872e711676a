"""File-system access through Hadoop's FileSystem API (via the JVM).

The same calls work for `file://` paths locally and for `s3://` (EMRFS) on EMR, which is why
the job lists, deletes and writes small files this way instead of with `os` or boto3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.sql import SparkSession


@dataclass(frozen=True, kw_only=True)
class FileEntry:
    uri: str
    size: int
    is_dir: bool

    @property
    def name(self) -> str:
        return self.uri.rstrip("/").rsplit("/", 1)[-1]


def canonical_uri(uri: str) -> str:
    """`file:/x` and `file:///x` both become `file:///x`; plain absolute paths become file URIs."""
    if uri.startswith("file:"):
        return "file:///" + uri[len("file:") :].lstrip("/")
    if uri.startswith("/"):
        return "file://" + uri
    return uri


class HadoopFs:
    """Small wrapper around `org.apache.hadoop.fs.FileSystem` for one SparkSession."""

    def __init__(self, spark: SparkSession) -> None:
        self._jvm: Any = spark.sparkContext._jvm
        self._conf: Any = spark.sparkContext._jsc.hadoopConfiguration()

    def _path(self, uri: str) -> tuple[Any, Any]:
        path = self._jvm.org.apache.hadoop.fs.Path(uri)
        return path.getFileSystem(self._conf), path

    def qualify(self, uri: str) -> str:
        """Absolute URI with scheme: a plain local path becomes `file:///...`."""
        fs, path = self._path(uri)
        return canonical_uri(fs.makeQualified(path).toString()).rstrip("/")

    def exists(self, uri: str) -> bool:
        fs, path = self._path(uri)
        return bool(fs.exists(path))

    def is_dir(self, uri: str) -> bool:
        fs, path = self._path(uri)
        return bool(fs.exists(path) and fs.getFileStatus(path).isDirectory())

    def list(self, uri: str) -> list[FileEntry]:
        """Direct children of a directory, sorted by URI; [] when it does not exist."""
        fs, path = self._path(uri)
        if not fs.exists(path):
            return []
        entries = [
            FileEntry(
                uri=canonical_uri(status.getPath().toString()),
                size=int(status.getLen()),
                is_dir=bool(status.isDirectory()),
            )
            for status in fs.listStatus(path)
        ]
        return sorted(entries, key=lambda e: e.uri)

    def delete(self, uri: str) -> None:
        fs, path = self._path(uri)
        if fs.exists(path):
            fs.delete(path, True)

    def write_bytes(self, uri: str, data: bytes) -> None:
        """Create or replace a file with `data` (visible only once closed on S3)."""
        fs, path = self._path(uri)
        stream = fs.create(path, True)
        try:
            stream.write(bytearray(data))
        finally:
            stream.close()
