"""The docs site (mkdocs.yml) builds with --strict (a warning fails it), and its generated API page lists
every prop of ContactDefaults with its default, in the Default column and in the prop's own description."""

from __future__ import annotations

import html
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from connect_contact_defaults import ContactDefaults

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(
    r'<tr class="doc-section-item">\s*<td>\s*<code>(?P<name>\w+)</code>\s*</td>\s*<td>.*?</td>\s*'
    r"<td>(?P<description>.*?)</td>\s*<td>(?P<default>.*?)</td>\s*</tr>",
    re.DOTALL,
)


@pytest.fixture(scope="module")
def api_page(tmp_path_factory) -> str:
    site = tmp_path_factory.mktemp("site")
    completed = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, f"mkdocs build --strict failed:\n{completed.stdout}\n{completed.stderr}"
    return (site / "api" / "index.html").read_text()


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def constructor_parameters(api_page: str) -> dict[str, tuple[str, str]]:
    """name -> (description, default) of the first Parameters table: ContactDefaults' props."""
    start = api_page.index('id="connect_contact_defaults.contact_defaults.ContactDefaults"')
    table = api_page[start : api_page.index("</table>", start)]
    return {m["name"]: (text_of(m["description"]), text_of(m["default"])) for m in ROW.finditer(table)}


def test_every_prop_of_contact_defaults_is_listed_with_its_default(api_page):
    listed = constructor_parameters(api_page)
    props = [p for p in inspect.signature(ContactDefaults.__init__).parameters.values() if p.kind is p.KEYWORD_ONLY]
    assert props, "ContactDefaults takes its props as keyword arguments"
    for prop in props:
        assert prop.name in listed, f"the API page does not list the prop {prop.name}"
        description, default = listed[prop.name]
        if prop.default is inspect.Parameter.empty:
            assert default == "required", f"{prop.name}: {default}"
        else:
            assert default not in ("", "required"), f"{prop.name}: no default in the Default column"
            assert "Default:" in description, f"{prop.name}: its docstring states no default: {description}"


def test_the_props_check_reads_the_table():
    row = (
        '<tr class="doc-section-item"> <td> <code>mode</code> </td> <td> <code>AttributeMode</code> </td> '
        "<td> <p>how. Default: <code>FILL_MISSING</code>.</p> </td> <td> <code>FILL_MISSING</code> </td> </tr>"
    )
    page = f'<h2 id="connect_contact_defaults.contact_defaults.ContactDefaults"></h2><table>{row}</table>'
    assert constructor_parameters(page) == {"mode": ("how. Default: FILL_MISSING .", "FILL_MISSING")}
