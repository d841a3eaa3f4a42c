"""End-to-end tests reuse the integration fixtures (real services, the app in-process)."""

import pytest

from tests.e2e.browser import SCREENSHOTS
from tests.integration.conftest import (  # noqa: F401
    client,
    database,
    fake_sms,
    fake_wechat,
    settings,
)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Where the browser tests left their screenshots (look at them)."""
    shots = sorted(SCREENSHOTS.glob("*.png")) if SCREENSHOTS.is_dir() else []
    if shots:
        terminalreporter.write_sep("-", f"{len(shots)} screenshots in {SCREENSHOTS.resolve()}")
        for shot in shots:
            terminalreporter.write_line(f"  {shot.name}")
