"""The repository documents itself: docs/api.md is what scripts/api_docs.py writes from the OpenAPI
document, the architecture and domain notes exist, and nothing tracked points outside the repository."""

import importlib.util
import os
import subprocess

from engine.kernel.settings import ROOT

# Built by concatenation so this file does not contain what it looks for.
OUTSIDE_FOLDER = ".." + "/" + "shared"
SKIPPED_DIRS = {".git", ".venv", "node_modules"}


def _api_docs_script():
    spec = importlib.util.spec_from_file_location("api_docs", ROOT / "scripts" / "api_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _repository_files() -> list:
    """Files under version control; the working tree without virtualenvs when git is not there."""
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True)
        return [ROOT / name for name in out.stdout.decode("utf-8").split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        found = []
        for folder, dirs, files in os.walk(ROOT):
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
            found += [ROOT / folder / name for name in files]
        return found


def test_api_md_is_what_the_script_generates_from_the_openapi_document():
    generated = _api_docs_script().render()
    current = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert current == generated, "docs/api.md is stale: run .venv/bin/python scripts/api_docs.py"


def test_the_architecture_and_domain_notes_are_in_the_repository():
    for name in ("architecture.md", "domain.md", "api.md", "deployment.md", "security.md"):
        assert (ROOT / "docs" / name).stat().st_size > 1000, name


def test_no_tracked_file_refers_to_the_team_folder_outside_the_repository():
    offenders = []
    for path in _repository_files():
        if not path.is_file():
            continue  # deleted in the working tree but still in the index
        if OUTSIDE_FOLDER.encode() in path.read_bytes():
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
