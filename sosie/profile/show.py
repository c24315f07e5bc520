"""The style profile for people: rich tables for the terminal, a matplotlib figure for files."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from sosie.errors import SosieError


def by_count(item: tuple[str, int]) -> int:
    return -item[1]


def profile_tables(profile: dict, name: str) -> list[Table]:
    overview = Table("measure", "value", title=f"How {name} talks ({profile['words']:,} words)")
    sl, al = profile["sentence_length"], profile["answer_length"]
    person = profile["person_per_1000_words"]
    rows = [
        ("answers / sentences", f"{profile['answers']} / {profile['sentences']}"),
        ("sentence length (words)", f"median {sl['median']:.0f}, p10 {sl['p10']:.0f}, p90 {sl['p90']:.0f}"),
        ("answer length (words)", f"median {al['median']:.0f}, p90 {al['p90']:.0f}"),
        ("vocabulary", f"{profile['vocabulary']['types']:,} types; MATTR-500 "
                       f"{profile['vocabulary']['mattr_500']:.3f}"),
        ("I/me/my per 1000 words", f"{person['first_singular']:.1f}"),
        ("we/us/our per 1000 words", f"{person['first_plural']:.1f}"),
        ("you/your per 1000 words", f"{person['second']:.1f}"),
        ("openings", ", ".join(f"{o['opening']} ({o['count']})" for o in profile["openings"][:6])),
        ("hedges", ", ".join(f"{h} ({c})" for h, c in sorted(profile["hedges"].items(), key=by_count))),
    ]
    for measure, value in rows:
        overview.add_row(measure, value)
    phrases = Table("signature phrase", "count", title="Signature phrases")
    for p in profile["signature_phrases"]:
        phrases.add_row(p["phrase"], str(p["count"]))
    return [overview, phrases]


def plot_profile(profile: dict, name: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no screen
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    edges = profile["sentence_length"]["histogram"]["edges"]
    counts = profile["sentence_length"]["histogram"]["counts"]
    labels = [f"{a}-{b}" if b < 1000 else f"{a}+" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    axes[0].bar(labels, counts, color="#4a7")
    axes[0].set_title("Sentence length (words)")
    axes[0].tick_params(axis="x", rotation=45)
    top = sorted(profile["function_words"].items(), key=lambda kv: -kv[1])[:15]
    axes[1].barh([w for w, _ in reversed(top)], [f * 1000 for _, f in reversed(top)], color="#47a")
    axes[1].set_title("Function words per 1000 words")
    phrases = profile["signature_phrases"][:10]
    axes[2].barh([p["phrase"] for p in reversed(phrases)], [p["count"] for p in reversed(phrases)],
                 color="#a74")
    axes[2].set_title("Signature phrases (count)")
    fig.suptitle(f"Style profile of {name} — simulation material, not the person")
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=100)
    except OSError as exc:
        raise SosieError(f"{path}: cannot write the plot ({exc.strerror})") from exc
    finally:
        plt.close(fig)
