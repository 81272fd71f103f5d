"""The warehouse path of a question: generate SQL, validate it, run it as the caller's reader role, summarise."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sourcier.errors import BackendUnavailable, SqlRefused
from sourcier.ingest import detect_language
from sourcier.sql._catalogue import Catalogue
from sourcier.sql._execute import ReaderConnection, SqlExecutor, SqlResult
from sourcier.sql._generate import SqlGenerator
from sourcier.sql._summary import summarise
from sourcier.sql._validate import SqlValidator, ValidatedQuery

log = logging.getLogger(__name__)

I_DONT_KNOW_SQL = {
    "fr": "Je ne sais pas répondre à cette question avec les données de l'entrepôt.",
    "en": "I don't know how to answer this question from the warehouse data.",
}


@dataclass(frozen=True, slots=True)
class SqlAnswer:
    """A warehouse answer: the SQL that ran, its result and a one-sentence summary, or "Je ne sais pas"."""

    question: str
    language: str
    text: str
    sql: str | None = None
    result: SqlResult | None = None
    tables: tuple[str, ...] = ()  # catalogue tables the query read
    found: bool = True
    generator: str = ""  # which generator wrote the SQL that ran: "model" or "templates" (traces)
    notice: str | None = None  # why the fallback wrote it (the model's SQL refused, the model unavailable)


class WarehouseAnswerer:
    """Question -> SQL (generator) -> checked SQL (validator) -> rows (executor, as the caller's reader role).

    With a `fallback` (the template engine behind a language model), the fallback is asked when the generator
    has no SQL, is unavailable, or wrote SQL the validator refused; the fallback's SQL is validated the same way.
    A refusal is only raised when the fallback has nothing better, so a tricked model is still reported as
    refused. Refusals raise `SqlRefused` (from the validator, or from PostgreSQL through the executor); a question
    no generator can turn into SQL gives an answer with `found=False`.
    """

    def __init__(
        self,
        *,
        readers: ReaderConnection,
        catalogue: Catalogue,
        generator: SqlGenerator,
        validator: SqlValidator,
        executor: SqlExecutor,
        fallback: SqlGenerator | None = None,
    ) -> None:
        self._readers = readers
        self._catalogue = catalogue
        self._generator = generator
        self._validator = validator
        self._executor = executor
        self._fallback = fallback

    def run(self, question: str, principals: Sequence[str]) -> SqlAnswer:
        language = "en" if detect_language(question) == "en" else "fr"
        visible = self._catalogue.visible_to(principals)
        primary = "model" if self._fallback is not None else "templates"
        notice: str | None = None
        try:
            sql = self._generator.generate(question, visible)
        except BackendUnavailable as exc:
            if self._fallback is None:
                raise
            log.warning("the SQL model failed (%s); trying the templates", exc.message)
            sql, notice = None, "Le modèle de langue n'a pas répondu : requête écrite par les modèles de questions."
        checked: ValidatedQuery | None = None
        refusal: SqlRefused | None = None
        if sql is not None:
            try:
                checked = self._validator.run(sql, principals)
            except SqlRefused as exc:
                if self._fallback is None:
                    raise
                refusal = exc
                log.warning("the model's SQL was refused (%s); trying the templates", exc.message)
        used = primary
        if checked is None and self._fallback is not None:
            alternative = self._fallback.generate(question, visible)
            if alternative is None and refusal is not None:
                raise refusal
            if alternative is not None:
                checked, used = self._validator.run(alternative, principals), "templates"
                if refusal is not None:
                    notice = "La requête du modèle a été refusée ; requête écrite par les modèles de questions."
        if checked is None:
            return SqlAnswer(question=question, language=language, text=I_DONT_KNOW_SQL[language], found=False)
        role = self._catalogue.role_for(principals)
        log.info("running warehouse query (%s) as %s over %s", used, role, ", ".join(checked.tables))
        with self._readers(role) as conn:
            result = self._executor.run(conn, checked)
        return SqlAnswer(
            question=question,
            language=language,
            text=summarise(result, language=language),
            sql=checked.sql,
            result=result,
            tables=checked.tables,
            generator=used,
            notice=notice,
        )
