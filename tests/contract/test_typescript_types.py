"""TypeScript types generated from the app's document, and a typed use of them checked by `tsc --strict`.

The tools are the versions `tests/contract/typescript/package-lock.json` pins (openapi-typescript,
openapi-fetch, TypeScript), installed by `npm ci` into that folder on the first run and kept
(`node_modules` is not committed). The types are generated once per run with the README's command.
The typed use (`typed_use.ts`) and the README's example must compile, with the problem bodies the
running app answered written beside them as typed constants; every line marked `// wrong:` in
`wrong_use.ts` must be an error. Without node and npm the tests skip with the reason, except under
CI=true (.ci/run), where that is a failure.
"""

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.contract.conftest import ROOT

PROJECT = ROOT / "tests" / "contract" / "typescript"
LOCK = PROJECT / "package-lock.json"
# The generator's options, as the README's command gives them: fields that have a default are
# optional (else TypeScript would make a client send every defaulted field of a request body).
GENERATOR_OPTIONS = ["--default-non-nullable", "false"]
SOURCES = ("typed_use.ts", "wrong_use.ts", "tsconfig.json")
TSC_ERROR = re.compile(r"^(?P<file>[^\s(]+)\((?P<line>\d+),\d+\): error (?P<code>TS\d+): (?P<message>.*)$")
AGENCIES = "/api/v1/agencies"


def _unavailable(reason: str) -> None:
    """Skip with the reason; under CI=true a missing tool fails the run instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _node_and_npm() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("NO NODE/NPM: install Node.js 18+ with npm to generate and check the TypeScript types")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout
    if int(version.strip().lstrip("v").split(".")[0]) < 18:
        _unavailable(f"Node.js {version.strip()} is too old for openapi-typescript 7 (18+ needed)")
    return node, npm  # type: ignore[return-value]


def _installed(npm: str) -> Path:
    """`node_modules` as the lock pins it: `npm ci` when missing or made from another lock."""
    modules = PROJECT / "node_modules"
    stamp = modules / ".reintegrasi-lock-sha256"
    wanted = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    # One installer at a time: xdist workers share the folder.
    with (PROJECT / ".npm-ci.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if not stamp.is_file() or stamp.read_text() != wanted:
            result = subprocess.run(
                [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"],
                cwd=PROJECT,
                capture_output=True,
                text=True,
                timeout=600,
            )
            if result.returncode != 0:
                _unavailable(f"npm ci failed in {PROJECT}:\n{result.stdout}{result.stderr}")
            stamp.write_text(wanted)
    return modules


@dataclass(frozen=True)
class Project:
    """A folder with the generated types, the committed sources and the pinned tools."""

    folder: Path
    node: str
    generator_output: str

    def compile(self) -> list[dict[str, str]]:
        """tsc's errors for the whole folder (tsconfig.json: strict), parsed."""
        tsc = self.folder / "node_modules" / "typescript" / "bin" / "tsc"
        result = subprocess.run(
            [self.node, tsc, "-p", "tsconfig.json", "--pretty", "false"],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=300,
        )
        errors = [m.groupdict() for m in map(TSC_ERROR.match, result.stdout.splitlines()) if m]
        assert result.returncode in {0, 2}, result.stdout + result.stderr  # 2: errors were reported
        assert (result.returncode == 2) == bool(errors), result.stdout + result.stderr
        return errors


@pytest.fixture(scope="session")
def typescript_project(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The types generated once per run from the document, as the README says, beside the sources."""
    node, npm = _node_and_npm()
    modules = _installed(npm)
    folder = tmp_path_factory.mktemp("typescript")
    (folder / "node_modules").symlink_to(modules, target_is_directory=True)
    for name in SOURCES:
        shutil.copy(PROJECT / name, folder / name)
    (folder / "openapi.json").write_text(json.dumps(document))
    generator = modules / "openapi-typescript" / "bin" / "cli.js"
    result = subprocess.run(
        [node, generator, "openapi.json", "-o", "reintegrasi.ts", *GENERATOR_OPTIONS],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return Project(folder, node, result.stdout + result.stderr)


def test_the_generator_warns_of_nothing(typescript_project):
    output = typescript_project.generator_output
    assert "reintegrasi.ts" in output
    assert not re.search(r"warn|error|⚠", output, re.I), output


async def _problems(client, callers) -> dict[str, dict[str, Any]]:
    """A 428, a 412 and a 422, as the app answers them."""
    headers = callers.admin.headers
    agency = {"name": "Lembaga TS", "kind": "ngo", "region_code": "53.71"}
    created = await client.post(AGENCIES, json=agency, headers=headers)
    assert created.status_code == 201, created.text
    url = f"{AGENCIES}/{created.json()['id']}"
    answers = {
        "preconditionRequired": (await client.patch(url, json={"acronym": "LT"}, headers=headers), 428),
        "preconditionFailed": (
            await client.patch(url, json={"acronym": "LT"}, headers=headers | {"If-Match": '"7"'}),
            412,
        ),
        "validationError": (await client.post(AGENCIES, json={"kind": "guild"}, headers=headers), 422),
    }
    bodies = {}
    for name, (response, status) in answers.items():
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        bodies[name] = response.json()
    assert bodies["validationError"]["errors"], bodies["validationError"]
    return bodies


def _write_problems(folder: Path, bodies: dict[str, dict[str, Any]]) -> None:
    lines = [
        "// The problem bodies the running app answered (tests/contract/test_typescript_types.py).",
        'import type { components } from "./reintegrasi";',
        'type Problem = components["schemas"]["Problem"];',
    ]
    lines += [f"export const {name}: Problem = {json.dumps(b, indent=2)};" for name, b in bodies.items()]
    (folder / "problems.ts").write_text("\n".join(lines) + "\n")


def _readme_section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme[readme.index("**TypeScript client.**") :].split("\n**", 1)[0]


def _write_readme_example(folder: Path) -> None:
    """The README's example as a module, with the two values it leaves to the reader."""
    example = _readme_section().split("```ts\n", 1)[1].split("```", 1)[0]
    declared = "declare const token: string;\ndeclare const siteId: string;\n"
    (folder / "readme_example.ts").write_text(declared + example)


def _wrong_lines(source: str) -> set[int]:
    """The lines with a statement and the `// wrong:` marker after it."""
    lines = enumerate(source.splitlines(), 1)
    return {number for number, line in lines if "// wrong:" in line and not line.lstrip().startswith("//")}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the bodies, not the database, matter
async def test_a_typed_use_compiles_and_every_wrong_use_fails(typescript_project, client, callers):
    _write_problems(typescript_project.folder, await _problems(client, callers))
    _write_readme_example(typescript_project.folder)
    errors = typescript_project.compile()
    outside = [e for e in errors if e["file"] != "wrong_use.ts"]
    assert not outside, "\n".join(f"{e['file']}:{e['line']} {e['code']} {e['message']}" for e in outside)
    wrong = _wrong_lines((typescript_project.folder / "wrong_use.ts").read_text())
    assert len(wrong) >= 6
    assert {int(e["line"]) for e in errors} == wrong, errors


def test_the_readme_generates_with_the_pinned_tools_and_the_tested_options():
    section = _readme_section()
    pinned = json.loads((PROJECT / "package.json").read_text())["devDependencies"]
    locked = json.loads(LOCK.read_text())["packages"]
    for package, version in pinned.items():
        assert locked[f"node_modules/{package}"]["version"] == version
        assert f"{package}@{version}" in section, package
    command = next(line for line in section.splitlines() if "openapi-typescript " in line and "-o" in line)
    assert " ".join(GENERATOR_OPTIONS) in command
