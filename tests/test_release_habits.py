"""The release habits hold: the version in one place, the API's own version beside it, the
package typed (PEP 561), and pre-commit running exactly what scripts/test lints."""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import re
import shlex
import tomllib
from typing import Any

import yaml
from click.testing import CliRunner

from customer_async import __version__
from customer_async.cli import main
from harness.repository import REPO
from tests.asyncapi_support import asyncapi_document


def test_the_version_is_written_only_in_the_package() -> None:
    """pyproject.toml has no version of its own: hatch reads `__version__`."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["hatch"]["version"]["path"] == "customer_async/__init__.py"


def test_the_installed_metadata_and_the_cli_say_the_package_version() -> None:
    installed = importlib.metadata.version("customer-async")
    assert installed == __version__, "the installed metadata is stale: run scripts/bootstrap"
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"customer-async, version {__version__}\n"


def test_asyncapi_version_is_the_tmf_api_version_the_contract_follows() -> None:
    """`info.version` is TMF629's version (the one the schemas cite), not the package's; its
    major version is the `v5` of every topic name."""
    api_version = str(asyncapi_document()["info"]["version"])
    cited = {
        match
        for schema in (REPO / "schemas").glob("*.schema.json")
        for match in re.findall(r"TMF629 v(\d+\.\d+\.\d+)", schema.read_text(encoding="utf-8"))
    }
    assert cited == {api_version}
    major, _, _ = api_version.partition(".")
    channels = asyncapi_document()["channels"].values()
    assert all(f".customerManagement.v{major}." in channel["address"] for channel in channels)


def test_the_package_is_typed() -> None:
    assert importlib.resources.files("customer_async").joinpath("py.typed").is_file()


def test_pre_commit_runs_exactly_what_scripts_test_lints() -> None:
    script = (REPO / "scripts" / "test").read_text(encoding="utf-8")
    linted = [line for line in script.splitlines() if re.match(r"\.venv/bin/(ruff|mypy)\b", line)]
    config: dict[str, Any] = yaml.safe_load(
        (REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    )
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert [shlex.split(hook["entry"]) for hook in hooks] == [shlex.split(line) for line in linted]
    assert all(repo["repo"] == "local" for repo in config["repos"])
    assert all(hook["language"] == "system" and not hook["pass_filenames"] for hook in hooks)
