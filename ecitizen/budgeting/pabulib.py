"""Read and write participatory-budgeting elections in the pabulib ``.pb`` format.

A ``.pb`` file has three sections, each a ``;``-separated table with a header row::

    META            key;value rows (budget, vote_type, rule, ...)
    PROJECTS        project_id;cost;... one row per project
    VOTES           voter_id;vote;... one row per ballot

Fields may be quoted with ``"`` (a literal quote is doubled, ``""``). A field that merely
*starts* with a quote, such as ``"Odkupmy" i my``, is kept literally: real files contain such
names and a strict CSV reader would silently drop the quotes.

Everything is plain Python: slotted dataclasses, ``int`` for money and points, ``Fraction``
only when a file really holds decimals. Nothing here touches Django or the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from operator import itemgetter
from pathlib import Path
from typing import Literal

__all__ = [
    "VOTE_TYPES",
    "Ballot",
    "Election",
    "Money",
    "PabulibError",
    "Project",
    "format_number",
    "parse",
    "parse_file",
    "parse_number",
    "write",
    "write_file",
]

type Money = int | Fraction
"""Exact amount of money (or points): ``int`` normally, ``Fraction`` for decimal inputs."""

VoteType = Literal["approval", "cumulative", "ordinal", "scoring"]
VOTE_TYPES: tuple[VoteType, ...] = ("approval", "cumulative", "ordinal", "scoring")
SECTIONS = ("META", "PROJECTS", "VOTES")

_NUMBER_RE = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")


class PabulibError(ValueError):
    """The text is not a valid pabulib file. The message says where and why."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


@dataclass(slots=True)
class Project:
    """One row of the PROJECTS section.

    ``fields`` keeps every other column as the raw (unquoted) string, in file order, so that
    writing the election back loses nothing (``name``, ``votes``, ``score``, ``category``...).
    ``selected`` is the official outcome when the file has a ``selected`` column.
    """

    project_id: str
    cost: Money
    selected: bool | None = None
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.fields.get("name", "")


@dataclass(slots=True)
class Ballot:
    """One row of the VOTES section.

    ``projects`` is in file order, which for ordinal ballots is the ranking (best first).
    ``points`` is aligned with ``projects`` for cumulative and scoring ballots, else ``None``.
    """

    voter_id: str
    projects: tuple[str, ...]
    points: tuple[Money, ...] | None = None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Election:
    """A whole ``.pb`` file. ``meta`` keeps raw strings; typed views are properties."""

    meta: dict[str, str]
    projects: dict[str, Project]
    ballots: list[Ballot]
    project_columns: tuple[str, ...] = ("project_id", "cost")
    vote_columns: tuple[str, ...] = ("voter_id", "vote")

    @property
    def budget(self) -> Money:
        return parse_number(self.meta.get("budget", ""), what="budget")

    @property
    def vote_type(self) -> VoteType:
        return _vote_type(self.meta)

    @property
    def min_project_score_threshold(self) -> Money | None:
        raw = self.meta.get("min_project_score_threshold", "").strip()
        return parse_number(raw, what="min_project_score_threshold") if raw else None

    @property
    def has_official_outcome(self) -> bool:
        return any(p.selected is not None for p in self.projects.values())

    def official_selection(self) -> set[str]:
        """Project ids marked ``selected`` = 1 in the file (the outcome the city announced)."""
        return {pid for pid, p in self.projects.items() if p.selected}


def _vote_type(meta: dict[str, str]) -> VoteType:
    value = meta.get("vote_type", "approval").strip().lower()
    if value == "choose-1":  # pabulib's name for single-choice approval
        return "approval"
    for known in VOTE_TYPES:
        if value == known:
            return known
    raise PabulibError(f"unsupported vote_type {value!r}")


# --------------------------------------------------------------------------- numbers


