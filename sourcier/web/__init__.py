"""The web pages employees use: chat, sign-in and admin, server-rendered, plain JavaScript, no CDN.

`router` serves `/`, `/login`, `/admin` and the static files under `/static/`; the API's `create_app`
includes it. The pages only carry interface strings; their scripts read everything from the JSON API.
"""

from sourcier.web._i18n import DEFAULT_LANGUAGE, LANGUAGES, STRINGS, choose_language
from sourcier.web._pages import router

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "STRINGS", "choose_language", "router"]
