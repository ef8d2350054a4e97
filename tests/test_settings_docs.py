"""The configuration page is generated from `Settings`' descriptions and committed as generated."""

from __future__ import annotations

from customer_async.settings import Settings
from customer_async.settings_docs import REGENERATE, configuration_page
from harness.repository import REPO


def test_the_committed_configuration_page_is_the_generated_one() -> None:
    committed = (REPO / "docs" / "configuration.md").read_text()
    assert committed == configuration_page(), (
        f"docs/configuration.md is out of date with customer_async/settings.py; run: {REGENERATE}"
    )


def test_every_setting_has_a_described_row() -> None:
    page = configuration_page()
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} has no description= in settings.py"
        assert f"| `CUSTOMER_ASYNC_{name.upper()}` |" in page


def test_defaults_secrets_and_bounds_are_rendered() -> None:
    page = configuration_page()
    assert "| `CUSTOMER_ASYNC_MONGODB_TLS` | `false` |" in page
    assert "| `CUSTOMER_ASYNC_KAFKA_SASL_USERNAME` | unset |" in page
    assert "| `CUSTOMER_ASYNC_STORE_RETRY_SECONDS` | `30` | ≥ 0 |" in page
    assert "| `CUSTOMER_ASYNC_HTTP_PORT` | `8081` | ≥ 1, ≤ 65535 |" in page
    assert "printed masked" in page.split("CUSTOMER_ASYNC_MONGODB_PASSWORD")[1].split("\n")[0]
