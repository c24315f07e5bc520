"""Near-duplicate passages: the same talk published as a transcript, subtitles and a blog post.

MinHash over word 3-shingles (datasketch), LSH to find candidates, Jaccard threshold ~0.8.
The store keeps every copy (nothing is lost); the index keeps one, the earliest stored, and
its citations list the other sources.

>>> groups = near_duplicates([(1, "a b c d e f g h"), (2, "a b c d e f g h"), (3, "x y z w")])
>>> groups
{2: 1}
"""

from __future__ import annotations

import re

NUM_PERM = 128
WORD = re.compile(r"\w+")


def _shingles(text: str, size: int = 3) -> list[bytes]:
    words = WORD.findall(text.lower())
    if len(words) < size:
        return [" ".join(words).encode()]
    return [" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)]


def near_duplicates(passages: list[tuple[int, str]], threshold: float = 0.8) -> dict[int, int]:
    """``{duplicate id: canonical id}`` for passages whose estimated Jaccard >= threshold.

    Passages are taken in id order, so the canonical copy is the one stored first.
    """
    from datasketch import MinHash, MinHashLSH

    if not 0 < threshold <= 1 or len(passages) < 2:
        return {}
    ordered = sorted(passages)
    hashes = MinHash.bulk([_shingles(text) for _, text in ordered], num_perm=NUM_PERM)
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    canonical: dict[int, int] = {}
    by_id = {}
    for (pid, _), minhash in zip(ordered, hashes, strict=True):
        matches = [c for c in lsh.query(minhash) if by_id[c].jaccard(minhash) >= threshold]
        if matches:
            canonical[pid] = min(matches)
        else:
            lsh.insert(pid, minhash)
            by_id[pid] = minhash
    return canonical
