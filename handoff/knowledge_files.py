"""A knowledge folder as the console edits it: read with a version, written atomically, hand edits detected.

The folder stays the source: one Markdown file per specialist agent (CONTRACT.md's format), so an edit made
by hand keeps working and one made in the console is an ordinary file. Each file is written to a temporary
file in the same folder and renamed over the old one, so a reader (the live AI, an editor) never sees half a
file. A save names the version it was based on; if the files changed since, it is refused.

Blocking file access: call these functions in a thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from handoff.errors import ChangedElsewhere, Invalid

MAX_AGENTS = 50
MAX_ENTRIES = 500
MAX_QUESTION = 300
MAX_ANSWER = 8000
HEADING = re.compile(r"^#{1,2} ")


@dataclass(frozen=True, slots=True)
class Entry:
    """A question and its answer (a `## ` section)."""

    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class SpecialistAgent:
    """One file: the agent's name (its `# ` heading), what stands before the first question, its entries."""

    name: str
    entries: tuple[Entry, ...] = ()
    file: str | None = None  # the file's name in the folder; None for an agent not yet written
    preamble: str = ""


@dataclass(frozen=True, slots=True)
class Folder:
    """The agents of a folder and the version they were read at."""

    agents: tuple[SpecialistAgent, ...]
    version: str


def read(folder: Path) -> Folder:
    return _folder(_files(folder))


def write(folder: Path, agents: tuple[SpecialistAgent, ...], *, based_on: str) -> tuple[Folder, Folder]:
    """Write `agents` as the folder's files, each atomically, and remove the files of agents no longer
    there; returns the folder before and after. Refused (ChangedElsewhere) when the folder is not at
    `based_on` any more."""
    agents = checked(agents)
    folder.mkdir(parents=True, exist_ok=True)
    files = _files(folder)
    before = _folder(files)
    if before.version != based_on:
        raise ChangedElsewhere(
            "the knowledge files changed on disk since this page read them: reload to see the changes"
        )
    old = {path.name: text for path, text in files}
    written: list[tuple[Path, str]] = []
    for agent in agents:
        name = (
            agent.file
            if agent.file in old
            else _new_file_name(agent.name, old.keys() | {p.name for p, _ in written})
        )
        text = render(agent)
        if old.get(name) != text:
            _replace(folder / name, text)
        written.append((folder / name, text))
    for name in old.keys() - {path.name for path, _ in written}:
        (folder / name).unlink()
    return before, _folder(sorted(written))


def _folder(files: list[tuple[Path, str]]) -> Folder:
    """The agents of these files (in name order) and their version."""
    return Folder(agents=tuple(_parse(path.name, text) for path, text in files), version=_version(files))


def render(agent: SpecialistAgent) -> str:
    parts = [f"# {agent.name}\n"]
    if agent.preamble:
        parts.append(f"\n{agent.preamble}\n")
    for entry in agent.entries:
        parts.append(f"\n## {entry.question}\n{entry.answer}\n")
    return "".join(parts)


def checked(agents: tuple[SpecialistAgent, ...]) -> tuple[SpecialistAgent, ...]:
    """The agents with their text trimmed, or Invalid naming what is wrong."""
    if len(agents) > MAX_AGENTS:
        raise Invalid(f"at most {MAX_AGENTS} specialist agents", field="agent")
    seen: set[str] = set()
    cleaned = []
    for agent in agents:
        name = " ".join(agent.name.split())
        if not name:
            raise Invalid("a specialist agent needs a name", field="agent")
        if name.lower() in seen:
            raise Invalid(f"two specialist agents are called {name!r}", field="agent")
        seen.add(name.lower())
        if len(agent.entries) > MAX_ENTRIES:
            raise Invalid(f"at most {MAX_ENTRIES} questions per specialist agent", field="question")
        cleaned.append(
            SpecialistAgent(
                name=name,
                entries=tuple(_checked_entry(entry) for entry in agent.entries),
                file=agent.file,
                preamble=_checked_text(agent.preamble, "preamble", MAX_ANSWER, allow_empty=True),
            )
        )
    return tuple(cleaned)


def _checked_entry(entry: Entry) -> Entry:
    question = " ".join(entry.question.split())
    if not question:
        raise Invalid("a question can't be empty", field="question")
    if len(question) > MAX_QUESTION:
        raise Invalid(f"a question is at most {MAX_QUESTION} characters", field="question")
    return Entry(question, _checked_text(entry.answer, "answer", MAX_ANSWER, allow_empty=False))


def _checked_text(text: str, field: str, limit: int, *, allow_empty: bool) -> str:
    text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()
    if not text and not allow_empty:
        raise Invalid(f"an {field} can't be empty", field=field)
    if len(text) > limit:
        raise Invalid(f"an {field} is at most {limit} characters", field=field)
    if any(HEADING.match(line) for line in text.split("\n")):
        raise Invalid(f"a line of an {field} can't start with '# ' or '## ' (headings)", field=field)
    return text


def _parse(file: str, text: str) -> SpecialistAgent:
    name = Path(file).stem.replace("_", " ").replace("-", " ").title()
    preamble: list[str] = []
    entries: list[Entry] = []
    question: str | None = None
    lines: list[str] = []
    named = False
    for line in text.splitlines():
        if line.startswith("# ") and not named and question is None:
            name, named = line[2:].strip() or name, True
        elif line.startswith("## "):
            if question is not None:
                entries.append(Entry(question, "\n".join(lines).strip()))
            question, lines = line[3:].strip(), []
        elif question is not None:
            lines.append(line)
        else:
            preamble.append(line)
    if question is not None:
        entries.append(Entry(question, "\n".join(lines).strip()))
    return SpecialistAgent(name=name, entries=tuple(entries), file=file, preamble="\n".join(preamble).strip())


def _files(folder: Path) -> list[tuple[Path, str]]:
    if not folder.is_dir():
        return []
    return [(path, path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.md"))]


def _version(files: list[tuple[Path, str]]) -> str:
    digest = hashlib.sha256()
    for path, text in files:
        digest.update(path.name.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()


def _new_file_name(agent_name: str, taken: set[str]) -> str:
    stem = re.sub(r"[^a-z0-9]+", "_", agent_name.lower()).strip("_") or "agent"
    name, number = f"{stem}.md", 2
    while name in taken:
        name, number = f"{stem}_{number}.md", number + 1
    return name


def _replace(target: Path, text: str) -> None:
    """Write `text` to a temporary file beside `target`, flush it to disk, then rename it over `target`."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
