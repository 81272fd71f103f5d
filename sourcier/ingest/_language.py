"""Which language a text is in, among those sourcier indexes (French, English).

A stopword vote is enough to pick the stemmer; it runs on the first few thousand words only.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_FR = frozenset(
    "le la les un une des du de et est sont dans pour par sur avec au aux ce cette ces qui que quoi "
    "ne pas plus il elle nous vous ils elles leur leurs son sa ses mais ou donc être avoir été fait "
    "comme tout tous très entre sans sous chez dont où quel quelle quels combien comment pourquoi".split()
)
_EN = frozenset(
    "the a an and is are was were in for of on with to at by from this that these those which who "
    "what not no it its they them their our your be been have has had do does did how why when "
    "where can will would should there here all any each very between without".split()
)


def detect_language(text: str, *, default: str = "fr", max_words: int = 3000) -> str:
    fr = en = 0
    for i, m in enumerate(_WORD.finditer(text.lower())):
        if i >= max_words:
            break
        w = m.group()
        fr += w in _FR
        en += w in _EN
    if fr == en:
        return default
    return "fr" if fr > en else "en"
