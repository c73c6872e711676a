"""localstack/docker-compose.yml: structure checks (no Docker engine here; this machine's
docker client has no compose plugin, so `docker compose config` cannot run)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2] / "localstack"


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_localstack_is_pinned_to_the_last_open_source_image_with_the_extension() -> None:
    service = _compose()["services"]["localstack"]
    assert service["image"] == "localstack/localstack:4.14.0"
    assert service["entrypoint"][-1] == "/opt/liberta/localstack/docker-entrypoint.sh"
    assert "../localstack:/opt/liberta/localstack:ro" in service["volumes"]
    env = service["environment"]
    assert (
        env["PROVIDER_OVERRIDE_REDSHIFT_DATA"]
        == env["PROVIDER_OVERRIDE_EMR_SERVERLESS"]
        == "liberta"
    )
    assert env["LIBERTA_LS_DB_URL"].startswith("postgresql://postgres@postgres:5432/")
    entrypoint = (ROOT / "docker-entrypoint.sh").read_text()
    assert "requirements.txt" in entrypoint and "constraints.txt" in entrypoint
    assert "localstack.runtime.main" in entrypoint


def test_every_port_is_published_on_loopback_only() -> None:
    for name, service in _compose()["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_postgres_metabase_and_optional_minio() -> None:
    services = _compose()["services"]
    assert services["postgres"]["image"] == "postgres:15"
    assert services["metabase"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["minio"]["profiles"] == ["minio"]
    volumes = set(_compose()["volumes"])
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source.startswith(".") or source in volumes, volume
