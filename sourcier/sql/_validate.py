"""Checking a SQL query before it runs: one read-only SELECT over catalogue columns the caller may read.

The validator works on sqlglot's syntax tree and returns the SQL regenerated from the tree it checked (comments
dropped, tables schema-qualified, `*` expanded to exposed columns, LIMIT imposed): what runs is what was checked.
Every refusal is a `SqlRefused` whose message is written for the person who asked. A table or column the caller
may not read is refused in exactly the words of one that does not exist: a different answer would tell them it is
there (the hidden table's name is a secret too: "salaires_direction").
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import TokenType, exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope

from sourcier.errors import SqlRefused
from sourcier.sql._catalogue import Catalogue, CatalogueTable

log = logging.getLogger(__name__)

MAX_SQL_CHARS = 20_000

# Statements and clauses that write, lock, change settings or leave the SELECT world.
_FORBIDDEN_NODES: tuple[tuple[type[exp.Expr], str], ...] = (
    (exp.Into, "SELECT … INTO crée une table : seules les lectures sont permises."),
    (exp.Lock, "FOR UPDATE / FOR SHARE pose des verrous : seules les lectures simples sont permises."),
    (exp.Insert, "La requête contient un INSERT : seules les lectures sont permises."),
    (exp.Update, "La requête contient un UPDATE : seules les lectures sont permises."),
    (exp.Delete, "La requête contient un DELETE : seules les lectures sont permises."),
    (exp.Merge, "La requête contient un MERGE : seules les lectures sont permises."),
    (exp.Copy, "COPY est refusé : seules les requêtes SELECT sont permises."),
    (exp.Create, "La requête crée un objet : seules les lectures sont permises."),
    (exp.Drop, "La requête supprime un objet : seules les lectures sont permises."),
    (exp.Alter, "La requête modifie un objet : seules les lectures sont permises."),
    (exp.TruncateTable, "TRUNCATE est refusé : seules les lectures sont permises."),
    (exp.DDL, "La requête modifie la structure de la base : seules les lectures sont permises."),
    (exp.DML, "La requête modifie des données : seules les lectures sont permises."),
    (exp.Command, "Cette commande n'est pas une requête SELECT : elle est refusée."),
    (exp.Set, "Changer un paramètre de session (SET) est refusé."),
    (exp.Transaction, "Les commandes de transaction sont refusées."),
    (exp.Commit, "Les commandes de transaction sont refusées."),
    (exp.Rollback, "Les commandes de transaction sont refusées."),
    (exp.Placeholder, "La requête contient un paramètre ($1, ?) sans valeur : écrivez la valeur elle-même."),
    (exp.Parameter, "La requête contient un paramètre sans valeur : écrivez la valeur elle-même."),
)

# Functions with side effects, or that read files, settings, other databases or the system catalogs.
_DENIED_FUNCTIONS = frozenset(
    """
    set_config current_setting nextval setval currval lastval version current_version
    query_to_xml query_to_xml_and_xmlschema query_to_xmlschema table_to_xml table_to_xml_and_xmlschema
    table_to_xmlschema schema_to_xml schema_to_xml_and_xmlschema schema_to_xmlschema database_to_xml
    database_to_xml_and_xmlschema database_to_xmlschema cursor_to_xml cursor_to_xmlschema
    ts_stat ts_rewrite crosstab copy inet_server_addr inet_server_port inet_client_addr inet_client_port
    row_security_active obj_description col_description shobj_description acldefault aclexplode makeaclitem
    gin_clean_pending_list sleep benchmark load_file
    """.split()
)
_DENIED_PREFIXES = ("pg_", "lo_", "dblink", "txid_", "has_", "to_reg", "binary_upgrade", "brin_", "file_")
# Functions allowed in FROM (set-returning). Anything else there is refused.
_TABLE_FUNCTIONS = frozenset(
    """
    generate_series explodinggenerateseries exploding_generate_series unnest explode json_each json_each_text
    jsonb_each jsonb_each_text json_array_elements json_array_elements_text jsonb_array_elements
    jsonb_array_elements_text regexp_matches regexp_split_to_table string_to_table
    """.split()
)
_SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema", "pg_toast"})
_STRING_TOKENS = frozenset(
    {TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.HEREDOC_STRING, TokenType.RAW_STRING}
    | {getattr(TokenType, n) for n in ("UNICODE_STRING", "BYTE_STRING", "BIT_STRING", "HEX_STRING")
       if hasattr(TokenType, n)}
)
_ALLOWED_CONTROL = frozenset("\t\n\r")
_AUTO_ALIAS = re.compile(r"^_col_\d+$")
_UNRESOLVED = re.compile(r"Column '([^']+)' could not be resolved|Unknown column: ([\w.]+)")


@dataclass(frozen=True, slots=True)
class ValidatedQuery:
    """A query that passed validation: the SQL to run, the catalogue tables it reads, and its row limit."""

    sql: str
    tables: tuple[str, ...]
    limit: int
    capped: bool  # the validator added the LIMIT or lowered it to the maximum


def _refuse(message: str, hint: str | None = None) -> SqlRefused:
    return SqlRefused(message, hint=hint)


def table_not_in_catalogue(shown: str) -> SqlRefused:
    """The refusal of a table that does not exist and of one the caller may not read: the same words, on purpose."""
    return _refuse(f"La table {shown} n'est pas dans le catalogue de l'entrepôt.")


def column_not_in_catalogue(shown: str) -> SqlRefused:
    """The refusal of a column that does not exist, is not exposed, or belongs to a table the caller may not read."""
    return _refuse(f"La colonne {shown} n'est pas dans le catalogue de l'entrepôt.")


class SqlValidator:
    """Checks one query against the catalogue and the caller's principals, and returns the SQL to run."""

    def __init__(self, *, catalogue: Catalogue, max_rows: int = 1000) -> None:
        if max_rows < 1:
            raise ValueError(f"max_rows must be at least 1, got {max_rows}")
        if catalogue.dialect != "postgres":
            raise ValueError(f"only the postgres dialect is supported for now, got {catalogue.dialect!r}")
        self._catalogue = catalogue
        self._max_rows = max_rows
        self._dialect = catalogue.dialect

    def run(self, query: str, principals: Sequence[str]) -> ValidatedQuery:
        """The checked query, ready for `SqlExecutor`; raises SqlRefused with a plain-language reason."""
        self._check_characters(query)
        tree = self._parse_one(query)
        self._check_nodes(tree)
        self._check_functions(tree)
        tables = self._resolve_tables(tree, principals)
        qualified = self._qualify(tree, principals)
        self._check_columns(qualified, principals)
        limit, capped = self._impose_limit(qualified)
        _rename_auto_aliases(qualified)
        final = qualified.sql(dialect=self._dialect, comments=False, pretty=True)
        self._recheck(final)
        return ValidatedQuery(sql=final, tables=tuple(sorted(tables)), limit=limit, capped=capped)

    # -- text ------------------------------------------------------------------------------------------------

    def _check_characters(self, query: str) -> None:
        if not query.strip():
            raise _refuse("La requête est vide.")
        if len(query) > MAX_SQL_CHARS:
            raise _refuse(f"La requête est trop longue ({len(query)} caractères, {MAX_SQL_CHARS} au plus).")
        for ch in query:
            cat = unicodedata.category(ch)
            if (cat.startswith("C") or cat in ("Zl", "Zp")) and ch not in _ALLOWED_CONTROL:
                raise _refuse(
                    f"La requête contient un caractère invisible ou de contrôle (U+{ord(ch):04X}) : elle est refusée.",
                    hint="retapez la requête sans copier-coller de caractères spéciaux",
                )
        try:
            tokens = sqlglot.tokenize(query, read=self._dialect)
        except SqlglotError as exc:
            raise _refuse("La requête n'a pas pu être lue.", hint=_short(exc)) from exc
        for tok in tokens:
            if tok.token_type in _STRING_TOKENS:
                continue
            bad = next((c for c in tok.text if not c.isascii()), None)
            if bad is not None:
                raise _refuse(
                    f"La requête contient le caractère « {bad} » (U+{ord(bad):04X}) hors d'une chaîne entre "
                    "apostrophes : les mots-clés et les noms doivent être écrits en ASCII.",
                )

    def _parse_one(self, query: str) -> exp.Expr:
        try:
            statements = [s for s in sqlglot.parse(query, read=self._dialect) if s is not None]
        except SqlglotError as exc:
            raise _refuse("La requête n'est pas du SQL valide.", hint=_short(exc)) from exc
        if len(statements) != 1:
            raise _refuse(f"Une seule instruction SQL est permise ; la requête en contient {len(statements)}.")
        tree = normalize_identifiers(statements[0], dialect=self._dialect)  # unquoted names fold to lower case
        if isinstance(tree, exp.Command):
            word = str(tree.this).split()[0].upper() if tree.this else "?"
            raise _refuse(f"La commande {word} est refusée : seules les requêtes SELECT sont permises.")
        if not isinstance(tree, exp.Select | exp.SetOperation):
            raise _refuse("Seules les requêtes SELECT sont permises.")
        return tree

    # -- structure -------------------------------------------------------------------------------------------

    def _check_nodes(self, tree: exp.Expr) -> None:
        for node in tree.walk():
            for cls, message in _FORBIDDEN_NODES:
                if isinstance(node, cls):
                    writes = isinstance(node, exp.Insert | exp.Update | exp.Delete | exp.Merge)
                    if writes and node.find_ancestor(exp.CTE) is not None:
                        raise _refuse("Les CTE qui modifient des données (WITH … INSERT/UPDATE/DELETE) sont refusées.")
                    raise _refuse(message)
            if isinstance(node, exp.Cast | exp.TryCast):
                to = node.to.sql(dialect=self._dialect).lower()
                if to.startswith("reg") or to.startswith("pg_"):
                    raise _refuse(f"La conversion vers le type {to} lit le catalogue système : elle est refusée.")
            if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
                raise _refuse("Les fonctions préfixées par un schéma sont refusées.")

    def _check_functions(self, tree: exp.Expr) -> None:
        for func in tree.find_all(exp.Func):
            for name in _function_names(func, self._dialect):
                if name in _DENIED_FUNCTIONS or name.startswith(_DENIED_PREFIXES):
                    raise _refuse(f"La fonction {name}() est interdite (effet de bord ou accès au système).")
        for table in tree.find_all(exp.Table):
            if isinstance(table.this, exp.Func):
                names = _function_names(table.this, self._dialect)
                if not names & _TABLE_FUNCTIONS:
                    raise _refuse(f"La fonction {min(names)}() n'est pas permise dans FROM.")
        for lateral in tree.find_all(exp.Lateral):
            func = lateral.this
            if isinstance(func, exp.Func) and not _function_names(func, self._dialect) & _TABLE_FUNCTIONS:
                raise _refuse("Cette fonction n'est pas permise dans FROM.")

    def _resolve_tables(self, tree: exp.Expr, principals: Sequence[str]) -> set[str]:
        """Catalogue tables read (CTE names are not tables); schema-qualifies them in place."""
        try:
            scopes = traverse_scope(tree)
        except Exception as exc:  # sqlglot raises assorted errors on queries it cannot follow: refuse them
            log.debug("scope analysis failed: %s", exc)
            raise _refuse("La structure de la requête n'a pas pu être analysée.") from exc
        seen: set[int] = set()
        read: set[str] = set()
        for scope in scopes:
            for table in scope.tables:
                if not isinstance(table.this, exp.Identifier):
                    continue
                source = scope.sources.get(table.alias_or_name)
                if isinstance(source, Scope) and not table.args.get("db"):
                    seen.add(id(table))  # a CTE
                    continue
                entry = self._table(table, principals)
                table.set("db", exp.to_identifier(entry.schema))
                table.set("catalog", None)
                seen.add(id(table))
                read.add(entry.qualified)
        for table in tree.find_all(exp.Table):
            if isinstance(table.this, exp.Identifier) and id(table) not in seen:
                raise _refuse("La requête référence une table à un endroit que le validateur ne sait pas vérifier.")
        return read

    def _table(self, table: exp.Table, principals: Sequence[str]) -> CatalogueTable:
        name, schema, catalog = table.name, table.db, table.catalog
        shown = ".".join(p for p in (catalog, schema, name) if p)
        if catalog:
            raise _refuse(f"La table {shown} est dans une autre base : seules les tables du catalogue sont permises.")
        if schema.lower() in _SYSTEM_SCHEMAS or name.lower().startswith("pg_") or schema.lower().startswith("pg_"):
            raise _refuse(f"Les tables système ({shown}) ne sont pas accessibles.")
        if schema:
            entry = self._catalogue.table(f"{schema}.{name}")
            candidates = [entry] if entry else []
        else:
            candidates = self._catalogue.tables_named(name)
        # Hidden tables are left out before anything is said: neither a refusal nor an ambiguity may name one.
        candidates = [t for t in candidates if t.readable_by(principals)]
        if not candidates:
            raise table_not_in_catalogue(shown)
        if len(candidates) > 1:
            options = ", ".join(t.qualified for t in candidates)
            raise _refuse(f"Le nom de table {name} est ambigu ({options}) : précisez le schéma.")
        return candidates[0]

    def _qualify(self, tree: exp.Expr, principals: Sequence[str]) -> exp.Expr:
        schema: dict[str, object] = dict(self._catalogue.visible_to(principals).schema_for_sqlglot())
        try:
            return qualify(
                tree,
                schema=schema,
                dialect=self._dialect,
                validate_qualify_columns=True,
                identify=False,
                quote_identifiers=False,
            )
        except Exception as exc:  # sqlglot raises assorted errors on queries it cannot follow: refuse them
            m = _UNRESOLVED.search(str(exc))
            if m:
                raise column_not_in_catalogue(m.group(1) or m.group(2)) from exc
            log.debug("qualify failed: %s", exc)
            raise _refuse("Les colonnes de la requête n'ont pas pu être vérifiées : nommez-les explicitement.") from exc

    def _check_columns(self, tree: exp.Expr, principals: Sequence[str]) -> None:
        try:
            scopes = traverse_scope(tree)
        except Exception as exc:  # sqlglot raises assorted errors on queries it cannot follow: refuse them
            log.debug("scope analysis failed: %s", exc)
            raise _refuse("La structure de la requête n'a pas pu être analysée.") from exc
        for scope in scopes:
            for col in scope.columns:
                if not col.table:
                    continue
                source = _find_source(scope, col.table)
                if source is None:
                    raise _refuse(f"La colonne {col.sql(dialect=self._dialect)} ne se rapporte à aucune table connue.")
                if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
                    entry = self._catalogue.table(f"{source.db}.{source.name}")
                    if entry is None or not entry.readable_by(principals) or entry.column(col.name) is None:
                        raise column_not_in_catalogue(col.name)
        for col in tree.find_all(exp.Column):
            if col.table:
                continue
            if not _is_order_alias(col):
                raise _refuse(
                    f"La référence {col.name} n'a pas pu être rattachée à une colonne exposée "
                    "(une ligne entière, par exemple, n'est pas permise)."
                )
        for whole in tree.find_all(exp.TableColumn):
            raise _refuse(f"La référence à une ligne entière ({whole.name}) n'est pas permise : nommez les colonnes.")
        for star in tree.find_all(exp.Star):
            if not isinstance(star.parent, exp.Count):
                raise _refuse("SELECT * n'a pas pu être développé en colonnes exposées : nommez les colonnes.")

    def _impose_limit(self, tree: exp.Expr) -> tuple[int, bool]:
        current = tree.args.get("limit")
        value: int | None = None
        if isinstance(current, exp.Limit):
            value = _int_literal(current.expression)
        elif isinstance(current, exp.Fetch):
            value = _int_literal(current.args.get("count"))
        within = value is not None and value <= self._max_rows
        if within and isinstance(current, exp.Limit):
            return value or 0, False
        limit = value if value is not None and within else self._max_rows
        tree.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
        return limit, not within

    def _recheck(self, final: str) -> None:
        """The regenerated SQL must still be one SELECT free of forbidden nodes (guards against generator bugs)."""
        try:
            again = [s for s in sqlglot.parse(final, read=self._dialect) if s is not None]
        except SqlglotError as exc:
            raise _refuse("La requête n'a pas pu être réécrite sans risque.", hint=_short(exc)) from exc
        if len(again) != 1 or not isinstance(again[0], exp.Select | exp.SetOperation):
            raise _refuse("La requête n'a pas pu être réécrite sans risque.")
        self._check_nodes(again[0])
        self._check_functions(again[0])


