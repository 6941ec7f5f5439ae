"""docker-compose.yml and the Dockerfile, checked by reading (no Docker engine here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_redis_persists_to_a_volume_with_append_only_file() -> None:
    redis = compose()["services"]["redis"]
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command
    volume, _, mount = redis["volumes"][0].partition(":")
    assert mount == "/data"
    assert volume in compose()["volumes"]
    assert "redis-cli" in redis["healthcheck"]["test"]


def test_server_uses_the_compose_redis_and_checks_readiness() -> None:
    services = compose()["services"]
    server = services["server"]
    url = server["environment"]["MATCHBOARD_REDIS_URL"]
    assert url.startswith("redis://redis:")
    assert server["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "/readyz" in " ".join(server["healthcheck"]["test"])
    assert server["environment"]["MATCHBOARD_HOST"] == "0.0.0.0"
    assert server["build"] == "."


def test_dockerfile_installs_the_package_and_serves() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11" in dockerfile
    assert "COPY server ./server" in dockerfile
    assert 'CMD ["matchboard", "serve"]' in dockerfile
    # Everything the image copies exists.
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source


def test_two_servers_behind_a_proxy_that_passes_websockets() -> None:
    data = compose()
    assert data["services"]["server"]["deploy"]["replicas"] >= 2
    proxy = data["services"]["proxy"]
    assert proxy["ports"] == ["8000:80"]
    nginx = data["configs"][proxy["configs"][0]["source"]]["content"]
    assert "location /ws" in nginx
    assert "proxy_set_header Upgrade $$http_upgrade" in nginx  # $$: compose escapes $
    assert "server server:8000" in nginx
    assert "ports" not in data["services"]["server"]  # only the proxy is published


def test_the_proxy_keeps_the_metrics_off_the_public_address() -> None:
    nginx = compose()["configs"]["nginx"]["content"]
    block = nginx[nginx.index("location = /metrics") :]
    assert block.index("return 404") < block.index("}")


def test_the_cluster_profile_runs_servers_on_a_six_node_cluster_behind_a_proxy() -> None:
    services = compose()["services"]
    cluster = {name: s for name, s in services.items() if "cluster" in s.get("profiles", [])}
    nodes = [s for name, s in cluster.items() if name.startswith("redis-node-")]
    assert len(nodes) == 6
    for node in nodes:
        command = " ".join(node["command"])
        assert "--cluster-enabled yes" in command and "--appendonly yes" in command
        assert node["volumes"][0].split(":")[1] == "/data"
    create = " ".join(cluster["cluster-create"]["command"])
    assert "--cluster-create" not in create and "--cluster create" in create
    assert "--cluster-replicas 1" in create
    server = cluster["server-cluster"]
    url = server["environment"]["MATCHBOARD_REDIS_URL"]
    assert url.startswith("redis+cluster://redis-node-")
    assert server["environment"]["MATCHBOARD_REDIS_WAIT_REPLICAS"] == "1"
    assert server["deploy"]["replicas"] >= 2
    assert server["depends_on"]["cluster-create"]["condition"] == ("service_completed_successfully")
    proxy = cluster["proxy-cluster"]
    nginx = compose()["configs"][proxy["configs"][0]["source"]]["content"]
    assert "server server-cluster:8000" in nginx and "location /ws" in nginx
    # The default services stay outside the profile: `docker compose up` is unchanged.
    assert not {"redis", "server", "proxy"} & set(cluster)
