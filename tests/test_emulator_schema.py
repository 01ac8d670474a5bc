"""The emulator's schema (Google's discovery documents): strict parsing as the service's JSON front
end does it, and rendering per API version."""

from __future__ import annotations

import re
from typing import Any

import pytest

from vertex_tuning.emulator import routes, schema
from vertex_tuning.emulator.errors import ApiError


def parse(body: Any, name: str = "TuningJob", version: str = "v1", **options: Any) -> Any:
    return schema.parse(version, name, body, field="tuning_job", **options)


def rejected(body: Any, name: str = "TuningJob", version: str = "v1") -> ApiError:
    with pytest.raises(ApiError) as raised:
        parse(body, name, version)
    assert raised.value.status == "INVALID_ARGUMENT"
    return raised.value


def violation(error: ApiError) -> str:
    return str(error.details[0]["fieldViolations"][0]["field"])


def test_the_documents_are_the_pinned_revision() -> None:
    for version in schema.VERSIONS:
        assert schema.api(version).revision >= "20261106"
    assert "tuningJobState" in schema.api("v1beta1").properties("TuningJob")
    assert "tuningJobState" not in schema.api("v1").properties("TuningJob")


def test_every_served_method_is_in_both_versions() -> None:
    rules = list(routes.api_map().iter_rules())
    for rpc in routes.METHODS:
        served = {rule.endpoint for rule in rules if rule.endpoint[0] == rpc}
        assert served == {(rpc, "v1"), (rpc, "v1beta1")}, rpc
    assert set(routes.METHODS) == set(routes.PERMISSIONS)


UNKNOWN = {
    "top level": ({"colour": "red"}, "Unknown name \"colour\" at 'tuning_job'", "tuning_job"),
    "nested": (
        {"supervisedTuningSpec": {"hyperParameters": {"epochs": 3}}},
        "at 'tuning_job.supervised_tuning_spec.hyper_parameters'",
        "tuning_job.supervised_tuning_spec.hyper_parameters",
    ),
    "in a list": (
        {"supervisedTuningSpec": {"evaluationConfig": {"metrics": [{"nmae": "x"}]}}},
        "at 'tuning_job.supervised_tuning_spec.evaluation_config.metrics[0]'",
        "tuning_job.supervised_tuning_spec.evaluation_config.metrics[0]",
    ),
    "v1beta1 only field in v1": (
        {"supervisedTuningSpec": {"tuningMode": "TUNING_MODE_FULL"}},
        'Unknown name "tuningMode"',
        "tuning_job.supervised_tuning_spec",
    ),
}


@pytest.mark.parametrize(("body", "message", "field"), UNKNOWN.values(), ids=UNKNOWN.keys())
def test_unknown_fields_are_named_with_their_path(body: Any, message: str, field: str) -> None:
    error = rejected(body)
    assert message in error.message and error.message.endswith("Cannot find field.")
    assert violation(error) == field


WRONG = {
    "string as number": ({"description": 5}, "tuning_job.description", "TYPE_STRING"),
    "int64 not a number": (
        {"supervisedTuningSpec": {"hyperParameters": {"epochCount": "three"}}},
        "tuning_job.supervised_tuning_spec.hyper_parameters.epoch_count",
        "TYPE_INT64",
    ),
    "int64 fraction": (
        {"supervisedTuningSpec": {"hyperParameters": {"epochCount": 2.5}}},
        "tuning_job.supervised_tuning_spec.hyper_parameters.epoch_count",
        "TYPE_INT64",
    ),
    "int64 out of range": (
        {"supervisedTuningSpec": {"hyperParameters": {"epochCount": 2**63}}},
        "epoch_count",
        "TYPE_INT64",
    ),
    "unknown enum name": (
        {"supervisedTuningSpec": {"hyperParameters": {"adapterSize": "ADAPTER_SIZE_HUGE"}}},
        "adapter_size",
        "TYPE_ENUM",
    ),
    "unknown enum number": (
        {"supervisedTuningSpec": {"hyperParameters": {"adapterSize": 99}}},
        "adapter_size",
        "TYPE_ENUM",
    ),
    "bool as string": (
        {"supervisedTuningSpec": {"exportLastCheckpointOnly": "yes"}},
        "export_last_checkpoint_only",
        "TYPE_BOOL",
    ),
    "double as bool": (
        {"supervisedTuningSpec": {"hyperParameters": {"learningRateMultiplier": True}}},
        "learning_rate_multiplier",
        "TYPE_DOUBLE",
    ),
    "message as list": ({"supervisedTuningSpec": []}, "supervised_tuning_spec", "TYPE_MESSAGE"),
    "list as message": (
        {"supervisedTuningSpec": {"evaluationConfig": {"metrics": {}}}},
        "metrics",
        "TYPE_REPEATED",
    ),
    "map as list": ({"labels": ["a"]}, "tuning_job.labels", "TYPE_MAP"),
    "map value": ({"labels": {"a": 1}}, "tuning_job.labels['a']", "TYPE_STRING"),
}


