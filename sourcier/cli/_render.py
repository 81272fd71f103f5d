"""How answers and passages look in a terminal: cited passages, streamed tokens, warehouse tables.

The answering pipeline's events and records are printed here, and only here, for the terminal. Answers go
to `out`; notices, failed models and timings to `err`, so that `sourcier ask ... > answer.txt` keeps only the answer.
"""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from sourcier import sql as warehouse_sql
from sourcier.answer import AnswerStream
from sourcier.retrieve import RetrieveOutput
from sourcier.types import Answer, AnswerRecord, FigureFound, Hit, TextDelta

SHOWN_ROWS = 50  # of a warehouse result; the rest is counted, not printed


def where(hit: Hit) -> str:
    """The passage's file, and its page when it has one."""
    page = f", p. {hit.page}" if hit.page else ""
    return f"{hit.path}{page}"


def render_hits(out: Console, err: Console, query: str, result: RetrieveOutput) -> None:
    """Ranked passages with their fused score and the rank and score each leg gave them."""
    t = Table(title=f"{len(result.hits)} passages for “{query}”")
    t.add_column("#", justify="right")
    t.add_column("score", justify="right")
    t.add_column("full text", justify="right")
    t.add_column("vector", justify="right")
    t.add_column("source")
    t.add_column("passage")
    for i, h in enumerate(result.hits, 1):
        ft = f"#{h.fulltext_rank} ({h.fulltext_score:.2f})" if h.fulltext_rank else "-"
        vec = f"#{h.vector_rank} ({h.vector_similarity:.3f})" if h.vector_rank else "-"
        snippet = h.text.replace("\n", " ")
        t.add_row(str(i), f"{h.score:.3f}", ft, vec, f"{h.title}\n{where(h)}", snippet[:160])
    out.print(t)
    err.print(f"query embedding {result.embed_ms:.0f} ms, database {result.db_ms:.0f} ms", style="dim")


def render_answer(out: Console, answer: Answer) -> None:
    """An extractive answer: each cited passage with its highlights, then the sources with their offsets."""
    if not answer.found:
        out.print(answer.text)
        return
    out.print(answer.text.splitlines()[0])
    for c in answer.citations:
        body = Text(c.hit.text)
        for s, e in c.highlights:
            body.stylize("bold yellow", s, e)
        out.print()
        out.print(Text(f"[{c.number}] ", style="bold cyan") + body)
    out.print()
    out.print("Sources :" if answer.language == "fr" else "Sources:")
    for c in answer.citations:
        heading = f" — {c.hit.section}" if c.hit.section else ""
        line = f"  [{c.number}] {c.hit.title}{heading} ({where(c.hit)}, chars {c.hit.char_start}-{c.hit.char_end})"
        out.print(line, highlight=False, markup=False)


def render_answer_stream(out: Console, err: Console, stream: AnswerStream, *, live: bool) -> AnswerRecord:
    """Prints an answer as the pipeline gives it: the warehouse's figure when there is one, the documents'
    answer (a model's tokens as they come when `live`), then its checked citations; returns the record."""
    shown: list[str] = []
    figure: FigureFound | None = None
    for event in stream:
        if isinstance(event, FigureFound):
            figure = event
            render_figure(out, err, event)
        elif isinstance(event, TextDelta) and live:
            if event.restart:
                out.print()
                err.print("(a model failed in the middle of its answer; the next one starts over)", style="yellow")
                shown.clear()
            elif not shown and figure is not None:
                out.print()
            out.print(event.text, end="", markup=False, highlight=False)
            shown.append(event.text)
    record = stream.result
    if record.route == "warehouse":
        return record
    if shown:
        out.print()
    lead = figure.lead if figure is not None else ""
    notice = record.notice
    if figure is not None and figure.notice and notice:
        notice = notice.removeprefix(figure.notice).strip() or None
    answer = Answer(
        question=record.standalone,
        language=record.language,
        text=record.text.removeprefix(lead),
        citations=record.citations,
        found=bool(record.citations),
        model=record.model,
        prompt_version=record.prompt_version,
        citation_validity=record.citation_validity,
        notice=notice,
        attempts=record.attempts,
    )
    _render_documents_answer(out, err, answer, "".join(shown))
    return record


def _render_documents_answer(out: Console, err: Console, answer: Answer, shown: str) -> None:
    """What follows the streamed tokens: the notices, the checked text when it differs, the sources."""
    if answer.notice:
        err.print(answer.notice, style="yellow", markup=False)
    for attempt in answer.attempts:
        if not attempt.ok:
            err.print(f"  {attempt.error}", style="dim", markup=False, highlight=False)
    if answer.model is None or not answer.found:  # extractive answer, or "Je ne sais pas" with the best passages
        if shown:
            out.print()
        render_answer(out, answer)
    else:
        if " ".join(shown.split()) != " ".join(answer.text.split()):
            out.print()
            out.print("Après vérification des citations :" if answer.language == "fr" else "After checking citations:")
            out.print(answer.text, markup=False, highlight=False)
        out.print()
        out.print("Sources :" if answer.language == "fr" else "Sources:")
        for c in answer.citations:
            heading = f" — {c.hit.section}" if c.hit.section else ""
            out.print(f"  [{c.number}] {c.hit.title}{heading} ({where(c.hit)})", highlight=False, markup=False)
            for s, e in c.highlights:
                out.print(Text(f"      « {' '.join(c.hit.text[s:e].split())} »", style="dim"))
    if answer.model is not None:
        validity = "-" if answer.citation_validity is None else f"{answer.citation_validity:.0%}"
        err.print(f"{answer.model} · prompt {answer.prompt_version} · citations valid: {validity}", style="dim")


def render_figure(out: Console, err: Console, figure: FigureFound) -> None:
    """The SQL that ran, its result as a table (numbers right-aligned), and the sentence that sums it up."""
    if figure.notice:
        err.print(figure.notice, style="yellow", markup=False)
    if figure.sql is None or figure.table is None:
        out.print(figure.text)
        return
    table = figure.table
    out.print(Syntax(figure.sql, "sql", word_wrap=True))
    t = Table()
    first = table.rows[0] if table.rows else ()
    for i, c in enumerate(table.columns):
        numeric = i < len(first) and isinstance(first[i], int | float | Decimal) and not isinstance(first[i], bool)
        t.add_column(c, justify="right" if numeric else "left")
    for row in table.rows[:SHOWN_ROWS]:
        cells = zip(table.columns, row, strict=False)
        t.add_row(*(warehouse_sql.format_cell(v, figure.language, column=c) for c, v in cells))
    out.print(t)
    if len(table.rows) > SHOWN_ROWS:
        out.print(f"… {len(table.rows) - SHOWN_ROWS} more rows not shown", style="dim")
    out.print(figure.text, highlight=False, markup=False)
    if figure.elapsed_ms is not None:
        err.print(f"database {figure.elapsed_ms:.0f} ms, role {figure.role}", style="dim")
