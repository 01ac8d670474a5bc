"""Tuning datasets as the service reads them when a job starts: the supervised and the preference
JSONL formats, the model's dataset limits, failure wording, and the statistics the job reports.

Lines are parsed by the same strict schema parser as request bodies (schema.py): unknown fields,
wrong types, bad base64 in inlineData, duplicate keys and lone surrogates fail the job naming the
line. Tokens are counted by the emulator's one tokenizer (tokens.py), the one CountTokens
answers with, so an estimate made through CountTokens can be checked against the bill; the
service publishes neither its tokenizer nor its batch size.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from vertex_tuning.emulator import schema
from vertex_tuning.emulator import tokens as tokenizer
from vertex_tuning.emulator.catalog import Limits
from vertex_tuning.emulator.checkpoints import steps_per_epoch
from vertex_tuning.emulator.errors import ApiError

SAMPLE_EXAMPLES = 3
HISTOGRAM_BUCKETS = 10
MEDIA_TOKENS = tokenizer.MEDIA_TOKENS
Json = dict[str, Any]


class DatasetError(Exception):
    """Why a job fails on its data; `status` becomes the job's google.rpc.Status code."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Example:
    """One JSONL line: system instruction, conversation, and the answer training prefers."""

    system: str
    turns: tuple[tuple[str, str], ...]  # (role, text)
    contents: tuple[Json, ...]  # API Content JSON, for userDatasetExamples
    tokens: int
    multimodal: bool = False
    completions: tuple[tuple[float, str], ...] = ()  # preference data: (score, text)
    raw: Json = field(default_factory=dict)
    #: What the example bills per epoch: every turn and the system instruction (supervised);
    #: the prompt twice and both completions (preference).
    billable_tokens: int = 0

    def text(self, role: str) -> str:
        return "\n".join(text for r, text in self.turns if r == role)

    def lesson(self) -> tuple[str, str] | None:
        """(prompt, answer) this example teaches: the last user turn and the preferred reply."""
        if self.completions:
            prompt = next((t for r, t in reversed(self.turns) if r == "user"), "")
            best = max(self.completions, key=lambda c: c[0])[1]
            return (prompt, best) if prompt else None
        return None


def parse(
    uri: str, data: bytes, kind: str = "training", *, preference: bool = False
) -> list[Example]:
    """Parse a tuning JSONL file; DatasetError names the first bad line as the service does."""
    examples = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
            examples.append(_preference(line) if preference else _supervised(line))
        except (ValueError, TypeError, ApiError) as exc:
            reason = exc.message if isinstance(exc, ApiError) else str(exc).splitlines()[0]
            reason = reason.removeprefix("Invalid JSON payload received. ").removeprefix(
                "Invalid JSON received. "
            )
            raise DatasetError(
                "INVALID_ARGUMENT", f"Invalid {kind} data format at line {number}: {reason}"
            ) from exc
    if not examples:
        raise DatasetError(
            "INVALID_ARGUMENT", f"Invalid {kind} data format: {uri} contains no examples."
        )
    return examples


def _load(line: str) -> Json:
    parsed = schema.loads(line, "JSON")
    if not isinstance(parsed, dict):
        raise ValueError("each line must be a JSON object")
    return parsed


def _supervised(line: str) -> Example:
    raw = _load(line)
    if not raw.get("contents"):
        raise ValueError('missing required field "contents"')
    # The line has GenerateContentRequest's shape; the parser checks every field name and type.
    request = schema.parse("v1", "GenerateContentRequest", raw, keep_read_only=True)
    turns = _turns(request["contents"])
    if turns[-1][0] != "model":
        raise ValueError('the last entry of "contents" must have role "model"')
    system = request.get("systemInstruction") or {}
    total = _tokens(system) + sum(_tokens(c) for c in request["contents"])
    return Example(
        system=_text(system),
        turns=tuple(turns),
        contents=tuple(request["contents"]),
        tokens=total,
        billable_tokens=total,
        multimodal=any(_is_media(c) for c in [system, *request["contents"]]),
        raw=request,
    )


