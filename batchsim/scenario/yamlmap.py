"""YAML text → plain Python data plus the line number of every key and list item.

Problems found later (by pydantic or the cross-object checks) name a path such as
``jobQueues[0].computeEnvironmentOrder[1].computeEnvironment``; :meth:`YamlDoc.line_of` turns
that path into the line the user should look at. Paths are tuples of mapping keys and list
indices; :func:`format_path` and :func:`parse_path` convert them to and from the dotted form.
"""

from __future__ import annotations

import copy
import datetime
import functools
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.error import Mark
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from batchsim.errors import Problem

PathKey = str | int
Path = tuple[PathKey, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"
_SIMPLE_KEY = re.compile(r"^[^.\[\]\s]+$")
_TOKEN = re.compile(r"\.?([^.\[\]]+)|\[([^\[\]]*)\]")
ALIAS_BUDGET = 10_000
"""Most YAML nodes that aliases (``*name``) may produce in one document: far above any real
scenario, far below a "billion laughs" document that would expand to gigabytes."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists accepted: a scenario needs about 10 levels; far
deeper documents would exhaust Python's recursion limit while being read."""


class Selector(str):
    """A bracketed, non-integer path element (``[od]``): the list item with that name."""


@dataclass
class YamlDoc:
    """A loaded YAML document: its ``data`` and the 1-based line of each path in ``lines``."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """Return the line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader that also records line numbers and duplicate keys while walking nodes."""

    def __init__(self, text: str):
        super().__init__(text)
        self.lines: dict[Path, int] = {}
        self.duplicates: list[Problem] = []
        self.bad_keys: list[Problem] = []
        self.aliases: list[tuple[Node, Mark]] = []
        self._walked: set[int] = set()
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        """Compose as PyYAML does, remembering each alias and where it was written.

        Raises a ComposerError (a YAMLError, with the line) past :data:`MAX_DEPTH` levels.
        """
        mark = self.peek_event().start_mark if self.check_event(AliasEvent) else None
        if self._depth >= MAX_DEPTH:
            raise ComposerError(None, None, f"nesting deeper than {MAX_DEPTH} levels (a scenario "
                                "needs about 10); is a bracket or an indentation off?",
                                self.peek_event().start_mark)  # fmt: skip
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if mark is not None and node is not None:
            self.aliases.append((node, mark))
        return node

    def alias_problem(self) -> Problem | None:
        """Return a problem for a recursive alias or aliases beyond :data:`ALIAS_BUDGET`.

        Checked on the composed node graph, before anything is expanded: aliases are visited
        in the order written, so a recursive one is found before any alias that leads to it.
        """
        sizes: dict[int, int] = {}
        produced = 0
        for node, mark in self.aliases:
            if node.start_mark.index <= mark.index < node.end_mark.index:
                return Problem("", "a recursive alias: it refers to the node that contains it, "
                               "which would never end", mark.line + 1)  # fmt: skip
            produced += expanded_size(node, sizes)
            if produced > ALIAS_BUDGET:
                return Problem("", f"aliases expand to more than {ALIAS_BUDGET:,} YAML nodes "
                               "(a 'billion laughs' document?); write the values out or use "
                               "fewer nested aliases", mark.line + 1)  # fmt: skip
        return None

    def walk(self, node: Node, path: Path) -> None:
        """Record lines below ``node`` (reached at ``path``); each node is walked once."""
        # NOTE: an alias reuses its anchor's node; walking it once keeps "billion laughs"
        # documents linear and lets aliased paths fall back to the alias's own line.
        if id(node) in self._walked:
            return
        self._walked.add(id(node))
        if isinstance(node, MappingNode):
            self._walk_mapping(node, path)
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                self.lines[(*path, index)] = item.start_mark.line + 1
                self.walk(item, (*path, index))

    def _walk_mapping(self, node: MappingNode, path: Path) -> None:
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, ScalarNode):
                continue  # merged and complex keys are left to the constructor
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                message = non_string_key_message(key, key_node.value)
                self.bad_keys.append(Problem(format_path(path), message, line))
                continue
            if key in seen:
                message = (
                    f"duplicate key {key!r} (first given on line {seen[key]}); only one is kept"
                )
                self.duplicates.append(Problem(format_path((*path, key)), message, line))
            seen.setdefault(key, line)
            self.lines[(*path, key)] = line
            self.walk(value_node, (*path, key))


_KEY_KINDS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "true/false"),
    ((int, float), "a number"),
    ((datetime.date, datetime.datetime), "a date"),
    (bytes, "binary data"),
)


def non_string_key_message(key: Any, text: str) -> str:
    """Say why the YAML key written as ``text`` (read by YAML as ``key``) is not a name."""
    if key is None:
        return f"a key cannot be null ({text or 'empty'}); write a key name"
    kind = next((name for kinds, name in _KEY_KINDS if isinstance(key, kinds)), "a value")
    return (
        f"the key {text} is read by YAML as {kind}, not as a name; keys are names "
        f"(quote it, '{text}', if a name was meant)"
    )


def drop_non_string_keys(data: Any) -> None:
    """Remove, in place, every mapping entry of ``data`` whose key is not a string.

    Their problems are reported at the key's own line (:attr:`_LineLoader.bad_keys`); dropping
    them keeps pydantic from reporting them a second time at the parent's line.
    """
    seen: set[int] = set()
    stack = [data]
    while stack:
        node = stack.pop()
        if id(node) in seen or not isinstance(node, dict | list):
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            for key in [key for key in node if not isinstance(key, str)]:
                del node[key]
        stack.extend(node.values() if isinstance(node, dict) else node)


def expanded_size(node: Node, sizes: dict[int, int]) -> int:
    """Return how many nodes ``node`` stands for once every alias below it is expanded.

    ``sizes`` memoises by node id, so shared (aliased) nodes are counted in linear time.
    """
    known = sizes.get(id(node))
    if known is not None:
        return known
    if isinstance(node, MappingNode):
        children = [part for pair in node.value for part in pair]
    elif isinstance(node, SequenceNode):
        children = list(node.value)
    else:
        children = []
    size = 1 + sum(expanded_size(child, sizes) for child in children)
    sizes[id(node)] = size
    return size


def load_value(text: str) -> Any:
    """Parse one small YAML value (a ``--set`` value); aliases and keys that are not names
    are refused with a YAMLError."""
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        if loader.aliases:
            raise yaml.YAMLError("aliases (*name) are not allowed in a --set value")
        if node is None:
            return None
        loader.walk(node, ())
        if loader.bad_keys:
            raise yaml.YAMLError(loader.bad_keys[0].message)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _reader_problem(error: ReaderError, text: str) -> Problem:
    """A character YAML does not allow anywhere (a control character, a lone surrogate)."""
    line = text.count("\n", 0, error.position) + 1
    column = error.position - text.rfind("\n", 0, error.position)
    code = error.character if isinstance(error.character, int) else ord(error.character)
    message = (
        f"invalid YAML: the character U+{code:04X} (column {column}) is not allowed in a YAML "
        f"file; delete it (in a double-quoted string, write it as the escape \\x{code:02x})"
        if code < 0x100
        else f"invalid YAML: the character U+{code:04X} (column {column}) is not allowed in a "
        "YAML file; delete it"
    )
    return Problem("", message, line)


def _yaml_problem(error: yaml.YAMLError, text: str) -> Problem:
    last_line = max(len(text.splitlines()), 1)

    def line_of(mark: Any) -> int | None:
        # NOTE: errors found at the end of the stream point one line past the last line.
        return None if mark is None else min(mark.line + 1, last_line)

    problem_line = line_of(getattr(error, "problem_mark", None))
    context_line = line_of(getattr(error, "context_mark", None))
    context, problem = getattr(error, "context", None), getattr(error, "problem", None)
    if context and context_line is not None and context_line != problem_line:
        context = f"{context} started on line {context_line}"
    message = ": ".join(part for part in (context, problem) if part) or str(error)
    return Problem("", f"invalid YAML: {message}", problem_line or context_line)


def _top_level_problem(node: Node | None) -> Problem | None:
    if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL_TAG):
        return Problem(
            "",
            "the scenario is empty; expected a mapping with name, "
            "computeEnvironments, jobQueues, jobDefinitions and workload",
            1,
        )
    if not isinstance(node, MappingNode):
        kind = "a list" if isinstance(node, SequenceNode) else "a single value"
        return Problem(
            "",
            f"the top level must be a mapping of keys (name: …), not {kind}",
            node.start_mark.line + 1,
        )
    return None


PARSED_TEXTS = 8
"""How many texts :func:`load_yaml` keeps parsed, for the next parse of the same text."""
CACHED_TEXT_MAX = 100_000
"""Texts longer than this many characters are parsed anew each time, not kept (a parsed text
holds about 40 times its length in memory)."""


def load_yaml(text: str) -> tuple[YamlDoc | None, list[Problem]]:
    """Return :func:`parse_yaml` of ``text``, a copy of the last parse of the same text when
    there was one: the caller may change the document it gets.

    NOTE: PyYAML's pure-Python parser took 3–5 ms of the 4–6 ms of validating a point of a
    sweep or a plan (the swept scenario's text with the point's overrides), in every worker for
    every point it met; a copy takes 0.04 ms. The command parses the text before forking its
    workers, which inherit the parse.
    """
    if len(text) > CACHED_TEXT_MAX:
        return parse_yaml(text)
    doc, problems = _parsed(text)
    copied = None if doc is None else YamlDoc(copy.deepcopy(doc.data), dict(doc.lines))
    return copied, list(problems)


@functools.lru_cache(maxsize=PARSED_TEXTS)
def _parsed(text: str) -> tuple[YamlDoc | None, list[Problem]]:
    return parse_yaml(text)  # NOTE: kept as parsed; load_yaml hands out copies


def parse_yaml(text: str) -> tuple[YamlDoc | None, list[Problem]]:
    """Parse ``text`` into a :class:`YamlDoc` and the problems found on the way.

    The document is ``None`` when nothing usable came out (bad syntax, a character YAML does
    not allow, nesting beyond :data:`MAX_DEPTH`, an empty file, a top level that is not a
    mapping, a recursive alias or aliases beyond :data:`ALIAS_BUDGET`). Duplicate keys are
    reported but the document is kept, with the last value winning as in PyYAML; keys that are
    not names (``1:``, ``~:``, ``on:`` read as true) are reported at their line and dropped.
    """
    try:
        loader = _LineLoader(text)
    except ReaderError as error:
        return None, [_reader_problem(error, text)]
    try:
        node = loader.get_single_node()
        problem = _top_level_problem(node) or loader.alias_problem()
        if problem is not None or node is None:
            return None, [problem] if problem is not None else []
        loader.lines[()] = node.start_mark.line + 1
        loader.walk(node, ())
        data = loader.construct_document(node)
    except yaml.YAMLError as error:
        return None, [_yaml_problem(error, text)]
    finally:
        loader.dispose()
    if loader.bad_keys:
        drop_non_string_keys(data)
    return YamlDoc(data, loader.lines), loader.duplicates + loader.bad_keys


def format_path(path: Path) -> str:
    """Return ``path`` in dotted form: ``('jobQueues', 0, 'priority')`` → ``jobQueues[0].priority``."""
    text = ""
    for key in path:
        if isinstance(key, int) and not isinstance(key, bool):
            text += f"[{key}]"
        elif isinstance(key, str) and _SIMPLE_KEY.match(key) and not isinstance(key, Selector):
            text += f".{key}" if text else key
        else:
            text += f"[{key}]"
    return text


def parse_path(text: str) -> Path:
    """Return the tuple form of a dotted path; ``[3]`` gives an int, ``[od]`` a :class:`Selector`.

    Raises ``ValueError`` when ``text`` is not a well-formed path.
    """
    path: list[PathKey] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        dotted = match is not None and match.group(0).startswith(".")
        if match is None or dotted != bool(path and match.group(1) is not None):
            raise ValueError(f"cannot read {text!r} as a path like 'a.b[0].c'")
        name, bracket = match.groups()
        if name is not None:
            path.append(name)
        else:
            path.append(_bracket_key(bracket.strip(), text))
        position = match.end()
    return tuple(path)


def _bracket_key(inner: str, text: str) -> PathKey:
    if not inner:
        raise ValueError(f"empty [] in path {text!r}")
    if re.fullmatch(r"-?\d+", inner):
        return int(inner)
    return Selector(inner)
