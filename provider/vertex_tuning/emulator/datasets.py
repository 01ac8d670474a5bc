"""Tuning datasets as the service reads them: JSONL parsing, failure wording and statistics.

Token counts are estimates (a quarter of the characters, rounded up), and the step count assumes
a batch size of BATCH_SIZE: the service publishes neither, only that the numbers exist.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from google.cloud.aiplatform_v1 import types
from google.protobuf import json_format

BATCH_SIZE = 16
DEFAULT_EPOCHS = 3
SAMPLE_EXAMPLES = 3
HISTOGRAM_BUCKETS = 10


class DatasetError(Exception):
    """Why a job fails on its data; `status` becomes the job's google.rpc.Status code."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Example:
    """One JSONL line: a system instruction (maybe empty) and the conversation."""

    system: str
    turns: tuple[tuple[str, str], ...]  # (role, text)
    contents: tuple[Any, ...]  # types.Content, for userDatasetExamples

    def text(self, role: str) -> str:
        return "\n".join(text for r, text in self.turns if r == role)


def parse(uri: str, data: bytes, kind: str = "training") -> list[Example]:
    """Parse a Gemini tuning JSONL file; DatasetError names the first bad line as the service."""
    examples = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            examples.append(_example(raw.decode("utf-8")))
        except (ValueError, TypeError, json_format.ParseError) as exc:
            reason = str(exc).splitlines()[0]
            raise DatasetError(
                "INVALID_ARGUMENT", f"Invalid {kind} data format at line {number}: {reason}"
            ) from exc
    if not examples:
        raise DatasetError(
            "INVALID_ARGUMENT", f"Invalid {kind} data format: {uri} contains no examples."
        )
    return examples


def _example(line: str) -> Example:
    parsed = json.loads(line)
    if not isinstance(parsed, dict):
        raise ValueError("each line must be a JSON object")
    if not parsed.get("contents"):
        raise ValueError('missing required field "contents"')
    # The line has GenerateContentRequest's shape; its parser checks every field name and type.
    request = types.GenerateContentRequest.from_json(line)
    turns = []
    for index, content in enumerate(request.contents):
        if content.role not in ("user", "model"):
            raise ValueError(
                f'contents[{index}].role must be "user" or "model", got "{content.role}"'
            )
        if not content.parts:
            raise ValueError(f"contents[{index}].parts must not be empty")
        turns.append((content.role, _text(content)))
    if turns[-1][0] != "model":
        raise ValueError('the last entry of "contents" must have role "model"')
    return Example(
        system=_text(request.system_instruction),
        turns=tuple(turns),
        contents=tuple(request.contents),
    )


def _text(content: Any) -> str:
    return "".join(str(part.text) for part in content.parts)


def tokens(text: str) -> int:
    """The emulator's token estimate: characters / 4, rounded up."""
    return math.ceil(len(text) / 4)


def pairs(examples: Sequence[Example]) -> list[list[str]]:
    """(prompt, answer) per example: the last user turn and the model turn that follows."""
    found = []
    for example in examples:
        prompt = ""
        for role, text in example.turns:
            if role == "user":
                prompt = text
            elif prompt:
                found.append([prompt, text])
    return found


def stats(examples: Sequence[Example], epochs: int) -> Any:
    """SupervisedTuningDataStats computed from the dataset itself."""
    inputs = [tokens(e.system) + tokens(e.text("user")) for e in examples]
    outputs = [tokens(e.text("model")) for e in examples]
    messages = [len(e.turns) for e in examples]
    characters = sum(len(e.system) + sum(len(t) for _, t in e.turns) for e in examples)
    samples = [c for e in examples[:SAMPLE_EXAMPLES] for c in e.contents]
    return types.SupervisedTuningDataStats(
        tuning_dataset_example_count=len(examples),
        total_tuning_character_count=characters,
        total_billable_character_count=characters,
        total_billable_token_count=math.ceil(characters / 4),
        tuning_step_count=math.ceil(len(examples) / BATCH_SIZE) * (epochs or DEFAULT_EPOCHS),
        user_input_token_distribution=distribution(inputs),
        user_output_token_distribution=distribution(outputs),
        user_message_per_example_distribution=distribution(messages),
        user_dataset_examples=samples,
    )


def distribution(values: Sequence[int]) -> Any:
    """SupervisedTuningDatasetDistribution: sum, min, max, mean, median, p5, p95, buckets."""
    ordered = sorted(values)
    low, high = ordered[0], ordered[-1]
    width = (high - low) / HISTOGRAM_BUCKETS or 1
    counts = [0] * HISTOGRAM_BUCKETS
    for value in ordered:
        counts[min(int((value - low) / width), HISTOGRAM_BUCKETS - 1)] += 1
    buckets = [
        types.SupervisedTuningDatasetDistribution.DatasetBucket(
            count=count, left=low + i * width, right=low + (i + 1) * width
        )
        for i, count in enumerate(counts)
        if count
    ]
    return types.SupervisedTuningDatasetDistribution(
        sum=sum(ordered),
        billable_sum=sum(ordered),
        min_=low,
        max_=high,
        mean=statistics.fmean(ordered),
        median=statistics.median(ordered),
        p5=_percentile(ordered, 5),
        p95=_percentile(ordered, 95),
        buckets=buckets,
    )


def _percentile(ordered: Sequence[int], percent: int) -> float:
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return float(ordered[rank - 1])
