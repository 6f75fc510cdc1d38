"""The Docker image's entry command (scripts/serve) works from a clean virtualenv with the package
installed non-editable, refuses to start without SECRET_KEY, and serves on the bound port."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request

import yaml

from bench.servers import free_port as _free_port
from engine.kernel.settings import ROOT


def test_entry_command_serves_from_a_clean_venv(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # Install from a copy, as `docker build` does from its context: the checkout gets no build/ dir.
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", "node_modules", "var", ".git", "build", "test-artifacts", "*.egg-info", "__pycache__"
        ),
    )
    # As the Dockerfile does: the locked packages with their hashes, then the project without resolving.
    pip = [venv / "bin" / "pip", "install", "-q", "--disable-pip-version-check"]
    for args in (
        ["--require-hashes", "-r", str(source / "requirements" / "run.txt")],
        ["--no-deps", "--no-build-isolation", str(source)],
    ):
        install = subprocess.run([*pip, *args], capture_output=True, text=True)
        assert install.returncode == 0, install.stderr[-2000:]
    # The image copies data beside the installed code; do the same with a copy of the tree.
    app_dir = tmp_path / "srv"
    for part in ("bpmn", "config", "migrations", "scripts", "web/static", "web/translations"):
        shutil.copytree(ROOT / part, app_dir / part)
    shutil.copy(ROOT / "Procfile", app_dir / "Procfile")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAIBAN_", "DATABASE_URL", "SECRET_KEY"))}
    env.update(
        DAIBAN_BIN=str(venv / "bin"),
        DAIBAN_VAR_DIR=str(tmp_path / "var"),
        BIND=f"127.0.0.1:{port}",
        WEB_WORKERS="1",
        PATH=f"{venv / 'bin'}:{env['PATH']}",
    )
    refused = subprocess.run(
        [app_dir / "scripts" / "serve"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr
    env["SECRET_KEY"] = "entry-test"
    proc = subprocess.Popen(
        [app_dir / "scripts" / "serve"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        body = None
        for _ in range(150):
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        if body is None:
            proc.terminate()
            raise AssertionError(proc.communicate(timeout=20)[0].decode()[-3000:])
        assert body == b'{"status":"ok"}\n'
        catalog = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/catalog", timeout=5).read()
        assert b"house-building" in catalog
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_compose_runs_web_nodes_and_a_worker_from_the_procfile():
    """Each compose service runs `scripts/serve <process>` for a process the Procfile defines, so the
    image and the one-command run start the same programs; the image installs from the lock."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    procfile = {
        line.split(":", 1)[0]
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert procfile >= {"web", "worker"}
    commands = {name: service.get("command") for name, service in compose["services"].items() if "build" in service}
    assert sorted(c[1] for c in commands.values()) == ["web", "web", "worker"]
    for command in commands.values():
        assert command[0] == "scripts/serve" and set(command[1:]) <= procfile
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r requirements/run.txt" in dockerfile and "COPY Procfile" in dockerfile
