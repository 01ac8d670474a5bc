"""What generateContent says: a tuned model replays the closest training answer (as much of it as
the serving checkpoint has learned, see checkpoints.py), so a demo shows that tuning took effect;
a base model answers politely and generically."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from vertex_tuning.emulator.checkpoints import recall

_WORD = re.compile(r"\w+")


def similarity(a: str, b: str) -> float:
    """0..1: half word overlap (Jaccard), half character similarity (difflib)."""
    a, b = a.lower(), b.lower()
    words_a, words_b = set(_WORD.findall(a)), set(_WORD.findall(b))
    union = words_a | words_b
    overlap = len(words_a & words_b) / len(union) if union else 0.0
    return 0.5 * overlap + 0.5 * difflib.SequenceMatcher(None, a, b).ratio()


def tuned_answer(
    prompt: str, lessons: Sequence[Sequence[object]], share: float, base_model: str
) -> str:
    """The training answer whose prompt is closest to `prompt`, recalled at the share learned.

    A lesson is `[prompt, answer]` (learned by the serving model version: at the checkpoint's
    `share`) or `[prompt, answer, share]` (carried over from a pre-tuned model at that share).
    """
    if not lessons:
        return generic_answer(prompt, base_model)
    best = max(lessons, key=lambda lesson: similarity(prompt, str(lesson[0])))
    learned = float(str(best[2])) if len(best) > 2 else share
    return recall(str(best[1]), learned)


def generic_answer(prompt: str, base_model: str) -> str:
    """A base model's polite, generic reply that says which model answered."""
    topic = " ".join(prompt.split())
    if len(topic) > 80:
        topic = topic[:77] + "..."
    return (
        f'Thank you for your question about "{topic}". I am the base model {base_model}, '
        "not tuned on your data, so I can only give a general answer: I would be glad to help."
    )
