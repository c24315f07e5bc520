"""Hybrid retrieval on the real demo corpus with the real embedding model."""

from __future__ import annotations

import pytest

from sosie.index.hybrid import tokenize


def test_tokenize_stems_and_drops_stopwords():
    assert tokenize("The cities, and the trains!") == ["citi", "train"]


def test_lexical_and_dense_both_find_the_starter(rowan):
    hits = rowan.index.search("Tell me about Gus, your sourdough starter", k=5)
    rows = rowan.store.passages([h.passage_id for h in hits])
    assert any("Gus" in rows[h.passage_id].text for h in hits[:3])
    assert hits[0].bm25 > 0 and hits[0].dense > 0.3


def test_fusion_ranks_a_paraphrase_without_shared_words(rowan):
    hits = rowan.index.search("rail travel versus flying", k=5)
    rows = rowan.store.passages([h.passage_id for h in hits])
    assert any("train" in rows[h.passage_id].text.lower() for h in hits[:3])


@pytest.mark.slow
def test_index_knows_when_it_is_stale(small):
    small.add(small.corpus_dir)
    small.build()
    assert small.index_status()["built"] and not small.index_status()["stale"]
    extra = small.corpus_dir / "2020-05-05-note.md"
    extra.write_text("Grease the chain before the rain, not after.\n")
    small.add(extra)
    assert small.index_status()["stale"]
    small.build()
    assert not small.index_status()["stale"]
    assert small.index.manifest["passages"] == small.store.stats()["passages"]
