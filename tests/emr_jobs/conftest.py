"""One local Spark session for the emr_jobs tests, and helpers to lay out raw partitions."""

from __future__ import annotations

import bz2
import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from liberta.spark_local import local_spark_session

    session = local_spark_session(app_name="liberta-emr-jobs-tests", cores=2, driver_memory="2g")
    yield session


def write_raw(root: Path, day: str, name: str, lines: list[str]) -> Path:
    """Write `lines` to `<root>/dt=<day>/<name>`, compressed as the suffix says."""
    path = root / f"dt={day}" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if name.endswith(".gz"):
        data = gzip.compress(data)
    elif name.endswith(".bz2"):
        data = bz2.compress(data)
    elif name.endswith(".lzo"):
        from emr_jobs.lzop import compress

        data = compress(data, filename=name[: -len(".lzo")])
    path.write_bytes(data)
    return path