@pytest.mark.parametrize(("body", "field", "kind"), WRONG.values(), ids=WRONG.keys())
def test_wrong_types_are_named_with_their_path(body: Any, field: str, kind: str) -> None:
    error = rejected(body)
    assert f"({kind})" in error.message
    assert violation(error).endswith(field)


def test_camel_and_snake_case_are_one_field() -> None:
    parsed = parse(
        {
            "base_model": "gemini-2.5-flash",
            "preTunedModel": {"tuned_model_name": "m", "checkpointId": "2"},
            "supervised_tuning_spec": {"hyper_parameters": {"epoch_count": 3}},
        }
    )
    assert parsed == {
        "baseModel": "gemini-2.5-flash",
        "preTunedModel": {"tunedModelName": "m", "checkpointId": "2"},
        "supervisedTuningSpec": {"hyperParameters": {"epochCount": "3"}},
    }
    error = rejected({"baseModel": "a", "base_model": "b"})
    assert 'Field "baseModel" is given twice' in error.message


def test_scalars_are_normalized_as_proto_json() -> None:
    parsed = parse(
        {
            "supervisedTuningSpec": {
                "hyperParameters": {
                    "epochCount": "7",
                    "learningRateMultiplier": "0.5",
                    "adapterSize": 6,  # enums by number: ADAPTER_SIZE_TWO is 6
                },
                "evaluationConfig": {"autoraterConfig": {"samplingCount": "4"}},
            }
        }
    )
    spec = parsed["supervisedTuningSpec"]
    assert spec["hyperParameters"] == {
        "epochCount": "7",
        "learningRateMultiplier": 0.5,
        "adapterSize": "ADAPTER_SIZE_TWO",
    }
    assert spec["evaluationConfig"]["autoraterConfig"] == {"samplingCount": 4}  # int32: a number


def test_defaults_and_nulls_are_dropped_but_present_messages_kept() -> None:
    parsed = parse(
        {
            "description": "",
            "labels": {},
            "serviceAccount": None,
            "supervisedTuningSpec": {
                "hyperParameters": {},
                "exportLastCheckpointOnly": False,
                "trainingDatasetUri": "gs://b/t.jsonl",
            },
        }
    )
    assert parsed == {
        "supervisedTuningSpec": {"hyperParameters": {}, "trainingDatasetUri": "gs://b/t.jsonl"}
    }


def test_output_only_fields_are_ignored_in_requests() -> None:
    body = {"name": "projects/p/locations/l/tuningJobs/1", "state": "JOB_STATE_SUCCEEDED"}
    assert parse({**body, "baseModel": "m"}) == {"baseModel": "m"}
    assert parse(body, keep_read_only=True) == body


