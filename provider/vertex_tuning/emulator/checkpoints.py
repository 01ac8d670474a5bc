"""Which checkpoints a tuning job exports, and how well each one has learned.

The schedule follows Google's checkpoints page (models/tuning/checkpoints, stored copy of
2026-09): under 10 epochs about one checkpoint per epoch; from 10 epochs on about 10, spread
evenly; the last one is the final checkpoint, saved right after the last epoch. With
`exportLastCheckpointOnly` only the final checkpoint exists. Ids count from "1".

The learning rule is the emulator's own, chosen so answers tell checkpoints apart and an
evaluation can pick the best one deterministically: a checkpoint that has seen a share s of the
training steps answers with the first ceil(s x n) of the n words of the training answer it
recalls (the final checkpoint, s = 1, answers it whole). So later checkpoints are never worse,
and the final one is the best; continuous tuning carries each lesson over at the share the
chosen checkpoint had learned it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Examples per training step (the service does not publish its batch size).
BATCH_SIZE = 16
#: Epochs the emulated service picks when the request leaves epochCount unset.
DEFAULT_EPOCHS = 3
SPREAD_CHECKPOINTS = 10


@dataclass(frozen=True)
class Checkpoint:
    checkpoint_id: str
    epoch: int
    step: int
    share: float  # of the job's training steps seen

    def api(self) -> dict[str, str]:
        """As ModelVersionCheckpoint / TunedModelCheckpoint JSON (without the endpoint)."""
        return {
            "checkpointId": self.checkpoint_id,
            "epoch": str(self.epoch),
            "step": str(self.step),
        }


def steps_per_epoch(examples: int) -> int:
    return max(1, math.ceil(examples / BATCH_SIZE))


def schedule(epochs: int, examples: int, *, last_only: bool) -> list[Checkpoint]:
    """The checkpoints of a job of `epochs` epochs over `examples` training examples."""
    per_epoch = steps_per_epoch(examples)
    total = epochs * per_epoch
    if last_only:
        return [Checkpoint("1", epochs, total, 1.0)]
    if epochs < SPREAD_CHECKPOINTS:
        epochs_at = list(range(1, epochs + 1))
        steps = [e * per_epoch for e in epochs_at]
    else:
        steps = [round(total * k / SPREAD_CHECKPOINTS) for k in range(1, SPREAD_CHECKPOINTS + 1)]
        epochs_at = [math.ceil(step / per_epoch) for step in steps]
    return [
        Checkpoint(str(i), epoch, step, step / total)
        for i, (epoch, step) in enumerate(zip(epochs_at, steps, strict=True), start=1)
    ]


def recall(answer: str, share: float) -> str:
    """What a model that has learned `share` of a lesson says of its answer (the rule above)."""
    if share >= 1.0:
        return answer
    words = answer.split()
    return " ".join(words[: max(1, math.ceil(share * len(words)))])
