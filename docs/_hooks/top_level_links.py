"""MkDocs hook: include top-level files (CONTRIBUTING.md, CHANGELOG.md) with their links fixed.

A page whose whole text is `--8<-- "NAME"` becomes the repository's top-level file NAME. Those
files link as seen from the repository's top (`docs/benchmark.md`, `README.md`); on a docs page
the same targets are `benchmark.md` and the home page, so the links are rewritten here, and
strict mode still fails on any that do not resolve.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_INCLUDE = re.compile(r'\A--8<-- "([A-Z]+\.md)"\s*\Z')
_TOP_LEVEL_TARGETS = {
    "](docs/": "](",
    "](README.md)": "](index.md)",
    "](CHANGELOG.md)": "](changelog.md)",
    "](CONTRIBUTING.md)": "](contributing.md)",
}


def on_page_markdown(markdown: str, config: Any, **_: Any) -> str:
    """The included top-level file, its links made relative to the docs."""
    include = _INCLUDE.match(markdown)
    if include is None:
        return markdown
    top = Path(config["config_file_path"]).parent
    text = (top / include.group(1)).read_text()
    for top_level, in_docs in _TOP_LEVEL_TARGETS.items():
        text = text.replace(top_level, in_docs)
    return text