def _function_names(func: exp.Func, dialect: str) -> set[str]:
    names = {func.sql_name().lower(), func.key.lower()}
    if isinstance(func, exp.Anonymous):
        names.add(str(func.name).lower())
    head = func.sql(dialect=dialect).split("(", 1)[0].strip().lower()
    if head and " " not in head:
        names.add(head.strip('"'))
    return names


def _find_source(scope: Scope, name: str) -> exp.Expr | Scope | None:
    current: Scope | None = scope
    while current is not None:
        source = current.sources.get(name)
        if source is not None:
            result: exp.Expr | Scope = source
            return result
        current = current.parent
    return None


def _is_order_alias(col: exp.Column) -> bool:
    """An unqualified name in ORDER BY that names one of the query's own output columns."""
    order = col.find_ancestor(exp.Order)
    if order is None:
        return False
    owner = order.parent
    while isinstance(owner, exp.SetOperation):
        owner = owner.this
    if not isinstance(owner, exp.Select):
        return False
    return col.name in {e.alias_or_name for e in owner.expressions if isinstance(e, exp.Alias)}


def _int_literal(node: exp.Expr | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string and str(node.this).isdigit():
        return int(str(node.this))
    return None


def _rename_auto_aliases(tree: exp.Expr) -> None:
    """sqlglot names unaliased output columns `_col_0`; give them PostgreSQL's own names (count, sum, ...)."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if not isinstance(select, exp.Select):
        return
    taken = {e.alias_or_name for e in select.expressions}
    renamed: dict[str, str] = {}
    for e in list(select.expressions):
        if not _AUTO_ALIAS.match(e.alias):
            continue
        inner = e.this if isinstance(e, exp.Alias) else e
        if isinstance(inner, exp.Anonymous):
            base = str(inner.name)
        elif isinstance(inner, exp.Func):
            base = inner.sql_name()
        else:
            base = "valeur"
        base = re.sub(r"[^a-z0-9_]", "_", base.lower()) or "valeur"
        name, n = base, 2
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        taken.add(name)
        renamed[e.alias] = name
        if isinstance(e, exp.Alias):
            e.set("alias", exp.to_identifier(name))
        else:
            bare = e.copy()
            bare.set("alias", None)
            e.replace(exp.alias_(bare, name))
    if renamed:
        for order in (tree.args.get("order"), select.args.get("order")):
            if isinstance(order, exp.Order):
                for col in order.find_all(exp.Column):
                    if not col.table and col.name in renamed:
                        col.set("this", exp.to_identifier(renamed[col.name]))


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return re.sub(r"\x1b\[[0-9;]*m", "", text)[:200]
