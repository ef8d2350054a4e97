"""Blocks of the README and the docs pages that tests run verbatim."""

from __future__ import annotations

import re

from harness.repository import REPO


def readme_block(name: str) -> str:
    """The bash block between `<!-- name:start -->` and `<!-- name:end -->` in README.md or a
    page under docs/ (the README keeps the CLI walk; the console-tool walk is in docs/contract.md).
    """
    pattern = rf"<!-- {name}:start -->\s*```bash\n(.*?)```\s*<!-- {name}:end -->"
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    blocks: list[str] = [
        block for page in pages for block in re.findall(pattern, page.read_text(), re.S)
    ]
    assert len(blocks) == 1, f"{len(blocks)} {name} blocks in README.md and docs/, not one"
    return blocks[0]
