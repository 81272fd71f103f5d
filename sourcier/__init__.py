"""sourcier: answers from a company's own documents and data warehouse, sourced, per-user, kept fresh.

Data flows one way: sync/ingest -> store -> retrieve -> answer (and sql) -> api/web/cli.
"""
