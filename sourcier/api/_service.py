"""What the routes and the OpenAI-compatible endpoint share: one question in, a stream of events out.

`Answering.ask()` yields `Event`s in the order the contract gives (retrieval, token*, citations, done);
the last one carries the stored `AnswerOut`. It is a plain synchronous generator: FastAPI runs it in
its threadpool, so the blocking work (embedding, PostgreSQL, the model) never holds the event loop.
Identity comes in as an argument, from the auth dependency only.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal

from psycopg import Connection

from sourcier import sql as warehouse_sql
from sourcier.answer import QuestionRewriter, answerers_from
from sourcier.api._schemas import AnswerOut, AskMode, CitationOut, PassageOut, TableOut
from sourcier.config import Settings
from sourcier.embed import Embedder
from sourcier.errors import NotFound, SourcierError
from sourcier.llm import ChatModel
from sourcier.retrieve import HybridRetriever, SpareConnection, search_params
from sourcier.store import conversations, traces
from sourcier.types import Answer, Hit, Identity, Turn

log = logging.getLogger(__name__)

EventName = Literal["retrieval", "token", "citations", "done", "error"]


@dataclass(frozen=True, slots=True)
class Event:
    name: EventName
    data: dict[str, Any]
    answer: AnswerOut | None = None  # on "done"


def passage_out(hit: Hit) -> PassageOut:
    return PassageOut(
        passage_id=hit.chunk_id,
        document_id=hit.document_id,
        title=hit.title,
        section=hit.section,
        path=hit.path,
        page=hit.page,
        text=hit.text,
        score=hit.score,
        char_start=hit.char_start,
        char_end=hit.char_end,
    )


def _citations(answer: Answer) -> list[CitationOut]:
    return [
        CitationOut(
            number=c.number,
            passage_id=c.hit.chunk_id,
            document_id=c.hit.document_id,
            title=c.hit.title,
            section=c.hit.section,
            path=c.hit.path,
            page=c.hit.page,
            highlights=[(s, e) for s, e in c.highlights],
        )
        for c in answer.citations
    ]


def answer_out(row: conversations.AnswerRow) -> AnswerOut:
    table = TableOut(**row.result_table) if row.result_table else None
    return AnswerOut(
        answer_id=row.id,
        conversation_id=row.conversation_id,
        question=row.question,
        language=row.language,
        text=row.text,
        found=row.found,
        citations=[CitationOut(**c) for c in row.citations],
        model=row.model,
        prompt_version=row.prompt_version,
        citation_validity=row.citation_validity,
        notice=row.notice,
        sql=row.sql,
        table=table,
    )


class Answering:
    """Retrieval, rewriting, answering and the warehouse path, composed once per application."""

    def __init__(
        self,
        *,
        settings: Settings,
        embedder: Embedder,
        model: ChatModel | None = None,
        spare: SpareConnection | None = None,
    ) -> None:
        self._settings = settings
        self._embedder = embedder
        self._model = model
        self._spare = spare
        self._retriever = HybridRetriever(embedder=embedder, params=search_params(settings), spare=spare)
        self._rewriter = QuestionRewriter(model=model, max_history_tokens=settings.max_history_tokens)
        answerers = answerers_from(settings, embedder, model)
        self._extractive = answerers.extractive
        self._generated = answerers.generated

    def search(
        self, conn: Connection[Any], who: Identity, query: str, *, k: int, mode: Literal["hybrid", "fulltext", "vector"]
    ) -> list[Hit]:
        retriever = HybridRetriever(
            embedder=self._embedder, params=search_params(self._settings), mode=mode, spare=self._spare
        )
        return retriever.run(conn, query, principals=who.principals, k=k).hits

    def ask(
        self,
        conn: Connection[Any],
        who: Identity,
        question: str,
        *,
        conversation_id: int | None = None,
        mode: AskMode = "auto",
        regenerated_from: int | None = None,
        store: bool = True,
    ) -> Iterator[Event]:
        """Events for one question; the conversation (when given) must be the caller's, else NotFound.

        Routed to the documents, the warehouse, or both: then the warehouse's figure comes first (its summary
        streamed as the first tokens, its SQL and table in the final record), the documents' answer after it.
        """
        t0 = time.perf_counter()
        history = self._history(conn, who, conversation_id, regenerated_from)
        route = self._route(conn, who, question, mode)
        figure: warehouse_sql.SqlAnswer | None = None
        if route != "documents":
            try:
                figure = warehouse_sql.ask_warehouse(self._settings, question, who.principals, model=self._model)
            except SourcierError as exc:
                if route == "warehouse":
                    raise
                log.info("the warehouse part of a 'both' question gave nothing (%s)", exc.message)
        if route == "warehouse":
            assert figure is not None
            yield from self._warehouse_answer(conn, who, figure, conversation_id, t0, store, regenerated_from)
            return
        yield from self._documents_answer(
            conn, who, question, history, figure, conversation_id, t0, store, regenerated_from
        )

    def _history(
        self, conn: Connection[Any], who: Identity, conversation_id: int | None, regenerated_from: int | None
    ) -> list[Turn]:
        """The turns a follow-up is rewritten with: up to (not including) the answer being regenerated.

        An answer the caller may no longer read (`conversations.withheld`) gives its question only: its text
        would carry what it cited into the rewrite, and from there into the model's prompt.
        """
        if conversation_id is None:
            return []
        if not conversations.owned(conn, who.name, conversation_id):
            raise NotFound("No such conversation.")
        rows = conversations.answers(conn, who.name, conversation_id)
        hidden = conversations.withheld(conn, rows, who.principals)
        turns: list[Turn] = []
        for a in rows:
            if a.id == regenerated_from:
                break
            if a.regenerated_from is None:
                turns.append(Turn(a.question, "" if a.id in hidden else a.text))
        return turns

    def _documents_answer(
        self,
        conn: Connection[Any],
        who: Identity,
        question: str,
        history: list[Turn],
        figure: warehouse_sql.SqlAnswer | None,
        conversation_id: int | None,
        t0: float,
        store: bool,
        regenerated_from: int | None,
    ) -> Iterator[Event]:
        t_rw = time.perf_counter()
        rewrite = self._rewriter.run(question, history, language="fr")
        rewrite_ms = (time.perf_counter() - t_rw) * 1e3
        result = self._retriever.run(conn, rewrite.standalone, principals=who.principals)
        yield Event("retrieval", {"passages": [passage_out(h).model_dump() for h in result.hits]})
        first_token_ms: float | None = None
        lead = ""
        if figure is not None and figure.found:
            lead = f"{figure.text}\n\n"
            first_token_ms = (time.perf_counter() - t0) * 1e3
            yield Event("token", {"text": lead, "restart": False})
        if self._generated is None:
            answer = self._extractive.run(question, result.hits, language=result.language)
            first_token_ms = first_token_ms or (time.perf_counter() - t0) * 1e3
            for piece in re.findall(r"\S+\s*|\s+", answer.text):  # streamed like a model's, word by word
                yield Event("token", {"text": piece, "restart": False})
        else:
            stream = self._generated.stream(question, result.hits, language=result.language)
            for delta in stream:
                if first_token_ms is None:
                    first_token_ms = (time.perf_counter() - t0) * 1e3
                text = lead + delta.text if delta.restart else delta.text  # a restart keeps the figure shown
                yield Event("token", {"text": text, "restart": delta.restart})
            answer = stream.result
        cites = _citations(answer)
        yield Event("citations", {"citations": [c.model_dump() for c in cites]})
        out = AnswerOut(
            answer_id=None,
            conversation_id=conversation_id,
            question=question,
            language=answer.language,
            text=lead + answer.text,
            found=answer.found or (figure is not None and figure.found),
            citations=cites,
            model=answer.model,
            prompt_version=answer.prompt_version,
            citation_validity=answer.citation_validity,
            notice=" ".join(n for n in (figure.notice if figure else None, answer.notice) if n) or None,
            sql=figure.sql if figure is not None else None,
            table=_table(figure),
        )
        trace = traces.Trace(
            question=question,
            mode="documents" if figure is None else "both",
            chunk_ids=[c.passage_id for c in cites] or [h.chunk_id for h in result.hits],
            total_ms=0.0,
            prompt_version=answer.prompt_version,
            model=answer.model,
            sql=out.sql,
            rewrite_ms=rewrite_ms,
            embed_ms=result.embed_ms,
            retrieve_ms=result.db_ms,
            first_token_ms=first_token_ms,
        )
        yield self._finish(conn, who, out, trace, t0, store=store, regenerated_from=regenerated_from)

    def _route(self, conn: Connection[Any], who: Identity, question: str, mode: AskMode) -> warehouse_sql.Route:
        """Forced by the caller, else chosen from the question and the part of the catalogue the caller may read."""
        if mode == "documents":
            return "documents"
        try:
            reachable = warehouse_sql.warehouse_reachable(self._settings, conn)
            if mode == "warehouse" and not reachable:
                raise NotFound("No warehouse is configured.")
            catalogue = warehouse_sql.catalogue_from(self._settings).visible_to(who.principals)
            return warehouse_sql.choose_route(question, catalogue, reachable=reachable, force=mode)
        except NotFound:
            raise
        except SourcierError as exc:
            log.warning("routing failed (%s); answering from documents", exc.message)
            return "documents"

    def _warehouse_answer(
        self,
        conn: Connection[Any],
        who: Identity,
        sa: warehouse_sql.SqlAnswer,
        conversation_id: int | None,
        t0: float,
        store: bool,
        regenerated_from: int | None,
    ) -> Iterator[Event]:
        yield Event("retrieval", {"passages": []})
        yield Event("token", {"text": sa.text, "restart": False})
        yield Event("citations", {"citations": []})
        out = AnswerOut(
            answer_id=None,
            conversation_id=conversation_id,
            question=sa.question,
            language=sa.language,
            text=sa.text,
            found=sa.found,
            citations=[],
            model=None,
            prompt_version=None,
            citation_validity=None,
            notice=sa.notice,
            sql=sa.sql,
            table=_table(sa),
        )
        trace = traces.Trace(
            question=sa.question,
            mode="warehouse",
            chunk_ids=[],
            total_ms=0.0,
            model=self._model.name if self._model is not None and sa.generator == "model" else None,
            sql=sa.sql,
        )
        yield self._finish(conn, who, out, trace, t0, store=store, regenerated_from=regenerated_from)

    def _finish(
        self,
        conn: Connection[Any],
        who: Identity,
        out: AnswerOut,
        trace: traces.Trace,
        t0: float,
        *,
        store: bool,
        regenerated_from: int | None,
    ) -> Event:
        """Stores the answer (when asked), traces it with its total time, and makes the final `done` event."""
        if store:
            out = self._store(conn, who, out, regenerated_from)
        total_ms = (time.perf_counter() - t0) * 1e3
        traces.record(conn, who.name, replace(trace, answer_id=out.answer_id, total_ms=total_ms))
        return Event("done", out.model_dump(mode="json"), answer=out)

    def _store(self, conn: Connection[Any], who: Identity, out: AnswerOut, regenerated_from: int | None) -> AnswerOut:
        conversation_id = out.conversation_id
        if conversation_id is None:
            conversation_id = conversations.create(conn, who.name, out.question)
        table = out.table.model_dump(mode="json") if out.table is not None else None
        answer_id = conversations.add_answer(
            conn,
            who.name,
            conversation_id,
            conversations.NewAnswer(
                question=out.question,
                language=out.language,
                text=out.text,
                found=out.found,
                citations=[c.model_dump(mode="json") for c in out.citations],
                model=out.model,
                prompt_version=out.prompt_version,
                citation_validity=out.citation_validity,
                notice=out.notice,
                sql=out.sql,
                result_table=table,
                regenerated_from=regenerated_from,
            ),
        )
        return out.model_copy(update={"answer_id": answer_id, "conversation_id": conversation_id})


def _table(sa: warehouse_sql.SqlAnswer | None) -> TableOut | None:
    if sa is None or sa.result is None:
        return None
    return TableOut(columns=list(sa.result.columns), rows=[[_cell(v) for v in r] for r in sa.result.rows])


def _cell(v: object) -> Any:
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)
