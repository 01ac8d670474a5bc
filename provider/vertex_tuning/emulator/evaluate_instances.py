"""evaluateInstances: the Gen AI evaluation service's online API (`projects/P/locations/L:
evaluateInstances`), computation-based metrics computed by the libraries the field uses, model-
based metrics (the autorater) answered by a fixed rule, and said to be.

The request is a oneof: exactly one `<metric>Input` with a `metricSpec` and its instances; the
answer is the matching `<metric>Results` (one value per instance, in the request's order) or,
for the one-instance autorater inputs, `<metric>Result`. Google does not publish its server's
algorithms (tokenizer, smoothing, which ROUGE figure), so these are the emulator's choices:

- **exact match**: 1.0 when prediction and reference are the same string, else 0.0. No strip, no
  case folding: the proto says "exactly matches", and Google's SDKs send the text as is.
- **BLEU**: sacrebleu's sentence BLEU with its defaults (tokenizer `13a`, `exp` smoothing,
  4-grams, case-sensitive), except `effective_order`, which follows the request's
  `useEffectiveOrder` (unset = false, as Google's SDKs send it; sacrebleu's `sentence_bleu`
  would default it to true). sacrebleu scores 0-100; the API's range is 0-1, so the score is
  divided by 100 (and capped at 1: float error makes a perfect match 100.00000000000004).
- **ROUGE**: rouge-score's `RougeScorer([rougeType], use_stemmer=useStemmer)`, the F-measure
  (rouge-score's scores are already 0-1). `rougeType` is `rouge1`..`rouge9`, `rougeL` or
  `rougeLsum` (unset: `rougeL`). `splitSummaries` would make rouge-score call NLTK's sentence
  splitter, whose `punkt` data is a download; the emulator splits on `. `, `! `, `? ` and
  newlines itself and hands rougeLsum newline-separated text, which is what rouge-score
  scores when it splits nothing.
- **tool calls** (no library computes them): predictions and references are JSON strings
  `{"content": "...", "tool_calls": [{"name": "...", "arguments": {...}}]}`. tool_call_valid is
  1 when the prediction parses so and every call names a tool and has an arguments object;
  tool_name_match is 1 when the call names match the reference's, in order; key match is the
  share of the reference's argument keys the prediction's calls (paired in order) have; KV match
  the share whose values are equal too (`useStrictStringMatch` false: strings compare without
  surrounding whitespace and case). An invalid prediction scores 0 on all four.
- **autorater** (pointwise, fluency, coherence, safety, groundedness, question answering and
  summarization quality): no model is asked. With a reference the score is 1 + 4 x ROUGE-L F
  of prediction and reference, rounded to the 1-5 scale; without one, 1 + 4 x min(1, distinct
  words / 20); safety is 1 (safe). The explanation says "emulated autorater" and the rule.

Scores are float32 on the wire (the proto's `float`), rendered at float32 precision.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from werkzeug.wrappers import Response

from vertex_tuning.emulator.errors import ApiError, invalid_argument

Json = dict[str, Any]
Scorer = Callable[[Mapping[str, Any], Sequence[Mapping[str, Any]]], list[float]]

ROUGE_TYPES = re.compile(r"^rouge([1-9]|L|Lsum)$")
DEFAULT_ROUGE_TYPE = "rougeL"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"\w+")


# --- computation-based metrics -------------------------------------------------------------


def exact_match(_spec: Mapping[str, Any], instances: Sequence[Mapping[str, Any]]) -> list[float]:
    return [float(i["prediction"] == i["reference"]) for i in instances]


def bleu(spec: Mapping[str, Any], instances: Sequence[Mapping[str, Any]]) -> list[float]:
    """sacrebleu sentence BLEU / 100 (see the module doc for the settings)."""
    from sacrebleu.metrics.bleu import BLEU

    # sacrebleu logs a recommendation on every sentence score without effective order.
    logging.getLogger("sacrebleu").setLevel(logging.ERROR)
    scorer = BLEU(effective_order=bool(spec.get("useEffectiveOrder", False)))
    # min(): a perfect match scores 100.00000000000004.
    return [
        min(1.0, scorer.sentence_score(i["prediction"], [i["reference"]]).score / 100)
        for i in instances
    ]


def rouge(spec: Mapping[str, Any], instances: Sequence[Mapping[str, Any]]) -> list[float]:
    """rouge-score's F-measure for the spec's rouge type (see the module doc)."""
    rouge_type = str(spec.get("rougeType") or DEFAULT_ROUGE_TYPE)
    scorer = _rouge_scorer(rouge_type, bool(spec.get("useStemmer", False)))
    split = bool(spec.get("splitSummaries", False)) and rouge_type == "rougeLsum"
    scores = []
    for instance in instances:
        reference, prediction = instance["reference"], instance["prediction"]
        if split:
            reference, prediction = _sentences(reference), _sentences(prediction)
        scores.append(scorer.score(reference, prediction)[rouge_type].fmeasure)
    return scores


def _rouge_scorer(rouge_type: str, use_stemmer: bool) -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer([rouge_type], use_stemmer=use_stemmer)


def _sentences(text: str) -> str:
    return "\n".join(s for s in _SENTENCE_END.split(text) if s.strip())


def tool_call_valid(
    _spec: Mapping[str, Any], instances: Sequence[Mapping[str, Any]]
) -> list[float]:
    return [float(tool_calls(i["prediction"]) is not None) for i in instances]


def tool_name_match(
    _spec: Mapping[str, Any], instances: Sequence[Mapping[str, Any]]
) -> list[float]:
    scores = []
    for instance in instances:
        predicted, reference = tool_calls(instance["prediction"]), tool_calls(instance["reference"])
        if predicted is None or reference is None:
            scores.append(0.0)
            continue
        scores.append(float([c["name"] for c in predicted] == [c["name"] for c in reference]))
    return scores


def tool_parameter_key_match(
    _spec: Mapping[str, Any], instances: Sequence[Mapping[str, Any]]
) -> list[float]:
    return [_argument_share(i, lambda _key, _p, _r: True) for i in instances]


def tool_parameter_kv_match(
    spec: Mapping[str, Any], instances: Sequence[Mapping[str, Any]]
) -> list[float]:
    strict = bool(spec.get("useStrictStringMatch", False))
    return [
        _argument_share(i, lambda key, p, r: _same_value(p[key], r[key], strict)) for i in instances
    ]


def tool_calls(text: str) -> list[Json] | None:
    """The calls of a tool-call JSON string, or None when it is not one."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    calls = value.get("tool_calls") if isinstance(value, dict) else None
    if not isinstance(calls, list):
        return None
    for call in calls:
        if not isinstance(call, dict) or not isinstance(call.get("name"), str) or not call["name"]:
            return None
        if not isinstance(call.get("arguments", {}), dict):
            return None
    return [{"name": c["name"], "arguments": c.get("arguments") or {}} for c in calls]


