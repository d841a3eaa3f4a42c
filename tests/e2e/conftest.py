"""End-to-end tests reuse the integration fixtures (real services, the app in-process)."""

from tests.integration.conftest import client, database, fake_wechat, settings  # noqa: F401
