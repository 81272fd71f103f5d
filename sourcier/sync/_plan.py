"""Planning a run: list the source, skip what the version hints say is unchanged, enqueue the rest as jobs.

The plan also records what was listed, so that the run's last transaction can delete what was not (and
workers can recognise a document that moved). What could not be listed is counted as listed, with
everything under it, so that a folder unreadable today does not lose its documents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection

from sourcier.errors import SyncError
from sourcier.store import documents as doc_store
from sourcier.store import jobs as job_store
from sourcier.store import sources as source_store
from sourcier.sync._connector import Connector, ItemRef, ListingProblem, NothingListed, RefusedItem
from sourcier.sync._indexer import IndexEvent
from sourcier.sync._report import SyncReport


class NothingListedError(SyncError):
    """The source as a whole could not be listed: the run fails, keeps every document, and waits its turn."""


@dataclass(frozen=True, slots=True)
class ToRead:
    """A listed item the planner could not skip, with the access list it is to be indexed under."""

    ref: ItemRef
    acl: tuple[str, ...]

    def job_row(self) -> tuple[str, str, str, int | None, datetime | None, tuple[str, ...]]:
        """The row `jobs.enqueue` takes: (uri, path, version, size, modified_at, acl)."""
        return self.ref.uri, self.ref.path, self.ref.version, self.ref.size, self.ref.modified_at, self.acl


class Planner:
    """Plans the runs of one engine: `fingerprint` is how passages are cut now (a change re-reads documents)."""

    def __init__(self, *, fingerprint: str, emit: Callable[[IndexEvent], None]) -> None:
        self._fingerprint = fingerprint
        self._emit = emit

    def plan(self, conn: Connection[Any], src: source_store.Source, connector: Connector, report: SyncReport) -> None:
        """List, skip what the version hints say is unchanged, enqueue the rest."""
        known = job_store.known_documents(conn, src.id)
        retries = job_store.retries(conn, src.id)
        default = tuple(sorted(set(src.default_acl)))
        listed: list[str] = []
        kept_prefixes: list[str] = []
        todo: list[ToRead] = []
        for item in connector.list_items():
            if isinstance(item, ListingProblem):
                job_store.record_error(conn, report.run_id, item.uri, item.reason)
                if isinstance(item, NothingListed):
                    raise NothingListedError(
                        f"nothing could be listed in {src.location}: {item.reason}",
                        hint="its documents are kept; the next run tries again at its usual time",
                    )
                report.failed.append((item.uri, item.reason))
                report.listing_problems += 1
                if not isinstance(item, RefusedItem):  # what could not be listed now is not deleted
                    listed.append(item.uri)
                    kept_prefixes.append(item.uri.rstrip("/") + "/")
                continue
            listed.append(item.uri)
            acl = tuple(sorted(set(item.acl))) if item.acl is not None else default
            state = known.get(item.uri)
            if state is not None and state.status == "indexed" and tuple(sorted(state.acl)) != acl:
                doc_store.set_acl(conn, state.id, acl)
                report.acl_updated.append(item.path)
            retry = retries.get(item.uri)
            if retry is not None and not retry.due:
                report.waiting.append(item.path)
                continue
            if retry is None and state is not None and self._unchanged(state, item):
                if state.status == "indexed":
                    report.unchanged.append(item.path)
                    report.unread += 1
                else:
                    report.failed.append((item.path, "unchanged since it failed"))
                    report.still_failed += 1
                self._emit(IndexEvent("skipped", item.path))
                continue
            todo.append(ToRead(item, acl))
        self._emit(IndexEvent("scanned", src.location, len(listed)))
        seen = set(listed)
        for uri in known:
            if uri not in seen and any(uri.startswith(p) for p in kept_prefixes):
                listed.append(uri)
                seen.add(uri)
        vanished = [u for u in known if u not in seen]
        with conn.transaction():
            job_store.record_plan(conn, report.run_id, listed=listed, vanished=vanished, total=len(todo))
            job_store.enqueue(conn, report.run_id, [t.job_row() for t in todo])

    def _unchanged(self, state: job_store.KnownDocument, item: ItemRef) -> bool:
        """Whether the version hint alone says the item is as stored (a document cut another way is not)."""
        if state.status == "indexed" and state.chunking != self._fingerprint:
            return False
        if state.version is not None:
            return state.version == item.version
        return item.size is not None and state.size_bytes == item.size and state.modified_at == item.modified_at
