"""End-to-end tests reuse the integration fixtures (real services, the app in-process)."""

from tests.integration.conftest import (  # noqa: F401
    client,
    database,
    fake_sms,
    fake_wechat,
    settings,
)