def parse_number(raw: str, *, what: str = "number", line: int | None = None) -> Money:
    """Parse ``"1200"``, ``"1200.50"`` or ``"1200,50"`` exactly (int when integral)."""
    text = raw.strip()
    if not _NUMBER_RE.fullmatch(text):
        raise PabulibError(f"{what} must be a number, got {raw!r}", line=line)
    try:
        value = Fraction(Decimal(text.replace(",", ".")))
    except (InvalidOperation, ValueError) as exc:  # pragma: no cover - regex guards this
        raise PabulibError(f"{what} must be a number, got {raw!r}", line=line) from exc
    return value.numerator if value.denominator == 1 else value


def format_number(value: Money) -> str:
    """Inverse of :func:`parse_number`: ``int`` as is, a ``Fraction`` as an exact decimal."""
    if isinstance(value, int):
        return str(value)
    if value.denominator == 1:
        return str(value.numerator)
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        raise ValueError(f"{value} has no exact decimal representation")
    places = max(twos, fives)
    scaled = abs(value.numerator) * (10**places // value.denominator)
    sign = "-" if value < 0 else ""
    digits = str(scaled).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


# --------------------------------------------------------------------------- reading


def _split_quoted(line: str, lines: Iterator[tuple[int, str]], lineno: int) -> list[str]:
    """Split a line that contains quotes; a quoted field may continue on following lines."""
    out: list[str] = []
    pos = 0
    n = len(line)
    while True:
        if pos < n and line[pos] == '"':
            # Quoted only if the closing quote is followed by ';' or the end of the line.
            buf: list[str] = []
            i = pos + 1
            while True:
                j = line.find('"', i)
                if j == -1:
                    nxt = next(lines, None)
                    if nxt is None:
                        raise PabulibError("unterminated quoted field", line=lineno)
                    buf.append(line[i:] + "\n")
                    line = nxt[1]
                    n = len(line)
                    i = 0
                    continue
                if j + 1 < n and line[j + 1] == '"':
                    buf.append(line[i : j + 1])
                    i = j + 2
                    continue
                buf.append(line[i:j])
                end = j + 1
                break
            if end == n or line[end] == ";":
                out.append("".join(buf))
                if end == n:
                    return out
                pos = end + 1
                continue
            # Not a well-formed quoted field: take the raw text up to the next ';'.
            if len(buf) > 1 or "\n" in buf[0]:
                raise PabulibError("text after a closing quote", line=lineno)
        j = line.find(";", pos)
        if j == -1:
            out.append(line[pos:].strip())
            return out
        out.append(line[pos:j].strip())
        pos = j + 1


def _rows(lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, list[str]]]:
    """Split numbered lines into stripped cells, skipping blank lines."""
    for lineno, raw in lines:
        line = raw.strip()
        if not line:
            continue
        if '"' in line:
            # Not line: a quoted field may end this line with spaces that belong to it.
            text = raw.rstrip("\r").lstrip()
            cells = _split_quoted(text, ((k, v.rstrip("\r")) for k, v in lines), lineno)
        else:
            cells = line.split(";")
            if "; " in line or " ;" in line or "\t" in line:
                cells = [c.strip() for c in cells]
        yield lineno, cells


def _split_ids(raw: str) -> tuple[str, ...]:
    if not raw:
        return ()
    ids = tuple(raw.split(","))
    if " " in raw or "\t" in raw or "" in ids:
        return tuple(s for s in (x.strip() for x in ids) if s)
    return ids


