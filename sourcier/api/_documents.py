"""Documents and passages by id, and the original file, through the caller's access filter.

An id the caller may not read answers exactly as an id that does not exist: same status, same body.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from sourcier.api._deps import Conn, CurrentUser, IdPath
from sourcier.api._schemas import DocumentOut, PassageDetailOut
from sourcier.errors import NotFound
from sourcier.store import reading
from sourcier.sync._scan import is_plain_file_inside

router = APIRouter(prefix="/api/v1", tags=["documents"])

_NO_DOCUMENT = "No such document."
_NO_PASSAGE = "No such passage."


def _document_out(d: reading.DocumentView) -> DocumentOut:
    """The view's fields of the same names (not where the source's files lie)."""
    return DocumentOut.model_validate(d, from_attributes=True)


@router.get("/documents/{document_id}", response_model=DocumentOut)
def get_document(document_id: IdPath, who: CurrentUser, conn: Conn) -> DocumentOut:
    d = reading.document(conn, document_id, who.principals)
    if d is None:
        raise NotFound(_NO_DOCUMENT)
    return _document_out(d)


def _original(d: reading.DocumentView) -> Path | None:
    """The file on disk for a filesystem source: the one listed (its uri, under the source's folder), a
    regular file reached through no symbolic link, whose recorded path is that same place.

    A link's access list is that of where it sits, its content that of where it points: serving through
    one (or at the path a link once resolved to) could hand out a file the caller may not read, so such a
    document answers as a missing one.
    """
    if d.source_kind != "filesystem":
        return None
    try:
        root = Path(d.source_location).resolve()
    except OSError:
        return None
    listed = root / d.uri
    if root / d.path != listed or not is_plain_file_inside(root, listed):
        return None
    return listed


@router.get("/documents/{document_id}/file", response_class=FileResponse)
def get_document_file(document_id: IdPath, who: CurrentUser, conn: Conn) -> FileResponse:
    d = reading.document(conn, document_id, who.principals)
    path = _original(d) if d is not None else None
    if d is None or path is None:
        raise NotFound(_NO_DOCUMENT)
    return FileResponse(path, media_type=d.mime_type or "application/octet-stream", filename=path.name)


@router.get("/passages/{passage_id}", response_model=PassageDetailOut)
def get_passage(passage_id: IdPath, who: CurrentUser, conn: Conn) -> PassageDetailOut:
    p = reading.passage(conn, passage_id, who.principals)
    d = reading.document(conn, p.document_id, who.principals) if p is not None else None
    if p is None or d is None:
        raise NotFound(_NO_PASSAGE)
    prefix = f"{p.title} > "
    section = p.heading[len(prefix) :] if p.heading.startswith(prefix) else ("" if p.heading == p.title else p.heading)
    return PassageDetailOut(
        passage_id=p.passage_id,
        document_id=p.document_id,
        title=p.title,
        section=section,
        path=p.path,
        page=p.page,
        text=p.text,
        score=None,
        char_start=p.char_start,
        char_end=p.char_end,
        document=_document_out(d),
    )
