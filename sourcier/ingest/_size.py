"""The file size cap: one rule and one wording wherever a file is weighed against SOURCIER_MAX_FILE_MB.

The sync engine checks it on the size a source announces (before fetching) and on the file it fetched
(before hashing); the loaders check it again before parsing, for callers that come straight to them.
"""

from __future__ import annotations

from sourcier.errors import FileTooLarge

_MB = 1024 * 1024


def check_file_size(size_bytes: int, max_bytes: int, *, name: str = "file") -> None:
    """Raise FileTooLarge when `size_bytes` is over `max_bytes`; `name` is what the message calls the file."""
    if size_bytes > max_bytes:
        raise FileTooLarge(
            f"{name} is {megabytes(size_bytes)} MB, over the {megabytes(max_bytes)} MB limit",
            hint="raise SOURCIER_MAX_FILE_MB",
        )


def megabytes(n_bytes: int) -> str:
    """Sizes as people see them in a file manager; small ones keep enough digits not to read 0."""
    mb = n_bytes / _MB
    return f"{mb:.1f}".removesuffix(".0") if mb >= 0.1 else f"{mb:.2g}"