def parse(text: str) -> Election:
    """Parse the text of a ``.pb`` file. Raises :class:`PabulibError` on malformed input."""
    if text.startswith("\ufeff"):
        text = text[1:]
    meta: dict[str, str] = {}
    projects: dict[str, Project] = {}
    ballots: list[Ballot] = []
    project_columns: tuple[str, ...] = ()
    vote_columns: tuple[str, ...] = ()
    seen: set[str] = set()
    section = ""
    header: list[str] | None = None
    ncols = 0
    lines = enumerate(text.split("\n"), start=1)
    for lineno, cells in _rows(lines):
        first = cells[0].upper()
        if first in SECTIONS and not any(cells[1:]):
            if first in seen:
                raise PabulibError(f"section {first} appears twice", line=lineno)
            seen.add(first)
            section = first
            header = None
            continue
        if not section:
            raise PabulibError("expected a META, PROJECTS or VOTES section header", line=lineno)
        if header is None:
            header = cells
            ncols = len(header)
            if len(set(header)) != ncols:
                raise PabulibError(f"duplicate column in {section} header", line=lineno)
            if section == "PROJECTS":
                _require(header, ("project_id", "cost"), section, lineno)
                project_columns = tuple(header)
            elif section == "VOTES":
                _require(header, ("voter_id", "vote"), section, lineno)
                if "META" not in seen or "PROJECTS" not in seen:
                    raise PabulibError("VOTES must come after META and PROJECTS", line=lineno)
                vote_columns = tuple(header)
                # The rest of the file is ballots (every section has been seen by now).
                _read_votes(_rows(lines), header, lineno, _vote_type(meta), projects, ballots)
                break
            continue
        if len(cells) > ncols and section != "META":
            raise PabulibError(
                f"{len(cells)} fields but the {section} header has {ncols}", line=lineno
            )
        if len(cells) < ncols:
            cells = cells + [""] * (ncols - len(cells))
        if section == "META":
            key = cells[0]
            if key in meta:
                raise PabulibError(f"META key {key!r} appears twice", line=lineno)
            # An unquoted ';' inside a META value (seen in comments) stays part of the value.
            meta[key] = cells[1] if len(cells) == 2 else ";".join(cells[1:]).rstrip(";").strip()
        else:
            _add_project(projects, dict(zip(header, cells, strict=True)), lineno)
    for name in SECTIONS:
        if name not in seen:
            raise PabulibError(f"missing {name} section")
    election = Election(meta, projects, ballots, project_columns, vote_columns)
    if "budget" not in meta:
        raise PabulibError("META has no budget")
    if election.budget < 0:
        raise PabulibError("budget must not be negative")
    _vote_type(meta)  # validates vote_type even for a file without ballots
    return election


def _read_votes(
    rows: Iterator[tuple[int, list[str]]],
    header: list[str],
    header_line: int,
    vote_type: VoteType,
    projects: dict[str, Project],
    ballots: list[Ballot],
) -> None:
    """The VOTES section: the bulk of a file, hence its own tight loop."""
    ncols = len(header)
    i_voter = header.index("voter_id")
    i_vote = header.index("vote")
    i_points = -1
    if vote_type in ("cumulative", "scoring"):
        _require(header, ("points",), "VOTES", header_line)
        i_points = header.index("points")
    extra = [(k, h) for k, h in enumerate(header) if h not in ("voter_id", "vote", "points")]
    extra_names = tuple(h for _, h in extra)
    get_extra = _getter(tuple(k for k, _ in extra))
    known = frozenset(projects)
    append = ballots.append
    for lineno, cells in rows:
        n = len(cells)
        if n != ncols:
            if n > ncols:
                raise PabulibError(f"{n} fields but the VOTES header has {ncols}", line=lineno)
            cells += [""] * (ncols - n)
        if cells[0].upper() in SECTIONS and not any(cells[1:]):
            raise PabulibError(f"section {cells[0].upper()} appears twice", line=lineno)
        ids = _split_ids(cells[i_vote])
        unique = set(ids)
        if len(unique) != len(ids):
            raise PabulibError("ballot names the same project twice", line=lineno)
        if not unique <= known:
            unknown = next(pid for pid in ids if pid not in known)
            raise PabulibError(f"ballot names unknown project {unknown!r}", line=lineno)
        points: tuple[Money, ...] | None = None
        if i_points >= 0:
            raw_points = _split_ids(cells[i_points])
            if len(raw_points) != len(ids):
                raise PabulibError("vote and points have different lengths", line=lineno)
            points = tuple(
                int(p) if p.isdigit() else parse_number(p, what="points", line=lineno)
                for p in raw_points
            )
        append(
            Ballot(
                cells[i_voter], ids, points, dict(zip(extra_names, get_extra(cells), strict=True))
            )
        )


