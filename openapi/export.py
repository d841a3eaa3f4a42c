"""Write the app's OpenAPI documents, or check they are current.

``openapi/offsite.json`` is the whole API; ``openapi/integrator.json`` is its
``/integrator/v1`` part alone (with the components it uses), the one outside systems
generate their clients from.

python -m openapi.export          regenerate both (make openapi)
python -m openapi.export --check  exit 1 when a file and the app disagree
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from api.app import create_app
from offsite.settings import Settings

DOCUMENT = Path(__file__).parent / "offsite.json"
INTEGRATOR_DOCUMENT = Path(__file__).parent / "integrator.json"
INTEGRATOR_PREFIX = "/integrator/v1/"
INTEGRATOR_SCHEME = "IntegratorKey"
SCHEMA_REF = "#/components/schemas/"


def current_document() -> dict[str, Any]:
    """The document the app serves at /schema/openapi.json (no services needed)."""
    app = create_app(Settings.from_env({}))
    document: dict[str, Any] = app.openapi_schema.to_schema()
    return document


def integrator_document(document: dict[str, Any]) -> dict[str, Any]:
    """The ``/integrator/v1`` paths of ``document``, with only the schemas they reference
    and the API-key security scheme, so a generated client holds nothing else."""
    paths = {p: item for p, item in document["paths"].items() if p.startswith(INTEGRATOR_PREFIX)}
    components = document["components"]
    tags = {tag for item in paths.values() for op in item.values() for tag in op.get("tags", [])}
    return {
        "openapi": document["openapi"],
        "info": {**document["info"], "title": "Offsite integrator API"},
        "servers": document["servers"],
        "security": [{INTEGRATOR_SCHEME: []}],
        "tags": [t for t in document["tags"] if t["name"] in tags],
        "paths": paths,
        "components": {
            "schemas": {
                n: components["schemas"][n] for n in sorted(_referenced(paths, components))
            },
            "securitySchemes": {
                INTEGRATOR_SCHEME: components["securitySchemes"][INTEGRATOR_SCHEME]
            },
        },
    }


def _referenced(root: Any, components: dict[str, Any]) -> set[str]:
    """Names of the schemas ``root`` references, directly or through other schemas."""
    found: set[str] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
                name = ref.removeprefix(SCHEMA_REF)
                if name not in found:
                    found.add(name)
                    pending.append(components["schemas"][name])
            pending.extend(node.values())
    return found


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    document = current_document()
    expected = {
        DOCUMENT: render(document),
        INTEGRATOR_DOCUMENT: render(integrator_document(document)),
    }
    if args.check:
        stale = [p for p, text in expected.items() if not p.exists() or p.read_text() != text]
        for path in stale:
            sys.stderr.write(f"{path} is stale: run `make openapi`\n")
        return 1 if stale else 0
    for path, text in expected.items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
