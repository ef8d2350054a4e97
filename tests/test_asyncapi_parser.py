"""asyncapi.yaml parses with the official AsyncAPI parser (`@asyncapi/parser`, from npm).

The parser is installed with `npm ci` from tests/asyncapi/package-lock.json into the project's
cache directory (`CUSTOMER_ASYNC_CACHE_DIR`), in a folder named by the hash of the lock file, with
npm's download cache beside it: an install is reused until the lock file changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.asyncapi_support import ASYNCAPI_PATH, asyncapi_document
from tests.support.tool_cache import build_once, cache_dir

PARSER_SOURCES = Path(__file__).resolve().parent / "asyncapi"
PARSE_SCRIPT = PARSER_SOURCES / "parse.cjs"
INSTALL_TIMEOUT = 600.0
PARSE_TIMEOUT = 240.0
FAILING_SEVERITIES = ("error", "warning")


class ParserInstallError(RuntimeError):
    """The parser could not be installed (no Node or npm, or `npm ci` failed)."""


@dataclass(frozen=True)
class ParseReport:
    """What the parser said about one document."""

    parsed: bool
    asyncapi: str | None
    diagnostics: list[dict[str, Any]]

    def with_severity(self, *severities: str) -> list[dict[str, Any]]:
        return [d for d in self.diagnostics if d["severity"] in severities]


def lock_digest() -> str:
    """A hash of the lock file, which pins the parser and every package it needs."""
    return hashlib.sha256((PARSER_SOURCES / "package-lock.json").read_bytes()).hexdigest()[:16]


def install_parser() -> Path:
    """The `node_modules` holding the pinned parser: from the cache, or installed now."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise ParserInstallError(f"{tool} is needed to install and run @asyncapi/parser")
    cache = cache_dir()

    def copy_sources(partial: Path) -> None:
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(PARSER_SOURCES / name, partial / name)

    install = build_once(
        cache / "asyncapi-parser" / lock_digest(),
        lambda partial: [
            "npm",
            "ci",
            # No package the parser needs builds anything; the one install script is telemetry.
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--prefer-offline",
            "--loglevel=error",
            f"--cache={cache / 'npm'}",
        ],
        what="npm ci of @asyncapi/parser",
        error=ParserInstallError,
        timeout=INSTALL_TIMEOUT,
        prepare=copy_sources,
        env={**os.environ, "npm_config_update_notifier": "false"},
    )
    return install / "node_modules"


@dataclass(frozen=True)
class ParserRun:
    """One run of parse.cjs: the parser's version and its report on each document."""

    version: str
    reports: dict[Path, ParseReport]


def parse(node_modules: Path, *documents: Path) -> ParserRun:
    """Runs parse.cjs once over the documents."""
    node = subprocess.run(
        ["node", str(PARSE_SCRIPT), *map(str, documents)],
        env={**os.environ, "NODE_PATH": str(node_modules)},
        capture_output=True,
        text=True,
        timeout=PARSE_TIMEOUT,
        check=False,
    )
    assert node.returncode == 0, f"parse.cjs exited {node.returncode}:\n{node.stderr[-4000:]}"
    output = json.loads(node.stdout)
    reports = {
        Path(source): ParseReport(**report) for source, report in output["documents"].items()
    }
    return ParserRun(str(output["parser"]), reports)


@dataclass(frozen=True)
class BrokenDocument:
    """A copy of asyncapi.yaml beside the real schemas, with one reference to a missing file."""

    path: Path
    line: int


def with_broken_schema_reference(directory: Path) -> BrokenDocument:
    """Copies asyncapi.yaml into a directory, its first reference to Customer made missing."""
    text = ASYNCAPI_PATH.read_text(encoding="utf-8")
    reference = "'./schemas/Customer.schema.json'"
    index = text.index(reference)
    copy = directory / ASYNCAPI_PATH.name
    copy.write_text(text.replace(reference, "'./schemas/Nowhere.schema.json'", 1), encoding="utf-8")
    (directory / "schemas").symlink_to(ASYNCAPI_PATH.parent / "schemas")
    return BrokenDocument(copy, text.count("\n", 0, index) + 1)


@pytest.fixture(scope="session")
def parser_modules() -> Path:
    """The parser's node_modules, installed once (and only when the lock file changed)."""
    started = time.perf_counter()
    try:
        node_modules = install_parser()
    except ParserInstallError as exc:
        # A missing tool is a failure, never a skip (in CI above all).
        pytest.fail(str(exc), pytrace=False)
    print(f"@asyncapi/parser ready in {time.perf_counter() - started:.1f} s: {node_modules}")
    return node_modules


@pytest.fixture(scope="session")
def broken_document(tmp_path_factory: pytest.TempPathFactory) -> BrokenDocument:
    return with_broken_schema_reference(tmp_path_factory.mktemp("broken-asyncapi"))


@pytest.fixture(scope="session")
def parsed(parser_modules: Path, broken_document: BrokenDocument) -> ParserRun:
    """Both documents in one run: loading the parser costs more than parsing."""
    started = time.perf_counter()
    run = parse(parser_modules, ASYNCAPI_PATH, broken_document.path)
    print(f"@asyncapi/parser {run.version} parsed in {time.perf_counter() - started:.1f} s")
    return run


def test_the_pinned_parser_is_the_one_that_ran(parsed: ParserRun) -> None:
    lock = json.loads((PARSER_SOURCES / "package-lock.json").read_text(encoding="utf-8"))
    assert parsed.version == lock["packages"]["node_modules/@asyncapi/parser"]["version"]


def test_asyncapi_yaml_parses_without_errors_or_warnings(
    parsed: ParserRun,
) -> None:
    report = parsed.reports[ASYNCAPI_PATH]
    failing = report.with_severity(*FAILING_SEVERITIES)
    assert report.parsed, json.dumps(report.diagnostics, indent=2)
    assert not failing, json.dumps(failing, indent=2)
    assert report.asyncapi == asyncapi_document()["asyncapi"]
    for diagnostic in report.diagnostics:
        print(f"{diagnostic['severity']}: {diagnostic['code']}: {diagnostic['message']}")


def test_a_missing_schema_file_is_an_error_diagnostic(
    parsed: ParserRun, broken_document: BrokenDocument
) -> None:
    report = parsed.reports[broken_document.path]
    errors = report.with_severity("error")
    assert not report.parsed
    assert [(d["code"], d["line"]) for d in errors] == [("invalid-ref", broken_document.line)], (
        errors
    )
    assert "Nowhere.schema.json" in errors[0]["message"]