def test_content_is_checked_to_the_leaves() -> None:
    def request(part: dict[str, Any]) -> dict[str, Any]:
        return {"contents": [{"role": "user", "parts": [part]}]}

    ok = {"inlineData": {"mimeType": "image/png", "data": "aGVsbG8="}}
    assert schema.parse("v1", "GenerateContentRequest", request(ok))
    for bad, kind in [
        ({"inlineData": {"mimeType": "image/png", "data": "not base64!"}}, "TYPE_BYTES"),
        ({"text": "\ud800 lone"}, "lone UTF-16 surrogate"),
        ({"txt": "typo"}, 'Unknown name "txt"'),
    ]:
        with pytest.raises(ApiError, match=re.escape(kind)):
            schema.parse("v1", "GenerateContentRequest", request(bad))
    tools = {"tools": [{"functionDeclarations": [{"name": "f", "colour": 1}]}], **request(ok)}
    with pytest.raises(ApiError, match=r"tools\[0\]\.function_declarations\[0\]"):
        schema.parse("v1", "GenerateContentRequest", tools)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"a": 1, "a": 2}', 'duplicate key "a"'),
        ('{"a": ' + "9" * 5000 + "}", "digits"),
        ("{not json", "Expecting property name"),
    ],
)
def test_json_itself_is_read_strictly(text: str, reason: str) -> None:
    with pytest.raises(ApiError, match=reason) as raised:
        schema.loads(text)
    assert raised.value.message.startswith("Invalid JSON payload received.")


def test_render_keeps_the_versions_fields_and_encodes_as_asked() -> None:
    stored = {
        "name": "projects/1/locations/l/tuningJobs/2",
        "state": "JOB_STATE_RUNNING",
        "tuningJobState": "TUNING_JOB_STATE_TUNING",
        "supervisedTuningSpec": {
            "hyperParameters": {"epochCount": 3, "adapterSize": "ADAPTER_SIZE_TWO"}
        },
        "somethingInternal": {"x": 1},
    }
    v1 = schema.render("v1", "TuningJob", stored)
    assert "tuningJobState" not in v1 and "somethingInternal" not in v1
    assert v1["supervisedTuningSpec"]["hyperParameters"]["epochCount"] == "3"
    beta = schema.render("v1beta1", "TuningJob", stored, enum_ints=True)
    assert (beta["state"], beta["tuningJobState"]) == (3, 4)
    assert beta["supervisedTuningSpec"]["hyperParameters"]["adapterSize"] == 6


def _enum_fields(version: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """(schema, field, values) of every enum reachable from what the emulator serves."""
    api = schema.api(version)
    roots = ["TuningJob", "Model", "GenerateContentRequest", "GenerateContentResponse"]
    seen: set[str] = set()
    todo = [api.schema_id(r) for r in roots]
    found = []
    while todo:
        schema_id = todo.pop()
        if schema_id in seen:
            continue
        seen.add(schema_id)
        for name, prop in api.properties(schema_id).items():
            inner = prop.get("items", prop)
            inner = inner.get("additionalProperties", inner)
            if "$ref" in inner:
                todo.append(inner["$ref"])
            if "enum" in inner:
                found.append((api.short(schema_id), name, tuple(inner["enum"])))
    return found


@pytest.mark.parametrize("version", schema.VERSIONS)
def test_enum_numbers_agree_with_the_protos(version: str) -> None:
    """Where the GAPIC types know an enum, its proto numbers are what the emulator uses."""
    import importlib

    types = importlib.import_module(f"google.cloud.aiplatform_{version}")
    checked = 0
    for message, field, values in _enum_fields(version):
        gapic = getattr(types, message, None)
        meta = getattr(gapic, "meta", None)
        proto_field = meta and (
            meta.fields.get(schema.snake(field)) or meta.fields.get(schema.snake(field) + "_")
        )
        enum = getattr(proto_field, "enum", None)
        if enum is None:
            continue  # newer than the GAPIC types: numbered in declaration order
        members = {m.name: m.value for m in enum} if isinstance(enum, type) else dict(enum.items())
        numbers = schema.enum_numbers(values)
        for name in values:
            if name in members:
                assert numbers[name] == members[name], (message, field, name)
        checked += 1
    assert checked > 20
