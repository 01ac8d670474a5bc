"""What generateContent says: a tuned model replays the closest training answer, so a demo shows
that tuning took effect; a base model answers politely and generically."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

_WORD = re.compile(r"\w+")


def similarity(a: str, b: str) -> float:
    """0..1: half word overlap (Jaccard), half character similarity (difflib)."""
    a, b = a.lower(), b.lower()
    words_a, words_b = set(_WORD.findall(a)), set(_WORD.findall(b))
    union = words_a | words_b
    overlap = len(words_a & words_b) / len(union) if union else 0.0
    return 0.5 * overlap + 0.5 * difflib.SequenceMatcher(None, a, b).ratio()


def tuned_answer(prompt: str, pairs: Sequence[Sequence[str]], base_model: str) -> str:
    """The model turn of the training example whose user turn is closest to `prompt`."""
    if not pairs:
        return generic_answer(prompt, base_model)
    best = max(pairs, key=lambda pair: similarity(prompt, pair[0]))
    return best[1]


def generic_answer(prompt: str, base_model: str) -> str:
    """A base model's polite, generic reply that says which model answered."""
    topic = " ".join(prompt.split())
    if len(topic) > 80:
        topic = topic[:77] + "..."
    return (
        f'Thank you for your question about "{topic}". I am the base model {base_model}, '
        "not tuned on your data, so I can only give a general answer: I would be glad to help."
    )
