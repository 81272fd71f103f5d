"""The caller's own conversations; another user's id answers 404 like a missing one."""

from __future__ import annotations

from fastapi import APIRouter

from sourcier.api._deps import Conn, CurrentUser, IdPath
from sourcier.api._schemas import ConversationDetailOut, ConversationOut, Ok
from sourcier.api._service import answer_out
from sourcier.errors import NotFound
from sourcier.store import conversations

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


@router.get("", response_model=list[ConversationOut])
def list_conversations(who: CurrentUser, conn: Conn) -> list[ConversationOut]:
    return [
        ConversationOut(id=c.id, title=c.title, updated_at=c.updated_at) for c in conversations.list_for(conn, who.name)
    ]


@router.get("/{conversation_id}", response_model=ConversationDetailOut)
def get_conversation(conversation_id: IdPath, who: CurrentUser, conn: Conn) -> ConversationDetailOut:
    c = conversations.get(conn, who.name, conversation_id)
    if c is None:
        raise NotFound("No such conversation.")
    messages = [answer_out(a) for a in conversations.answers(conn, who.name, conversation_id)]
    return ConversationDetailOut(id=c.id, title=c.title, messages=messages)


@router.delete("/{conversation_id}", response_model=Ok)
def delete_conversation(conversation_id: IdPath, who: CurrentUser, conn: Conn) -> Ok:
    if not conversations.delete(conn, who.name, conversation_id):
        raise NotFound("No such conversation.")
    return Ok()
