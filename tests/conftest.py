"""Fixtures shared by several parts' tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from liberta.warehouse.server import free_port


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A local S3-compatible endpoint (moto's server) on 127.0.0.1, stopped after the test.

    boto3 reaches it through `AWS_ENDPOINT_URL`, exactly as Liberta reaches LocalStack or MinIO.
    """
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    try:
        yield endpoint
    finally:
        server.stop()
