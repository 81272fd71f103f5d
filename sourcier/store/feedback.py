"""Thumbs up/down with a comment, on answers the rating user owns."""

from __future__ import annotations

from typing import Any

from psycopg import Connection

_SET = """
INSERT INTO feedback (answer_id, user_id, rating, comment)
SELECT a.id, u.id, %(rating)s, %(comment)s
FROM answers a JOIN users u ON u.id = a.user_id
WHERE a.id = %(answer)s AND u.name = %(user)s
ON CONFLICT (answer_id, user_id) DO UPDATE SET rating = excluded.rating, comment = excluded.comment,
    created_at = now()
RETURNING id
"""


def set_feedback(conn: Connection[Any], user: str, answer_id: int, rating: str, comment: str | None) -> bool:
    """Records the user's rating of their own answer; False when the answer is not theirs (or does not exist)."""
    row = conn.execute(_SET, {"rating": rating, "comment": comment, "answer": answer_id, "user": user}).fetchone()
    return row is not None


_TOTALS = "SELECT count(*) FILTER (WHERE rating = 'up'), count(*) FILTER (WHERE rating = 'down') FROM feedback"


def totals(conn: Connection[Any]) -> tuple[int, int]:
    """Thumbs up and down over everyone (admin overview: counts only, no content)."""
    row = conn.execute(_TOTALS).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])
