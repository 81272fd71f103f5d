"""Values that cross package boundaries: frozen dataclasses, never dicts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Literal

BlockKind = Literal["text", "table"]
Leg = Literal["fulltext", "vector"]


@dataclass(frozen=True, slots=True)
class Block:
    """One structural piece of a parsed document: a section's paragraph(s) or a table.

    Tables keep their header row apart so that the splitter can repeat it in every table chunk.
    """

    text: str
    heading_path: tuple[str, ...] = ()
    page: int | None = None
    kind: BlockKind = "text"
    table_header: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """What a loader extracts from a file: a title and its blocks in reading order."""

    title: str
    mime_type: str
    blocks: tuple[Block, ...]
    page_count: int | None = None


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage ready to be embedded and stored.

    `char_start`/`char_end` locate the passage in the document text (blocks joined by blank lines),
    which is what citations resolve to.
    """

    position: int
    text: str
    heading_path: tuple[str, ...]
    page: int | None
    char_start: int
    char_end: int
    kind: BlockKind
    n_tokens: int

    @property
    def heading(self) -> str:
        return " > ".join(self.heading_path)

    @property
    def embedding_text(self) -> str:
        """The text the embedder sees: the heading path gives a passage its context."""
        return f"{self.heading}\n{self.text}" if self.heading_path else self.text


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file found by a scan, before it is read."""

    uri: str
    path: str
    size: int
    modified_at: datetime


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved passage with its provenance: which legs found it, at which rank, with which score."""

    chunk_id: int
    document_id: int
    path: str
    title: str
    heading: str
    text: str
    page: int | None
    char_start: int
    char_end: int
    score: float
    fulltext_rank: int | None = None
    fulltext_score: float | None = None
    vector_rank: int | None = None
    vector_similarity: float | None = None
    coverage: float = 0.0  # share of the question's words (IDF-weighted) found in the passage

    @property
    def section(self) -> str:
        """The heading path below the document title ("Congés > Télétravail")."""
        prefix = f"{self.title} > "
        if self.heading.startswith(prefix):
            return self.heading[len(prefix) :]
        return "" if self.heading == self.title else self.heading

    @property
    def legs(self) -> tuple[Leg, ...]:
        found: list[Leg] = []
        if self.fulltext_rank is not None:
            found.append("fulltext")
        if self.vector_rank is not None:
            found.append("vector")
        return tuple(found)


@dataclass(frozen=True, slots=True)
class Citation:
    """A numbered source of an answer, resolving to a document, a page and a character span."""

    number: int
    hit: Hit
    highlights: tuple[tuple[int, int], ...] = ()  # spans of matching sentences inside hit.text


@dataclass(frozen=True, slots=True)
class ModelAttempt:
    """One try of one language model for one answer: the trace of fallbacks is a tuple of these."""

    model: str  # "model-name @ base-url", never a key
    ok: bool
    error: str | None = None  # a short reason when not ok ("timeout after 20.0 s", "HTTP 500", ...)
    first_token_ms: float | None = None
    total_ms: float = 0.0
    completion_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier exchange of a conversation, oldest first when passed as history."""

    question: str
    answer: str


EVERYONE = "everyone"
ADMIN_ROLE = "role:admin"
# What a principal may look like; checked wherever one enters (access files, sources, the query's setting).
# User and group names follow the rule of their tables. `\Z`, not `$`: "everyone\n" is not a principal.
PRINCIPAL_PATTERN = re.compile(r"^(everyone|role:admin|(user|group):[a-z0-9][a-z0-9._@-]{0,63})\Z")


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is asking, as established by authentication (never by the question text).

    `principals` is what access lists are matched against: 'everyone', 'user:<name>', 'group:<name>'
    for each group, and 'role:admin' for administrators.
    """

    name: str
    is_admin: bool
    principals: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    language: str
    text: str
    citations: tuple[Citation, ...] = field(default_factory=tuple)
    found: bool = True
    model: str | None = None  # the model that wrote the text; None for an extractive answer
    prompt_version: str | None = None  # the prompt template used ("answer.fr.v1")
    citation_validity: float | None = None  # share of the model's citations that survived the check
    notice: str | None = None  # why the answer is not what was asked for (no model answered, ...)
    attempts: tuple[ModelAttempt, ...] = field(default_factory=tuple)
    flagged: tuple[str, ...] = field(default_factory=tuple)  # sentences left without a valid citation


