"""Write the app's OpenAPI document to ``openapi/offsite.json``, or check it is current.

python -m openapi.export          regenerate (make openapi)
python -m openapi.export --check  exit 1 when the file and the app disagree
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


def current_document() -> dict[str, Any]:
    """The document the app serves at /schema/openapi.json (no services needed)."""
    app = create_app(Settings.from_env({}))
    document: dict[str, Any] = app.openapi_schema.to_schema()
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = render(current_document())
    if args.check:
        if not DOCUMENT.exists() or DOCUMENT.read_text() != text:
            sys.stderr.write(f"{DOCUMENT} is stale: run `make openapi`\n")
            return 1
        return 0
    DOCUMENT.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
