"""Where a finding is: a YAML path in the scenario's own spelling and its line in the file."""

from __future__ import annotations

from collections.abc import Callable

from batchsim.scenario.yamlmap import YamlDoc, format_path

Path = tuple[str | int, ...]
Locate = Callable[[Path], tuple[str, "int | None"]]


def locator(doc: YamlDoc | None) -> Locate:
    """Return a function giving a path's text and line (the nearest ancestor's when the path
    itself is not written, e.g. a default; None without a document)."""

    def locate(path: Path) -> tuple[str, int | None]:
        return format_path(path), doc.line_of(path) if doc is not None else None

    return locate
