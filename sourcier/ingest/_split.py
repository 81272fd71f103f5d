"""Structure-aware splitting: headings, pages and tables first, then size.

A chunk never straddles two sections, two pages or a table and prose. Within a section, paragraphs
are packed up to the token target; a paragraph over the target is cut at sentence boundaries with an
overlap. Table chunks repeat the header row so that every chunk can be read on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sourcier.errors import ConfigError
from sourcier.types import Block, BlockKind, Chunk, ParsedDocument

BLOCK_SEPARATOR = "\n\n"
_SENTENCE_END = re.compile(r"(?<=[.!?…:;])\s+|\n+")
_WORD_END = re.compile(r"\s+")

TokenCounter = Callable[[str], int]


@dataclass(frozen=True, slots=True)
class SplitOutput:
    chunks: list[Chunk]
    text: str  # the document text that chunk spans point into


@dataclass(slots=True)
class _Piece:
    start: int
    end: int
    tokens: int


def document_text(doc: ParsedDocument) -> str:
    """The text citations point into: blocks in reading order, separated by blank lines."""
    return BLOCK_SEPARATOR.join(b.text for b in doc.blocks)


class Splitter:
    """Cuts a parsed document into passages of about `target_tokens` embedder tokens."""

    def __init__(self, *, count_tokens: TokenCounter, target_tokens: int = 384, overlap_tokens: int = 48) -> None:
        if target_tokens < 16:
            raise ConfigError(f"chunk target must be at least 16 tokens, got {target_tokens}")
        if not 0 <= overlap_tokens < target_tokens // 2:
            raise ConfigError(f"chunk overlap must be in [0, {target_tokens // 2}), got {overlap_tokens}")
        self._count = count_tokens
        self._target = target_tokens
        self._overlap = overlap_tokens

    def run(self, doc: ParsedDocument) -> SplitOutput:
        text = document_text(doc)
        chunks: list[Chunk] = []
        offset = 0
        group: list[tuple[Block, int]] = []

        def flush() -> None:
            if group:
                for start, end, tokens in self._pack_text(text, group):
                    self._append(chunks, group[0][0], text, start, end, tokens, "text")
                group.clear()

        for block in doc.blocks:
            start = offset
            offset += len(block.text) + len(BLOCK_SEPARATOR)
            if not block.text.strip():
                continue
            if block.kind == "table":
                flush()
                for chunk_text, s, e, tokens in self._split_table(text, block, start):
                    self._append(chunks, block, chunk_text, s, e, tokens, "table", literal=True)
                continue
            if group and (group[0][0].heading_path != block.heading_path or group[0][0].page != block.page):
                flush()
            group.append((block, start))
        flush()
        return SplitOutput(chunks=chunks, text=text)

    def _append(
        self,
        chunks: list[Chunk],
        block: Block,
        text: str,
        start: int,
        end: int,
        tokens: int,
        kind: BlockKind,
        *,
        literal: bool = False,
    ) -> None:
        body = text if literal else text[start:end]
        if not body.strip():
            return
        chunks.append(
            Chunk(
                position=len(chunks),
                text=body.strip(),
                heading_path=block.heading_path,
                page=block.page,
                char_start=start,
                char_end=end,
                kind=kind,
                n_tokens=tokens,
            )
        )

    # -- prose ---------------------------------------------------------------------------------------------

    def _pieces(self, text: str, start: int, end: int) -> Iterator[_Piece]:
        """Sentences of text[start:end]; a sentence over the target is cut between words."""
        pos = start
        for m in _SENTENCE_END.finditer(text, start, end):
            yield from self._cut_long(text, pos, m.end())
            pos = m.end()
        if pos < end:
            yield from self._cut_long(text, pos, end)

    def _cut_long(self, text: str, start: int, end: int) -> Iterator[_Piece]:
        tokens = self._count(text[start:end])
        if tokens <= self._target:
            if text[start:end].strip():
                yield _Piece(start, end, tokens)
            return
        # Too long for one passage (a table-less dump, a run-on line): cut between words.
        words = [m.end() for m in _WORD_END.finditer(text, start, end)] + [end]
        n = max(2, -(-tokens // max(1, self._target - self._overlap)))
        step = max(1, len(words) // n)
        pos = start
        for i in range(step - 1, len(words), step):
            cut = words[i] if len(words) - i > step // 2 else end
            piece = _Piece(pos, cut, self._count(text[pos:cut]))
            if text[pos:cut].strip():
                yield piece
            pos = cut
            if cut == end:
                break
        if pos < end and text[pos:end].strip():
            yield _Piece(pos, end, self._count(text[pos:end]))

    def _pack_text(self, text: str, group: list[tuple[Block, int]]) -> Iterator[tuple[int, int, int]]:
        start = group[0][1]
        last_block, last_start = group[-1]
        end = last_start + len(last_block.text)
        whole = self._count(text[start:end])
        if whole <= self._target:
            yield start, end, whole
            return
        pieces = list(self._pieces(text, start, end))
        i = 0
        while i < len(pieces):
            j, tokens = i, 0
            while j < len(pieces) and (j == i or tokens + pieces[j].tokens <= self._target):
                tokens += pieces[j].tokens
                j += 1
            yield pieces[i].start, pieces[j - 1].end, tokens
            if j >= len(pieces):
                break
            # Step back over trailing pieces to overlap with the next chunk, never to where we started.
            back, k = 0, j
            while k - 1 > i and back + pieces[k - 1].tokens <= self._overlap:
                k -= 1
                back += pieces[k].tokens
            i = k

    # -- tables --------------------------------------------------------------------------------------------

    def _split_table(self, text: str, block: Block, block_start: int) -> Iterator[tuple[str, int, int, int]]:
        header = block.table_header or ""
        body_start = block_start
        body = block.text
        if header and body.startswith(header):
            body_start += len(header) + 1
            body = block.text[len(header) + 1 :]
        header_tokens = self._count(header) if header else 0
        budget = max(self._target - header_tokens, self._target // 2)
        rows: list[_Piece] = []
        pos = body_start
        for line in body.split("\n"):
            if line.strip():
                rows.append(_Piece(pos, pos + len(line), self._count(line)))
            pos += len(line) + 1
        i = 0
        while i < len(rows):
            j, tokens = i, 0
            while j < len(rows) and (j == i or tokens + rows[j].tokens <= budget):
                tokens += rows[j].tokens
                j += 1
            s, e = rows[i].start, rows[j - 1].end
            chunk_text = f"{header}\n{text[s:e]}" if header else text[s:e]
            yield chunk_text, (block_start if i == 0 else s), e, tokens + header_tokens
            i = j
