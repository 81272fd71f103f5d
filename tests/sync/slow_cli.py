"""`sourcier` as a subprocess with a deterministic, slowed embedder: for the kill and worker tests only.

The real CLI runs (python -m tests.sync.slow_cli sync NAME); only the embedder is swapped, so that a sync
lasts long enough to be killed in the middle, and no model weights are loaded.
"""

import os
import sys
import time
from collections.abc import Sequence

from sourcier import cli
from sourcier.embed._base import Vectors
from tests.conftest import FakeEmbedder, OtherFakeEmbedder


class SlowEmbedder(FakeEmbedder):
    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        time.sleep(0.03 * len(texts))
        return super().embed_passages(texts)


class SlowOtherEmbedder(OtherFakeEmbedder):
    """The second model (SOURCIER_TEST_EMBEDDER=other), as slow: for killing a reindex half-way."""

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        time.sleep(0.03 * len(texts))
        return super().embed_passages(texts)


if __name__ == "__main__":
    slow = SlowOtherEmbedder if os.environ.get("SOURCIER_TEST_EMBEDDER") == "other" else SlowEmbedder
    cli.app(sys.argv[1:], obj=cli.Wiring(embedder=lambda settings: slow()))
