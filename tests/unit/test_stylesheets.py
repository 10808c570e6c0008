"""Every CSS class the pages ask for is defined by a stylesheet they load.

Tailwind is off (its in-browser compiler cost every page load), so a Tailwind class that console.css does not
define would silently do nothing; so would a typo in any class."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import nicegui

from handoff_ui import STATIC
from handoff_ui.words import FLAG_COLORS, STATUS_COLORS

UI = Path(STATIC).parent
NICEGUI_STATIC = Path(nicegui.__file__).parent / "static"
STYLESHEETS = [
    NICEGUI_STATIC / "quasar.unimportant.prod.css",
    NICEGUI_STATIC / "quasar.important.prod.css",
    NICEGUI_STATIC / "nicegui.css",
    STATIC / "console.css",
]
COLOR_CLASS = re.compile(r"(text|bg)-[a-z]+(-\d+)?")


def defined_classes(css: str) -> set[str]:
    """The class names in the selectors of every rule (nested in @layer or @media or not)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    names: set[str] = set()
    for selector in re.findall(r"([^{}]+)\{[^{}]*\}", css):
        for name in re.findall(r"\.((?:[\w-]|\\.)+)", selector):
            names.add(re.sub(r"\\(.)", r"\1", name))
    return names


def strings_in(node: ast.AST) -> Iterator[ast.expr]:
    """The strings and f-strings in an expression (an f-string whole, not its pieces)."""
    if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        yield node
    elif isinstance(node, ast.expr):
        for child in ast.iter_child_nodes(node):
            yield from strings_in(child)


def whole_tokens(node: ast.expr) -> Iterator[str]:
    """The class names written out in a string or f-string; a name with a {placeholder} in it is skipped."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield from node.value.split()
    elif isinstance(node, ast.JoinedStr):
        parts = node.values
        for i, part in enumerate(parts):
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                tokens = part.value.split(" ")
                if i > 0:
                    tokens = tokens[1:]  # glued to the placeholder before it
                if i < len(parts) - 1:
                    tokens = tokens[:-1]  # glued to the placeholder after it
                yield from (token for token in tokens if token)


def requested_classes() -> dict[str, str]:
    """Class name -> where it is asked for: the arguments of `.classes(...)`, what `*_classes` functions
    return, colour classes (text-*, bg-*) written anywhere, and the static classes of our Vue templates."""
    found: dict[str, str] = {}
    for path in sorted(UI.rglob("*.py")):  # the pages and components too
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            strings: list[ast.expr] = []
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr == "classes":
                    strings += node.args[:1] + [k.value for k in node.keywords if k.arg in ("add", "replace")]
            elif isinstance(node, ast.FunctionDef) and node.name.endswith("classes"):
                for statement in ast.walk(node):
                    if isinstance(statement, ast.Return | ast.Assign) and statement.value is not None:
                        strings += strings_in(statement.value)
            elif isinstance(node, ast.Dict):  # {"status_class": ...}: classes handed to a Vue template
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and str(key.value).endswith("class"):
                        strings += strings_in(value)
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and COLOR_CLASS.fullmatch(node.value)
            ):
                strings.append(node)
            for string in strings:
                for token in whole_tokens(string):
                    found.setdefault(token, f"{path.name}:{string.lineno}")
    for component in sorted((UI / "components").glob("*.js")):  # static class="..." in Vue templates
        for number, line in enumerate(component.read_text().splitlines(), 1):
            for value in re.findall(r'(?<![:\w-])class="([^"]*)"', line):
                for token in value.split():
                    found.setdefault(token, f"{component.name}:{number}")
    for color in [
        *FLAG_COLORS.values(),
        *STATUS_COLORS.values(),
    ]:  # badges: bg-<color>; outlined: text-<color>
        found.setdefault(f"bg-{color}", "words.py")
        found.setdefault(f"text-{color}", "words.py")
    return found


def test_every_class_the_pages_use_is_defined() -> None:
    """Defined by a stylesheet, or a handle console.js finds elements by (`.hf-status-label`)."""
    defined = set().union(*(defined_classes(sheet.read_text()) for sheet in STYLESHEETS))
    script = (STATIC / "console.js").read_text()
    requested = requested_classes()
    missing = {
        name: where for name, where in requested.items() if name not in defined and f".{name}" not in script
    }
    assert not missing, f"classes no stylesheet defines: {missing}"


def test_the_check_sees_the_classes_it_should() -> None:
    """The collector finds classes written in each way the pages write them, and the CSS reader reads
    escaped names and rules nested in @layer."""
    requested = requested_classes()
    assert {
        "hf-card",
        "gap-1",
        "min-w-[180px]",
        "hf-attention",
        "q-badge",
        "text-red-7",
        "bg-pink-7",
        "hf-where",
        "hf-status-badge",
    } <= set(requested)
    assert not any("{" in name or "}" in name for name in requested)
    console = defined_classes((STATIC / "console.css").read_text())
    assert {"min-w-[180px]", "gap-2", "hf-card", "hf-attention", "hf-chat"} <= console
    assert "hf-nothing" not in console