class AskMode(StrEnum):
    """What a question is answered from: chosen from the question (auto), or forced by the asker."""

    AUTO = "auto"
    DOCUMENTS = "documents"
    WAREHOUSE = "warehouse"


Route = Literal["documents", "warehouse", "both"]
TableCell = str | int | float | Decimal | bool | date | datetime | time | None
JsonCell = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class ResultTable:
    """A warehouse result as shown with an answer: column names and cells as the database gave them."""

    columns: tuple[str, ...]
    rows: tuple[tuple[TableCell, ...], ...]
    truncated: bool = False

    def json_rows(self) -> list[list[JsonCell]]:
        """The rows as JSON holds them (stored with the answer, sent by the API): other values as text."""
        return [[v if v is None or isinstance(v, bool | int | float | str) else str(v) for v in r] for r in self.rows]


@dataclass(frozen=True, slots=True)
class StageTimes:
    """Where an answer's time went, in milliseconds (None: the stage did not run)."""

    rewrite_ms: float | None = None
    embed_ms: float | None = None
    retrieve_ms: float | None = None
    first_token_ms: float | None = None
    total_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """One question answered, as every interface shows it and as it is recorded.

    `question` is what was asked; `standalone` what retrieval and the answerer used (a follow-up rewritten
    with its history). `hits` are the passages retrieval gave the answerer, `citations` those the answer
    cites after the check. A warehouse figure comes with its `sql` and `table`.
    """

    question: str
    standalone: str
    language: str
    route: Route
    text: str
    found: bool
    hits: tuple[Hit, ...] = ()
    citations: tuple[Citation, ...] = ()
    model: str | None = None
    prompt_version: str | None = None
    citation_validity: float | None = None
    notice: str | None = None
    sql: str | None = None
    table: ResultTable | None = None
    attempts: tuple[ModelAttempt, ...] = ()
    times: StageTimes = field(default_factory=StageTimes)
    answer_id: int | None = None
    conversation_id: int | None = None
    regenerated_from: int | None = None


@dataclass(frozen=True, slots=True)
class PassagesFound:
    """The passages retrieval gave the answerer (none for a warehouse-only answer)."""

    hits: tuple[Hit, ...]


@dataclass(frozen=True, slots=True)
class FigureFound:
    """The warehouse's answer, shown before the documents' answer of a question routed to both (then only
    when it found a figure), or alone. Its text leads the record's text."""

    text: str
    language: str
    sql: str | None = None
    table: ResultTable | None = None
    notice: str | None = None
    elapsed_ms: float | None = None  # the query's time in the warehouse
    role: str | None = None  # the reader role it ran as

    @property
    def lead(self) -> str:
        """What the figure puts before the documents' answer in the record's text (and in a token stream)."""
        return f"{self.text}\n\n"


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the documents' answer; `restart`: what was shown of it is dropped (a model failed mid-answer).

    A warehouse figure shown before (`FigureFound`) is not part of it and stays.
    """

    text: str
    restart: bool = False


@dataclass(frozen=True, slots=True)
class CitationsChecked:
    """The citations that survived the check, once the text is complete."""

    citations: tuple[Citation, ...]


@dataclass(frozen=True, slots=True)
class AnswerFinished:
    """The last event: the answer as recorded (with its ids when it was stored in a conversation)."""

    record: AnswerRecord


AnswerEvent = PassagesFound | FigureFound | TextDelta | CitationsChecked | AnswerFinished
