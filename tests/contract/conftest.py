"""The client an integrator generates from the app's document, made once per run (or xdist worker)."""

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from app.main import create_app

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "reintegrasi_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
# The config the README tells integrators to use, unchanged.
CONFIG = ROOT / "docs" / "openapi-python-client.yaml"


@dataclass(frozen=True)
class Generated:
    """The generated package's folder and everything the generator printed."""

    package: Path
    output: str


@pytest.fixture(scope="session")
def document() -> dict[str, Any]:
    return create_app().openapi()


@pytest.fixture(scope="session")
def generated(document, tmp_path_factory) -> Generated:
    """The client, generated the way the README says (its default post-hooks format it with ruff)."""
    work = tmp_path_factory.mktemp("client")
    (work / "openapi.json").write_text(json.dumps(document))
    # The pinned ruff of the dev dependencies runs the generator's post-hooks.
    env = os.environ | {"PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [GENERATOR, "generate", "--path", "openapi.json", "--config", CONFIG]
        + ["--meta", "none", "--output-path", PACKAGE],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return Generated(work / PACKAGE, result.stdout + result.stderr)


@pytest.fixture(scope="session")
def client_package(generated: Generated) -> Iterator[ModuleType]:
    """The generated package, importable as `reintegrasi_client` for the run."""
    sys.path.insert(0, str(generated.package.parent))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(generated.package.parent))
