"""The caller's own conversations; another user's id answers 404 like a missing one.

History is shown with the caller's current rights, not those they had when it was written: an answer
that cites a passage they may no longer read is shown as one neutral sentence, without its text,
citations, figures or SQL (`withheld_out`), since any of them may quote what it cited.
"""

from __future__ import annotations

from fastapi import APIRouter

from sourcier.api._answers import answer_out
from sourcier.api._deps import Conn, CurrentUser, IdPath
from sourcier.api._schemas import AnswerOut, ConversationDetailOut, ConversationOut, Ok
from sourcier.errors import NotFound
from sourcier.store import conversations

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])

# The same sentence whatever was removed and why, so that it tells nothing about the sources.
WITHHELD = {
    "fr": "Les sources de cette réponse ne vous sont plus accessibles.",
    "en": "The sources of this answer are no longer available to you.",
}


def withheld_out(row: conversations.AnswerRow) -> AnswerOut:
    """The answer's place in the conversation, and the question its owner wrote, with nothing that came from
    its sources: no text, citations, figures, SQL, nor the model details that described them."""
    return AnswerOut(
        answer_id=row.id,
        conversation_id=row.conversation_id,
        question=row.question,
        language=row.language,
        text=WITHHELD.get(row.language, WITHHELD["fr"]),
        found=False,
        citations=[],
        model=None,
        prompt_version=None,
        citation_validity=None,
        notice=None,
        sql=None,
        table=None,
    )


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
    rows = conversations.answers(conn, who.name, conversation_id)
    hidden = conversations.withheld(conn, rows, who.principals)
    messages = [withheld_out(a) if a.id in hidden else answer_out(a) for a in rows]
    return ConversationDetailOut(id=c.id, title=c.title, messages=messages)


@router.delete("/{conversation_id}", response_model=Ok)
def delete_conversation(conversation_id: IdPath, who: CurrentUser, conn: Conn) -> Ok:
    if not conversations.delete(conn, who.name, conversation_id):
        raise NotFound("No such conversation.")
    return Ok()
