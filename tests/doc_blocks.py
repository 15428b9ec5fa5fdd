"""The fenced code blocks of a Markdown page (README.md, docs/*.md), which tests run as written."""

from __future__ import annotations

import re
from pathlib import Path


def code_blocks(page: Path, language: str) -> list[str]:
    """The text of every ```<language> block of the page, in page order."""
    return re.findall(rf"```{re.escape(language)}\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)
