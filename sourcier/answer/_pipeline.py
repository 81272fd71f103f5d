"""One question in, one answer out: the single path that the CLI, `/api/v1/ask`, regenerate and `/v1` take.

A question goes through, in order: the input checks (guardrails), the history (stored or sent), the route
(documents, warehouse or both), the follow-up rewrite (in the question's language), retrieval under the
asker's principals, the answerer (written by the model with checked citations, else extractive), the
output checks, and the record (conversation and trace). Each step yields what an interface shows as it
happens (`AnswerEvent`s); the last event carries the `AnswerRecord`. Interfaces only convert: pydantic and
server-sent events at the API's edge, rich in the terminal.

Everything long-lived (embedder, model, warehouse pools, the spare-connection lender) is built by the
composition root and handed in; the pipeline keeps no per-user state.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Generator, Sequence
from dataclasses import replace
from typing import Any

from psycopg import Connection

from sourcier import sql as warehouse_sql
from sourcier.answer._factory import answerers_from
from sourcier.answer._question import AnswerStream, InputCheck, Knobs, OutputCheck, Question, Refusal
from sourcier.answer._recording import history_of, keep
from sourcier.answer._rewrite import QuestionRewriter
from sourcier.config import Settings
from sourcier.embed import Embedder
from sourcier.errors import NotFound, SourcierError
from sourcier.ingest import detect_language
from sourcier.llm import ChatModel
from sourcier.retrieve import HybridRetriever, RetrieveOutput, SpareConnection, search_params
from sourcier.store.search import Mode as SearchMode
from sourcier.types import (
    Answer,
    AnswerEvent,
    AnswerFinished,
    AnswerRecord,
    AskMode,
    CitationsChecked,
    FigureFound,
    Identity,
    PassagesFound,
    ResultTable,
    Route,
    StageTimes,
    TextDelta,
)

log = logging.getLogger(__name__)

AnswerGenerator = Generator[AnswerEvent, None, AnswerRecord]


class AnswerPipeline:
    """Answers questions from the documents and the warehouse, the same way for every interface."""

    def __init__(
        self,
        *,
        settings: Settings,
        embedder: Embedder,
        model: ChatModel | None = None,
        warehouse: warehouse_sql.Warehouse | None = None,
        spare: SpareConnection | None = None,
        input_checks: Sequence[InputCheck] = (),
        output_checks: Sequence[OutputCheck] = (),
    ) -> None:
        self._settings = settings
        self._embedder = embedder
        self._model = model
        self._warehouse = warehouse
        self._spare = spare
        self._input_checks = tuple(input_checks)
        self._output_checks = tuple(output_checks)
        self._rewriter = QuestionRewriter(model=model, max_history_tokens=settings.max_history_tokens)
        self._retriever = HybridRetriever(embedder=embedder, params=search_params(settings), spare=spare)
        answerers = answerers_from(settings, embedder, model)
        self._extractive = answerers.extractive
        self._generated = answerers.generated

    def search(
        self, conn: Connection[Any], asker: Identity, query: str, *, k: int, mode: SearchMode = "hybrid"
    ) -> RetrieveOutput:
        """Ranked passages the asker may read, with each leg's rank and score (no answer)."""
        retriever = HybridRetriever(
            embedder=self._embedder, params=search_params(self._settings), mode=mode, spare=self._spare
        )
        return retriever.run(conn, query, principals=asker.principals, k=k)

    def ask(self, conn: Connection[Any], question: Question) -> AnswerStream:
        """The answer's events as they come; read the stream to its end for the record (also its last event)."""
        return AnswerStream(self._answer(conn, question))

    def _answer(self, conn: Connection[Any], question: Question) -> AnswerGenerator:
        t0 = time.perf_counter()
        language = "en" if detect_language(question.text) == "en" else "fr"
        for check in self._input_checks:
            refusal = check(question, language)
            if refusal is not None:
                return (yield from self._refused(conn, question, language, refusal, t0))
        history = history_of(conn, question)
        route = self._route(conn, question)
        sql_answer = self._figure(question, route) if route != "documents" else None
        if route == "warehouse":
            assert sql_answer is not None
            return (yield from self._warehouse_only(conn, question, sql_answer, t0))
        t_rw = time.perf_counter()
        rewrite = self._rewriter.run(question.text, history, language=language)
        rewrite_ms = (time.perf_counter() - t_rw) * 1e3 if history else None
        retrieved = self._retriever_for(question.knobs).run(
            conn, rewrite.standalone, principals=question.asker.principals, k=question.knobs.top_k
        )
        yield PassagesFound(tuple(retrieved.hits))
        figure = _figure_found(sql_answer) if sql_answer is not None and sql_answer.found else None
        first_token_ms: float | None = None
        if figure is not None:
            first_token_ms = _since(t0)
            yield figure
        answer: Answer
        generated = self._generated if question.knobs.written is not False else None
        if generated is None:
            answer = self._extractive.run(rewrite.standalone, retrieved.hits, language=retrieved.language)
            first_token_ms = first_token_ms or _since(t0)
            for piece in re.findall(r"\S+\s*|\s+", answer.text):  # shown like a model's, word by word
                yield TextDelta(piece)
        else:
            stream = generated.stream(rewrite.standalone, retrieved.hits, language=retrieved.language)
            for delta in stream:
                first_token_ms = first_token_ms or _since(t0)
                yield TextDelta(delta.text, restart=delta.restart)
            answer = stream.result
        yield CitationsChecked(answer.citations)
        record = AnswerRecord(
            question=question.text,
            standalone=rewrite.standalone,
            language=answer.language,
            route=route,
            text=(figure.lead if figure is not None else "") + answer.text,
            found=answer.found or (sql_answer is not None and sql_answer.found),
            hits=tuple(retrieved.hits),
            citations=answer.citations,
            model=answer.model,
            prompt_version=answer.prompt_version,
            citation_validity=answer.citation_validity,
            notice=" ".join(n for n in (sql_answer.notice if sql_answer else None, answer.notice) if n) or None,
            sql=sql_answer.sql if sql_answer is not None else None,
            table=figure.table if figure is not None else None,
            attempts=answer.attempts,
            times=StageTimes(
                rewrite_ms=rewrite_ms,
                embed_ms=retrieved.embed_ms,
                retrieve_ms=retrieved.db_ms,
                first_token_ms=first_token_ms,
            ),
            conversation_id=question.conversation_id,
            regenerated_from=question.regenerated_from,
        )
        return (yield from self._finish(conn, question, record, t0, mode=route))

    def _retriever_for(self, knobs: Knobs) -> HybridRetriever:
        """The server's retriever, or one with the fusion an experiment arm asks for (top k goes to `run`)."""
        if knobs.fusion is None:
            return self._retriever
        params = replace(search_params(self._settings), fusion=knobs.fusion)
        return HybridRetriever(embedder=self._embedder, params=params, spare=self._spare)

    def _route(self, conn: Connection[Any], question: Question) -> Route:
        """Forced by the asker, else chosen from the question and the part of the catalogue they may read."""
        if question.mode == AskMode.DOCUMENTS:
            return "documents"
        if self._warehouse is None:
            if question.mode == AskMode.WAREHOUSE:
                raise _no_warehouse()
            return "documents"
        try:
            reachable = self._warehouse.reachable(conn)
            if question.mode == AskMode.WAREHOUSE and not reachable:
                raise _no_warehouse()
            catalogue = self._warehouse.catalogue.visible_to(question.asker.principals)
            return warehouse_sql.choose_route(question.text, catalogue, reachable=reachable, force=question.mode)
        except NotFound:
            raise
        except SourcierError as exc:
            log.warning("routing failed (%s); answering from documents", exc.message)
            return "documents"

    def _figure(self, question: Question, route: Route) -> warehouse_sql.SqlAnswer | None:
        """The warehouse's answer; for a "both" question a failure leaves the documents to answer alone."""
        assert self._warehouse is not None
        try:
            answer = self._warehouse.answer(question.text, question.asker.principals, model=self._model)
        except SourcierError as exc:
            if route == "warehouse":
                raise
            log.info("the warehouse part of a 'both' question gave nothing (%s)", exc.message)
            return None
        return answer

    def _warehouse_only(
        self, conn: Connection[Any], question: Question, sa: warehouse_sql.SqlAnswer, t0: float
    ) -> AnswerGenerator:
        figure = _figure_found(sa)
        yield PassagesFound(())
        yield figure
        yield CitationsChecked(())
        record = AnswerRecord(
            question=question.text,
            standalone=question.text,
            language=sa.language,
            route="warehouse",
            text=sa.text,
            found=sa.found,
            model=self._model.name if self._model is not None and sa.generator == "model" else None,
            notice=sa.notice,
            sql=sa.sql,
            table=figure.table,
            times=StageTimes(first_token_ms=_since(t0)),
            conversation_id=question.conversation_id,
            regenerated_from=question.regenerated_from,
        )
        return (yield from self._finish(conn, question, record, t0, mode="warehouse"))

    def _refused(
        self, conn: Connection[Any], question: Question, language: str, refusal: Refusal, t0: float
    ) -> AnswerGenerator:
        log.info("question refused by the %s check", refusal.check)
        yield PassagesFound(())
        yield TextDelta(refusal.text)
        yield CitationsChecked(())
        record = AnswerRecord(
            question=question.text,
            standalone=question.text,
            language=language,
            route="documents",
            text=refusal.text,
            found=False,
            conversation_id=question.conversation_id,
            regenerated_from=question.regenerated_from,
        )
        return (yield from self._finish(conn, question, record, t0, mode="refused"))

    def _finish(
        self, conn: Connection[Any], question: Question, record: AnswerRecord, t0: float, *, mode: str
    ) -> AnswerGenerator:
        """The output checks, then the record kept (conversation and trace) with its total time."""
        for check in self._output_checks:
            record = check(question, record)
        record = replace(record, times=replace(record.times, total_ms=_since(t0)))
        record = keep(conn, question, record, mode=mode)
        yield AnswerFinished(record)
        return record


def _no_warehouse() -> NotFound:
    return NotFound(
        "No warehouse is configured.", hint="run `sourcier warehouse demo`, or set SOURCIER_WAREHOUSE_URL"
    )


def _since(t0: float) -> float:
    return (time.perf_counter() - t0) * 1e3


def _figure_found(sa: warehouse_sql.SqlAnswer) -> FigureFound:
    result = sa.result
    table = None if result is None else ResultTable(result.columns, result.rows, truncated=result.truncated)
    return FigureFound(
        text=sa.text,
        language=sa.language,
        sql=sa.sql,
        table=table,
        notice=sa.notice,
        elapsed_ms=None if result is None else result.elapsed_ms,
        role=None if result is None else result.role,
    )
