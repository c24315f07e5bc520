"""``sosie corpus``: what the persona knows, by source, speaker role and year."""

from __future__ import annotations

import json

from sosie.corpus.store import Store


def recordings(store: Store) -> list[dict]:
    """Per recorded source: hours of audio, the speakers found, and the words each said."""
    out = []
    for source_id, path, meta_json in store.db.execute(
        "SELECT id, path, meta_json FROM sources WHERE meta_json LIKE '%duration_seconds%' ORDER BY path"
    ):
        meta = json.loads(meta_json or "{}")
        if "duration_seconds" not in meta:
            continue
        words: dict[str, int] = {}
        for speaker, text in store.db.execute("SELECT speaker, text FROM turns WHERE source_id = ?",
                                              (source_id,)):
            words[speaker] = words.get(speaker, 0) + len(text.split())
        found = meta.get("speakers_found") or {}
        out.append({"path": path, "hours": round(meta["duration_seconds"] / 3600, 3),
                    "seconds": meta["duration_seconds"], "language": meta.get("language"),
                    "video": bool(meta.get("video")), "speakers_found": found.get("count"),
                    "separation": found.get("separation"), "words_by_speaker": words,
                    "transcription_seconds": meta.get("transcription_seconds")})
    return out


def corpus_summary(store: Store) -> dict:
    db = store.db
    sources = [
        {"path": r[0], "kind": r[1], "date": r[2], "passages": r[3], "words": r[4] or 0,
         "licence": r[5], "origin": r[6]}
        for r in db.execute(
            """SELECT s.path, s.kind, s.date, COUNT(p.id), SUM(p.words), s.licence, s.origin
               FROM sources s LEFT JOIN passages p ON p.source_id = s.id GROUP BY s.id ORDER BY s.path"""
        )
    ]
    by_licence: dict[str, int] = {}
    for source in sources:
        key = source["licence"] or "not stated"
        by_licence[key] = by_licence.get(key, 0) + 1
    by_role = {
        role: {"turns": n, "words": sum(len(t.split()) for (t,) in db.execute(
            "SELECT text FROM turns WHERE role = ?", (role,)))}
        for role, n in db.execute("SELECT role, COUNT(*) FROM turns GROUP BY role")
    }
    by_year = {
        (year or "undated"): {"passages": n, "words": w}
        for year, n, w in db.execute(
            "SELECT substr(date, 1, 4), COUNT(*), SUM(words) FROM passages GROUP BY 1 ORDER BY 1"
        )
    }
    by_format: dict[str, int] = {}
    for source in sources:
        suffix = source["path"].rsplit(".", 1)[-1].lower() if "." in source["path"] else "?"
        by_format[suffix] = by_format.get(suffix, 0) + 1
    stats = store.stats()
    total = sum(row["words"] or 0 for row in by_year.values())
    undated = (by_year.get("undated") or {}).get("words") or 0
    return {
        "undated_share": round(undated / total, 3) if total else 0.0,
        **stats,
        "near_duplicates": db.execute("SELECT COUNT(*) FROM passage_duplicates").fetchone()[0],
        "by_role": by_role,
        "by_year": by_year,
        "by_format": by_format,
        "by_licence": by_licence,
        "largest_sources": sorted(sources, key=lambda s: -s["words"])[:10],
        "recordings": recordings(store),
        "sources_detail": sources,
    }
