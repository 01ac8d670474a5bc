"""The deterministic hold-out split of a dataset into training and validation examples."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

__all__ = ["split_examples"]


def split_examples(
    lines: Iterable[bytes | str],
    validation_fraction: float,
    *,
    seed_key: str | bytes,
) -> tuple[list[str], list[str]]:
    """Split examples into (train, validation) deterministically by a keyed hash of each one.

    The validation set is the round(n * fraction) examples with the smallest keyed hash, so the
    fraction is exact over the file and adding an example moves at most one other across the
    boundary. Lines come back in file order, without line terminators; blank lines are dropped.
    """
    if not isinstance(validation_fraction, int | float) or not 0 < validation_fraction <= 0.5:
        raise ValueError(f"validation_fraction must be in (0, 0.5], got {validation_fraction!r}")
    key = seed_key.encode() if isinstance(seed_key, str) else seed_key
    key = hashlib.blake2b(key, digest_size=32).digest()  # any length in, a valid blake2b key out
    kept: list[str] = []
    scores: list[tuple[bytes, int]] = []
    for raw in lines:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        text = text.rstrip("\r\n")
        if not text or text.isspace():
            continue
        try:
            content = json.dumps(
                json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False
            )
        except ValueError:
            content = text.strip()
        score = hashlib.blake2b(content.encode(), digest_size=8, key=key).digest()
        scores.append((score, len(kept)))
        kept.append(text)
    count = round(len(kept) * validation_fraction)
    chosen = {index for _, index in sorted(scores)[:count]}
    train = [text for index, text in enumerate(kept) if index not in chosen]
    validation = [text for index, text in enumerate(kept) if index in chosen]
    return train, validation
