"""Bodies that cross the HTTP boundary (pydantic only here, as the style guide says)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

AskMode = Literal["auto", "documents", "warehouse"]

QUESTION_CHARS_CEILING = 20_000
"""The most `Settings.max_question_chars` may be raised to: the schema's bound, the route applies the setting."""


def valid_text(value: str) -> str:
    """Refuses what PostgreSQL and UTF-8 cannot hold: NUL, and lone surrogates (JSON's unpaired \\ud800).

    Both reached the database (NUL: psycopg.DataError) or the response encoder as a 500; refused at the
    boundary they are a 422 on /api/v1 and OpenAI's 400 on /v1.
    """
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no unpaired surrogates)") from None
    return value


Text = Annotated[str, AfterValidator(valid_text)]
"""Every string a request body carries: on /api/v1 and /v1 alike."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # A string field declared without `Text` is still checked, so that a new field cannot bring the 500 back.
        return valid_text(value) if isinstance(value, str) else value


class LoginIn(_In):
    username: Text = Field(min_length=1, max_length=64)
    password: Text = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    name: str
    is_admin: bool
    groups: list[str]


class LoginOut(BaseModel):
    user: UserOut
    csrf_token: str


class TokenIn(_In):
    label: Text = Field(default="", max_length=200)
    days: int = Field(default=90, ge=1, le=3650)


class TokenCreated(BaseModel):
    id: int
    token: str
    expires_at: datetime


class TokenOut(BaseModel):
    id: int
    label: str
    created_at: datetime
    expires_at: datetime
    revoked: bool
    last_used_at: datetime | None


class AskIn(_In):
    question: Text = Field(min_length=1, max_length=QUESTION_CHARS_CEILING)
    conversation_id: int | None = Field(default=None, ge=1, le=2**62)
    mode: AskMode = "auto"
    stream: bool = True


class RegenerateIn(_In):
    stream: bool = True


class SearchIn(_In):
    query: Text = Field(min_length=1, max_length=4000)
    k: int = Field(default=10, ge=1, le=100)
    mode: Literal["hybrid", "fulltext", "vector"] = "hybrid"


class PassagePlaceOut(BaseModel):
    """Where a passage stands: what a search hit and a citation both show of it."""

    passage_id: int
    document_id: int
    title: str
    section: str
    path: str
    page: int | None


class PassageOut(PassagePlaceOut):
    text: str
    score: float | None
    char_start: int
    char_end: int


class CitationOut(PassagePlaceOut):
    number: int
    highlights: list[tuple[int, int]]


class TableOut(BaseModel):
    columns: list[str]
    rows: list[list[Any]]


class AnswerOut(BaseModel):
    answer_id: int | None
    conversation_id: int | None
    question: str
    language: str
    text: str
    found: bool
    citations: list[CitationOut]
    model: str | None
    prompt_version: str | None
    citation_validity: float | None
    notice: str | None
    sql: str | None
    table: TableOut | None


class SearchOut(BaseModel):
    passages: list[PassageOut]


class DocumentOut(BaseModel):
    document_id: int
    title: str
    path: str
    mime_type: str | None
    page_count: int | None
    modified_at: datetime | None
    source: str


class PassageDetailOut(PassageOut):
    document: DocumentOut


class ConversationOut(BaseModel):
    id: int
    title: str
    updated_at: datetime


class ConversationDetailOut(BaseModel):
    id: int
    title: str
    messages: list[AnswerOut]


class FeedbackIn(_In):
    rating: Literal["up", "down"]
    comment: Text | None = Field(default=None, max_length=4000)


class Ok(BaseModel):
    ok: bool = True


class DayCount(BaseModel):
    day: date
    count: int


class OverviewOut(BaseModel):
    documents: int
    chunks: int
    failed: int
    questions_per_day: list[DayCount]
    thumbs_up: int
    thumbs_down: int


class AdminUserOut(BaseModel):
    name: str
    display_name: str | None
    is_admin: bool
    disabled: bool
    groups: list[str]


class AdminUserIn(_In):
    name: Text = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._@-]{0,63}$")
    password: Text | None = Field(default=None, min_length=8, max_length=1024)
    is_admin: bool = False
    display_name: Text = Field(default="", max_length=200)


class AdminUserPatch(_In):
    disabled: bool | None = None
    is_admin: bool | None = None
    password: Text | None = Field(default=None, min_length=8, max_length=1024)


class GroupIn(_In):
    name: Text = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._@-]{0,63}$")


class GroupOut(BaseModel):
    name: str
    members: list[str]
