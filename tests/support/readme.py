"""Blocks of the README that tests run verbatim."""

from __future__ import annotations

import re

from tests.support.servers import REPO


def readme_block(name: str) -> str:
    """The bash block between the README's `<!-- name:start -->` and `<!-- name:end -->`."""
    readme = (REPO / "README.md").read_text()
    pattern = rf"<!-- {name}:start -->\s*```bash\n(.*?)```\s*<!-- {name}:end -->"
    block = re.search(pattern, readme, re.S)
    assert block is not None, f"README.md has no {name} block"
    return block.group(1)