def _argument_share(
    instance: Mapping[str, Any], matches: Callable[[str, Json, Json], bool]
) -> float:
    predicted, reference = tool_calls(instance["prediction"]), tool_calls(instance["reference"])
    if predicted is None or reference is None:
        return 0.0
    wanted = found = 0
    for i, call in enumerate(reference):
        arguments: Json = call["arguments"]
        given: Json = predicted[i]["arguments"] if i < len(predicted) else {}
        wanted += len(arguments)
        found += sum(1 for key in arguments if key in given and matches(key, given, arguments))
    if not wanted:
        return float(len(predicted) == len(reference))
    return found / wanted


def _same_value(predicted: Any, reference: Any, strict: bool) -> bool:
    if not strict and isinstance(predicted, str) and isinstance(reference, str):
        return predicted.strip().casefold() == reference.strip().casefold()
    if isinstance(predicted, bool) or isinstance(reference, bool):
        return predicted is reference
    return bool(predicted == reference)


#: `<metric>Input` -> (`<metric>Results`, its values field, the scorer).
COMPUTED: dict[str, tuple[str, str, Scorer]] = {
    "exactMatchInput": ("exactMatchResults", "exactMatchMetricValues", exact_match),
    "bleuInput": ("bleuResults", "bleuMetricValues", bleu),
    "rougeInput": ("rougeResults", "rougeMetricValues", rouge),
    "toolCallValidInput": ("toolCallValidResults", "toolCallValidMetricValues", tool_call_valid),
    "toolNameMatchInput": ("toolNameMatchResults", "toolNameMatchMetricValues", tool_name_match),
    "toolParameterKeyMatchInput": (
        "toolParameterKeyMatchResults",
        "toolParameterKeyMatchMetricValues",
        tool_parameter_key_match,
    ),
    "toolParameterKvMatchInput": (
        "toolParameterKvMatchResults",
        "toolParameterKvMatchMetricValues",
        tool_parameter_kv_match,
    ),
}

# --- model-based metrics (autorater), answered by rule ----------------------------------------

#: `<metric>Input` -> `<metric>Result`: one instance per call.
AUTORATED: dict[str, str] = {
    "pointwiseMetricInput": "pointwiseMetricResult",
    "fluencyInput": "fluencyResult",
    "coherenceInput": "coherenceResult",
    "safetyInput": "safetyResult",
    "groundednessInput": "groundednessResult",
    "questionAnsweringQualityInput": "questionAnsweringQualityResult",
    "summarizationQualityInput": "summarizationQualityResult",
}
AUTORATER_NOTE = "emulated autorater (no model was asked)"