def _preference(line: str) -> Example:
    raw = _load(line)
    system_key = next((k for k in ("systemInstruction", "system_instruction") if k in raw), None)
    system = raw.pop(system_key) if system_key else None
    if not raw.get("contents"):
        raise ValueError('missing required field "contents"')
    if "completions" not in raw:
        raise ValueError('missing required field "completions"')
    example = schema.parse("v1", "GeminiPreferenceExample", raw, keep_read_only=True)
    system_content = (
        schema.parse("v1", "Content", system, field="system_instruction") if system else {}
    )
    turns = _turns(example["contents"])
    if turns[-1][0] != "user":
        raise ValueError('the last entry of "contents" must have role "user"')
    completions = example.get("completions", [])
    if len(completions) != 2:
        raise ValueError(f'"completions" must have exactly 2 entries, got {len(completions)}')
    scored = []
    for index, completion in enumerate(completions):
        score = float(completion.get("score", 0.0))
        if score not in (0.0, 1.0):
            raise ValueError(f"completions[{index}].score must be 0 or 1, got {score:g}")
        content = completion.get("completion") or {}
        if content.get("role", "model") != "model":
            raise ValueError(f'completions[{index}].completion.role must be "model"')
        if not content.get("parts"):
            raise ValueError(f"completions[{index}].completion.parts must not be empty")
        scored.append((score, _text(content), content))
    if sorted(s for s, _, _ in scored) != [0.0, 1.0]:
        raise ValueError("completions must have one preferred (score 1) and one other (score 0)")
    everything = [system_content, *example["contents"], *(c for _, _, c in scored)]
    if any(_is_media(c) for c in everything):
        raise ValueError("preference tuning takes text only; the example has a media part")
    prompt_tokens = _tokens(system_content) + sum(_tokens(c) for c in example["contents"])
    return Example(
        system=_text(system_content),
        turns=tuple(turns),
        contents=tuple(example["contents"]),
        tokens=prompt_tokens + max(_tokens(c) for _, _, c in scored),
        completions=tuple((s, t) for s, t, _ in scored),
        raw=example,
        billable_tokens=2 * prompt_tokens + sum(_tokens(c) for _, _, c in scored),
    )


def _turns(contents: Sequence[Json]) -> list[tuple[str, str]]:
    turns = []
    for index, content in enumerate(contents):
        role = content.get("role", "")
        if role not in ("user", "model"):
            raise ValueError(f'contents[{index}].role must be "user" or "model", got "{role}"')
        if not content.get("parts"):
            raise ValueError(f"contents[{index}].parts must not be empty")
        turns.append((role, _text(content)))
    return turns


def _text(content: Json) -> str:
    return "".join(str(part.get("text", "")) for part in content.get("parts", []))


def _is_media(content: Json) -> bool:
    return any("inlineData" in p or "fileData" in p for p in content.get("parts", []))


def _tokens(content: Json) -> int:
    return tokenizer.content_tokens(content) if content else 0


def tokens(text: str) -> int:
    """The tokens of `text`, by the emulator's one tokenizer (tokens.py)."""
    return tokenizer.count(text)


# --- limits --------------------------------------------------------------------------------------


def check_size(uri: str, size: int, kind: str, limits: Limits) -> None:
    if size > limits.file_bytes:
        raise DatasetError(
            "INVALID_ARGUMENT",
            f"{kind.title()} data {uri} is {size:,} bytes; a JSONL dataset may be at most "
            f"{limits.file_bytes // (1 << 30)} GB.",
        )


def check_limits(
    model: str,
    limits: Limits,
    training: Sequence[Example],
    validation: Sequence[Example] | None,
) -> None:
    """The model's per-dataset limits, each failure naming the rule it breaks."""
    for kind, examples in (("training", training), ("validation", validation or ())):
        for number, example in enumerate(examples, start=1):
            if example.tokens > limits.tokens_per_example:
                raise DatasetError(
                    "INVALID_ARGUMENT",
                    f"{kind.title()} example {number} has {example.tokens:,} tokens; {model} "
                    f"accepts at most {limits.tokens_per_example:,} input and output tokens "
                    "per example.",
                )
    media = sum(1 for e in training if e.multimodal)
    if media > limits.multimodal_examples:
        raise DatasetError(
            "INVALID_ARGUMENT",
            f"Training data has {media:,} multimodal examples; {model} accepts at most "
            f"{limits.multimodal_examples:,}.",
        )
    if len(training) - media > limits.text_examples:
        raise DatasetError(
            "INVALID_ARGUMENT",
            f"Training data has {len(training) - media:,} text-only examples; {model} accepts "
            f"at most {limits.text_examples:,}.",
        )
    if validation is None:
        return
    if len(validation) > limits.validation_examples:
        raise DatasetError(
            "INVALID_ARGUMENT",
            f"Validation data has {len(validation):,} examples; at most "
            f"{limits.validation_examples:,} are allowed.",
        )
    share_limit = math.floor(limits.validation_share * len(training))
    if len(validation) > limits.validation_share_above and len(validation) > share_limit:
        raise DatasetError(
            "INVALID_ARGUMENT",
            f"Validation data has {len(validation):,} examples, more than "
            f"{limits.validation_share:.0%} of the {len(training):,} training examples; above "
            f"{limits.validation_share_above:,} validation examples at most "
            f"{limits.validation_share:.0%} of the training examples are allowed.",
        )


