"""`sourcier status`: what the index holds, what failed, and whether it is on the configured model."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from sourcier import store
from sourcier.cli._context import CliContext
from sourcier.cli._sources import print_sources
from sourcier.store import documents as doc_store
from sourcier.store import embeddings as emb_store
from sourcier.store import sources as source_store


def status(ctx: typer.Context) -> None:
    """Documents, passages, failed files with reasons, the embedding model and the database in use."""
    cli = CliContext.of(ctx)
    settings, conn = cli.settings, cli.conn
    counts = doc_store.counts(conn)
    failures = doc_store.failures(conn)
    source_rows = source_store.list_sources(conn)
    models = emb_store.models(conn)
    t = Table(title="sourcier status", show_header=False)
    t.add_row("database", store.describe(conn.info.dsn) + ("" if settings.database_url else "  (embedded)"))
    t.add_row("data directory", str(settings.home))
    t.add_row("documents", str(counts.documents))
    t.add_row("passages", str(counts.chunks))
    t.add_row("failed files", str(counts.failed))
    configured = cli.embedder.model_id
    stored = ", ".join(counts.models) or "none yet"
    t.add_row("embedding model", f"{configured} (vectors stored: {stored})")
    if "building" in models:
        t.add_row("being built", f"{models['building'].model_id}: run `sourcier reindex` to finish the switch")
    if "active" in models and models["active"].model_id != configured:
        t.add_row("[yellow]warning[/yellow]", f"the index is on {models['active'].model_id}: run `sourcier reindex`")
    cli.out.print(t)
    for f in failures:
        cli.out.print(Text(f"  {f.path}: {f.error}", style="yellow"))
    if source_rows:
        print_sources(cli.out, source_rows)
