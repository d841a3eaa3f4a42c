"""The mobile app's own checks, run from the Python suite so `make test` (and CI's
closing pytest line) covers them: its Vitest unit tests, and the API types generated
from the exported OpenAPI document being current."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from offsite.web import WEB_DIR, npm_command, npm_env

SCHEMA_TYPES = WEB_DIR / "src" / "api" / "schema.d.ts"


@pytest.fixture(scope="module")
def node_modules() -> Path:
    folder = WEB_DIR / "node_modules"
    if not (folder / ".bin" / "vitest").exists():
        pytest.fail("web/node_modules is missing: run `make install` (npm ci in web/)")
    return folder


def _npm(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        npm_command(list(args)),
        cwd=WEB_DIR,
        env=npm_env() | {"NO_COLOR": "1", "CI": "true"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_vitest_unit_tests_pass(node_modules: Path) -> None:
    result = _npm("run", "test")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "passed" in result.stdout


def test_api_types_match_the_exported_document(node_modules: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "schema.d.ts"
    result = _npm("exec", "--", "openapi-typescript", "../openapi/offsite.json", "-o", str(fresh))
    assert result.returncode == 0, result.stdout + result.stderr
    assert fresh.read_text() == SCHEMA_TYPES.read_text(), (
        "web/src/api/schema.d.ts is stale: run `make openapi` and commit the result"
    )
