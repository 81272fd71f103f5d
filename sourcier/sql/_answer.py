"""The warehouse path of a question: generate SQL, validate it, run it as the caller's reader role, summarise."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sourcier.ingest import detect_language
from sourcier.sql._catalogue import Catalogue
from sourcier.sql._execute import SqlExecutor, SqlResult, connect_reader
from sourcier.sql._generate import SqlGenerator
from sourcier.sql._summary import summarise
from sourcier.sql._validate import SqlValidator

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


class WarehouseAnswerer:
    """Question -> SQL (generator) -> checked SQL (validator) -> rows (executor, as the caller's reader role).

    Refusals raise `SqlRefused` (from the validator, or from PostgreSQL through the executor); a question the
    generator cannot turn into SQL gives an answer with `found=False`.
    """

    def __init__(
        self,
        *,
        conninfo: str,
        catalogue: Catalogue,
        generator: SqlGenerator,
        validator: SqlValidator,
        executor: SqlExecutor,
    ) -> None:
        self._conninfo = conninfo
        self._catalogue = catalogue
        self._generator = generator
        self._validator = validator
        self._executor = executor

    def run(self, question: str, principals: Sequence[str]) -> SqlAnswer:
        language = "en" if detect_language(question) == "en" else "fr"
        visible = self._catalogue.visible_to(principals)
        sql = self._generator.generate(question, visible)
        if sql is None:
            return SqlAnswer(question=question, language=language, text=I_DONT_KNOW_SQL[language], found=False)
        checked = self._validator.run(sql, principals)
        role = self._catalogue.role_for(principals)
        log.info("running warehouse query as %s over %s", role, ", ".join(checked.tables))
        with connect_reader(self._conninfo, role) as conn:
            result = self._executor.run(conn, checked)
        return SqlAnswer(
            question=question,
            language=language,
            text=summarise(result, language=language),
            sql=checked.sql,
            result=result,
            tables=checked.tables,
        )