def autorate(input_key: str, instance: Mapping[str, Any]) -> Json:
    """The rule's score and an explanation that says it is one."""
    if input_key == "safetyInput":
        return {"score": 1.0, "explanation": f"{AUTORATER_NOTE}: safety is always 1 (safe)"}
    if input_key == "pointwiseMetricInput":
        try:
            fields = json.loads(str(instance.get("jsonInstance") or "{}"))
        except ValueError as exc:
            raise invalid_argument(
                f"pointwise_metric_input.instance.json_instance is not valid JSON: {exc}",
                "pointwise_metric_input.instance.json_instance",
            ) from None
        fields = fields if isinstance(fields, dict) else {}
        prediction = str(fields.get("response") or fields.get("prediction") or "")
        reference = str(fields.get("reference") or "")
    else:
        prediction = str(instance.get("prediction") or "")
        reference = str(instance.get("reference") or "")
    if reference:
        f_measure = _rouge_scorer("rougeL", False).score(reference, prediction)["rougeL"].fmeasure
        score = float(round(1 + 4 * f_measure))
        rule = f"1 + 4 x ROUGE-L F against the reference ({f_measure:.3f}), rounded"
    else:
        distinct = len(set(_WORD.findall(prediction.lower())))
        score = float(round(1 + 4 * min(1.0, distinct / 20)))
        rule = f"1 + 4 x min(1, distinct words / 20) ({distinct} distinct words), rounded"
    result: Json = {"score": score, "explanation": f"{AUTORATER_NOTE}: {rule}"}
    if input_key != "pointwiseMetricInput":
        result["confidence"] = 1.0
    return result


# --- the RPC ---------------------------------------------------------------------------------


def evaluate(location: str, request: Mapping[str, Any]) -> Json:
    """The EvaluateInstancesResponse for a parsed EvaluateInstancesRequest."""
    given = str(request.get("location") or "")
    if given and given != location:
        raise invalid_argument(
            f"location {given} does not match the request URL ({location}).", "location"
        )
    inputs = [key for key in request if key.endswith("Input")]
    if not inputs and request.get("metrics"):
        raise ApiError(
            "UNIMPLEMENTED",
            "The emulator evaluates one metric input per call (exact_match_input, bleu_input, "
            "...); `metrics` with an `instance` is not emulated.",
        )
    if len(inputs) != 1:
        raise invalid_argument(
            f"Exactly one metric input must be set in metric_inputs, got {len(inputs)}"
            + (f" ({', '.join(sorted(inputs))})." if inputs else "."),
            "metric_inputs",
        )
    key = inputs[0]
    body: Mapping[str, Any] = request[key]
    field = _snake(key)
    if key in COMPUTED:
        results_key, values_key, scorer = COMPUTED[key]
        instances = list(body.get("instances") or [])
        if not instances:
            raise invalid_argument(f"{field}.instances must not be empty.", f"{field}.instances")
        # An empty string is a default the schema drops, so absent and "" read alike: an empty
        # answer is one the model gave.
        instances = [{"prediction": "", "reference": "", **i} for i in instances]
        spec: Mapping[str, Any] = body.get("metricSpec") or {}
        _check_spec(key, spec, field)
        values = [{"score": float32(s)} for s in scorer(spec, instances)]
        return {results_key: {values_key: values}}
    if key in AUTORATED:
        instance = body.get("instance")
        if instance is None:
            raise invalid_argument(f"{field}.instance is required.", f"{field}.instance")
        result = autorate(key, instance)
        return {AUTORATED[key]: {**result, "score": float32(result["score"])}}
    raise ApiError(
        "UNIMPLEMENTED",
        f"The emulator does not evaluate {field}: it computes exact match, BLEU, ROUGE and the "
        "tool-call metrics, and answers pointwise, fluency, coherence, safety, groundedness, "
        "question answering and summarization quality by rule.",
    )


def _check_spec(key: str, spec: Mapping[str, Any], field: str) -> None:
    if key == "rougeInput":
        rouge_type = str(spec.get("rougeType") or DEFAULT_ROUGE_TYPE)
        if not ROUGE_TYPES.match(rouge_type):
            where = f"{field}.metric_spec.rouge_type"
            raise invalid_argument(
                f"{where} {rouge_type!r} is not supported: use rouge1..rouge9, rougeL or "
                "rougeLsum.",
                where,
            )


def float32(value: float) -> float:
    """`value` as the proto's float carries it, printed at float32 precision."""
    import numpy

    if not math.isfinite(value):
        return value
    return float(numpy.format_float_positional(numpy.float32(value), unique=True, trim="0"))


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def handle(call: Any) -> Response:
    """The EvaluateInstances handler (handlers.Call in, the rendered response out)."""
    request = call.body("EvaluateInstancesRequest")
    project, location = call.scope
    answer = evaluate(f"projects/{project}/locations/{location}", request)
    response: Response = call.render("EvaluateInstancesResponse", answer)
    return response