def _getter(indices: tuple[int, ...]) -> Callable[[list[str]], tuple[str, ...]]:
    """Fast ``cells -> tuple of the cells at indices`` (itemgetter returns a bare item for one)."""
    if not indices:
        return lambda cells: ()
    if len(indices) == 1:
        k = indices[0]
        return lambda cells: (cells[k],)
    return itemgetter(*indices)


def _require(header: list[str], names: tuple[str, ...], section: str, lineno: int) -> None:
    for name in names:
        if name not in header:
            raise PabulibError(f"{section} header has no {name!r} column", line=lineno)


def _add_project(projects: dict[str, Project], row: dict[str, str], lineno: int) -> None:
    pid = row.pop("project_id")
    if not pid:
        raise PabulibError("empty project_id", line=lineno)
    if pid in projects:
        raise PabulibError(f"project {pid!r} appears twice", line=lineno)
    cost = parse_number(row.pop("cost"), what="cost", line=lineno)
    if cost < 0:
        raise PabulibError(f"project {pid!r} has a negative cost", line=lineno)
    selected: bool | None = None
    if "selected" in row:
        raw = row.pop("selected")
        if raw in ("1", "0"):
            selected = raw == "1"
        elif raw:
            raise PabulibError(f"selected must be 0 or 1, got {raw!r}", line=lineno)
    projects[pid] = Project(pid, cost, selected, row)


def parse_file(path: str | Path) -> Election:
    """Read a ``.pb`` file (UTF-8, with or without BOM)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PabulibError(f"{path} is not UTF-8 text") from exc
    return parse(text)


# --------------------------------------------------------------------------- writing


def _quote(value: str) -> str:
    if not value:
        return value
    if '"' in value or ";" in value or "\n" in value or "\r" in value or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


def write(election: Election) -> str:
    """Serialise an election; ``parse(write(e)) == e`` for every parsed election ``e``."""
    out: list[str] = ["META", "key;value"]
    out.extend(f"{_quote(k)};{_quote(v)}" for k, v in election.meta.items())

    columns = list(election.project_columns) or ["project_id", "cost"]
    for p in election.projects.values():
        for key in p.fields:
            if key not in columns:
                columns.append(key)
        if p.selected is not None and "selected" not in columns:
            columns.append("selected")
    out.append("PROJECTS")
    out.append(";".join(_quote(c) for c in columns))
    for p in election.projects.values():
        row = []
        for col in columns:
            if col == "project_id":
                row.append(p.project_id)
            elif col == "cost":
                row.append(format_number(p.cost))
            elif col == "selected":
                row.append("" if p.selected is None else "1" if p.selected else "0")
            else:
                row.append(p.fields.get(col, ""))
        out.append(";".join(_quote(v) for v in row))

    vcols = list(election.vote_columns) or ["voter_id", "vote"]
    for b in election.ballots:
        if b.points is not None and "points" not in vcols:
            vcols.append("points")
        for key in b.fields:
            if key not in vcols:
                vcols.append(key)
    out.append("VOTES")
    out.append(";".join(_quote(c) for c in vcols))
    for b in election.ballots:
        row = []
        for col in vcols:
            if col == "voter_id":
                row.append(b.voter_id)
            elif col == "vote":
                row.append(",".join(b.projects))
            elif col == "points":
                row.append("" if b.points is None else ",".join(map(format_number, b.points)))
            else:
                row.append(b.fields.get(col, ""))
        out.append(";".join(_quote(v) for v in row))
    out.append("")
    return "\n".join(out)


def write_file(election: Election, path: str | Path) -> None:
    Path(path).write_text(write(election), encoding="utf-8")