# --- what training learns, and statistics ------------------------------------------------------


def lessons(examples: Sequence[Example]) -> list[list[str]]:
    """(prompt, answer) pairs: each user turn with the model turn after it; for preference data
    the last user turn with the preferred completion."""
    found = []
    for example in examples:
        lesson = example.lesson()
        if lesson is not None:
            found.append(list(lesson))
            continue
        prompt = ""
        for role, text in example.turns:
            if role == "user":
                prompt = text
            elif prompt:
                found.append([prompt, text])
    return found


def supervised_stats(examples: Sequence[Example], epochs: int) -> Json:
    """SupervisedTuningDataStats computed from the dataset itself."""
    inputs = [tokens(e.system) + tokens(e.text("user")) for e in examples]
    outputs = [tokens(e.text("model")) for e in examples]
    messages = [len(e.turns) for e in examples]
    characters = sum(len(e.system) + sum(len(t) for _, t in e.turns) for e in examples)
    samples = [c for e in examples[:SAMPLE_EXAMPLES] for c in e.contents]
    return {
        "tuningDatasetExampleCount": str(len(examples)),
        "totalTuningCharacterCount": str(characters),
        "totalBillableCharacterCount": str(characters),
        "totalBillableTokenCount": str(sum(e.billable_tokens for e in examples)),
        "tuningStepCount": str(steps_per_epoch(len(examples)) * epochs),
        "userInputTokenDistribution": distribution(inputs, supervised=True),
        "userOutputTokenDistribution": distribution(outputs, supervised=True),
        "userMessagePerExampleDistribution": distribution(messages, supervised=True),
        "userDatasetExamples": samples,
    }


def preference_stats(examples: Sequence[Example], epochs: int) -> Json:
    """PreferenceOptimizationDataStats; billable tokens are the prompt twice plus both replies,
    as the preference-tuning pricing note counts them."""
    prompts = [tokens(e.system) + tokens(e.text("user")) for e in examples]
    replies = [sum(tokens(t) for _, t in e.completions) for e in examples]
    scores = [s for e in examples for s, _ in e.completions]
    variances = [statistics.pvariance([s for s, _ in e.completions]) for e in examples]
    return {
        "tuningDatasetExampleCount": str(len(examples)),
        "totalBillableTokenCount": str(sum(e.billable_tokens for e in examples)),
        "tuningStepCount": str(steps_per_epoch(len(examples)) * epochs),
        "userInputTokenDistribution": distribution(prompts),
        "userOutputTokenDistribution": distribution(replies),
        "scoresDistribution": distribution(scores),
        "scoreVariancePerExampleDistribution": distribution(variances),
        "userDatasetExamples": [e.raw for e in examples[:SAMPLE_EXAMPLES]],
    }


def distribution(values: Sequence[float], *, supervised: bool = False) -> Json:
    """A dataset distribution: sum, min, max, mean, median, p5, p95 and a 10-bucket histogram.

    Supervised stats use SupervisedTuningDatasetDistribution (int64 sums, double counts);
    preference stats DatasetDistribution (double sum, int64 counts).
    """
    ordered = sorted(values)
    low, high = ordered[0], ordered[-1]
    width = (high - low) / HISTOGRAM_BUCKETS or 1
    counts = [0] * HISTOGRAM_BUCKETS
    for value in ordered:
        counts[min(int((value - low) / width), HISTOGRAM_BUCKETS - 1)] += 1
    buckets = [
        {
            "count": float(count) if supervised else str(count),
            "left": float(low + i * width),
            "right": float(low + (i + 1) * width),
        }
        for i, count in enumerate(counts)
        if count
    ]
    total = sum(ordered)
    result: Json = {
        "sum": str(int(total)) if supervised else float(total),
        "min": float(low),
        "max": float(high),
        "mean": statistics.fmean(ordered),
        "median": float(statistics.median(ordered)),
        "p5": _percentile(ordered, 5),
        "p95": _percentile(ordered, 95),
        "buckets": buckets,
    }
    if supervised:
        result["billableSum"] = str(int(total))
    return result


def _percentile(ordered: Sequence[float], percent: int) -> float:
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return float(ordered[rank - 1])
