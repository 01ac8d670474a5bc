"""The validator agrees with the service and survives any input (issue #15, items 3-5).

Every case here was accepted, crashed or hung before: data the service rejects is rejected with
its line and field; any input gives a report, never a traceback; only regular files are read,
a line has a size cap, and memory stays bounded whatever the file holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_dataset_verdicts import mutated_lines
from vertex_tuning.dataset import (
    DEFAULT_LIMITS,
    MAX_TOKENS_PER_EXAMPLE,
    DatasetReport,
    Limits,
    NotRegularFile,
    format_report,
    validate_file,
    validate_lines,
)

STRICT = Path(__file__).parent / "data" / "strict"


def assert_only_line_3(report: DatasetReport, path: str, fragment: str) -> None:
    """The corpus convention: the broken example is line 3, and only it has errors."""
    errors = [str(e) for e in report.errors]
    assert not report.ok
    assert {e.line for e in report.errors} == {3}, errors
    assert any(e.path == path and fragment in e.message for e in report.errors), errors


TURN = '{"role": "model", "parts": [{"text": "Hello!"}]}'

# One file per rule, the broken example on line 3: (file, path, a fragment of the message).
REJECTED = [
    ("duplicate_key", "contents[0]", 'field "parts" appears more than once'),
    ("duplicate_top_level_key", "", 'field "contents" appears more than once'),
    ("lone_surrogate_text", "contents[0].parts[0].text", "lone UTF-16 surrogate (\\ud83d"),
    ("lone_surrogate_role", "contents[0].role", "lone UTF-16 surrogate (\\udc00"),
    ("lone_surrogate_key", "contents[1].parts[0]", "field name"),
    ("inline_data_bad_length", "contents[0].parts[1].inlineData.data", "base64"),
    (
        "tools_unknown_field",
        "tools[0].functionDeclarations[0]",
        'unknown field "paramters" in FunctionDeclaration',
    ),
    (
        "tools_unknown_schema_field",
        "tools[0].functionDeclarations[0].parameters.properties.order",
        'unknown field "maxLen" in Schema',
    ),
    ("tools_bad_enum", "tools[0].functionDeclarations[0].parameters.type", "must be one of"),
    ("tools_unknown_tool", "tools[0]", 'unknown field "webBrowser" in Tool'),
    ("huge_integer", "contents[0].parts[0].functionCall.args.n", "4,301 digits is too large"),
    ("nan_number", "contents[0].parts[0].functionCall.args.n", "NaN is not a JSON number"),
]


@pytest.mark.parametrize(("name", "path", "fragment"), REJECTED, ids=[r[0] for r in REJECTED])
def test_data_the_service_rejects_is_rejected_at_its_line_and_field(
    name: str, path: str, fragment: str
) -> None:
    report = validate_file(STRICT / f"{name}.jsonl")

    assert_only_line_3(report, path, fragment)
    assert report.stats.valid_examples == 3


def test_every_strict_file_has_a_case() -> None:
    assert {p.stem for p in STRICT.glob("*.jsonl")} == {r[0] for r in REJECTED}


def test_a_lone_surrogate_in_a_role_prints_everywhere() -> None:
    report = validate_file(STRICT / "lone_surrogate_role.jsonl")

    text = format_report(report)
    text.encode("utf-8")  # no UnicodeEncodeError: the surrogate is shown as \udc00
    assert '"\\udc00"' in text
    json.dumps(report.to_json()).encode("utf-8")
    for issue in report.issues:
        str(issue).encode("utf-8")


def test_a_str_line_holding_a_raw_lone_surrogate_is_reported() -> None:
    line = '{"contents": [{"role": "user", "parts": [{"text": "a\ud800b"}]}, ' + TURN + "]}"

    report = validate_lines([line])

    column = line.index("\ud800") + 1
    assert [e.message for e in report.errors] == [
        f"not valid UTF-8: a lone UTF-16 surrogate (\\ud800) at column {column}, which is not "
        "Unicode text; the service rejects it"
    ]


def with_inline_data(data: str) -> str:
    """An example whose user turn is one inlineData part holding `data`."""
    media = {"inlineData": {"mimeType": "image/png", "data": data}}
    return json.dumps({"contents": [{"role": "user", "parts": [media]}, json.loads(TURN)]})


@pytest.mark.parametrize(
    "data",
    ["abcde", "ab=c", "a", "iVBORw0KG", "iVBO Rw0K", "====", "iVBORw0KGgo==="],
)
def test_inline_data_must_be_base64_the_service_can_decode(data: str) -> None:
    line = with_inline_data(data)
    report = validate_lines([line])
    assert [e.path for e in report.errors] == ["contents[0].parts[0].inlineData.data"]


@pytest.mark.parametrize("data", ["iVBORw0KGgo=", "iVBORw0KGgo", "iVBO", "ab-_", "aGk"])
def test_standard_and_url_safe_base64_padded_or_not_are_accepted(data: str) -> None:
    line = with_inline_data(data)
    assert validate_lines([line]).ok


def test_tools_in_the_v1_shape_are_accepted_in_both_spellings() -> None:
    tools = [
        {
            "function_declarations": [
                {
                    "name": "track_order",
                    "description": "Where an order is.",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {
                            "order": {"type": "STRING", "max_length": "12", "pattern": "KK.*"},
                            "items": {"type": "ARRAY", "items": {"type": "INTEGER"}},
                        },
                        "required": ["order"],
                    },
                    "behavior": "BLOCKING",
                }
            ]
        },
        {"googleSearch": {}},
    ]
    line = json.dumps(
        {"tools": tools, "contents": [json.loads(TURN.replace("model", "user")), json.loads(TURN)]}
    )
    report = validate_lines([line])
    assert report.ok, [str(e) for e in report.errors]


def test_the_reject_list_of_the_emulator_is_a_subset_of_the_validators() -> None:
    # The emulator parses like the service (protobuf's JSON parser): whatever it rejects, the
    # validator must reject first, at the same line.
    from vertex_tuning.emulator import datasets as emulated

    data = Path(__file__).parent / "data"
    files = [*data.glob("*.jsonl"), *STRICT.glob("*.jsonl")]
    checked = 0
    for path in files:
        try:
            emulated.parse(str(path), path.read_bytes())
        except emulated.DatasetError as exc:
            checked += 1
            report = validate_file(path)
            assert not report.ok, (path.name, exc.message)
            line = int(exc.message.split("at line ")[1].split(":")[0])
            assert line in {e.line for e in report.errors}, (path.name, exc.message)
    assert checked >= 30
    for line in mutated_lines():  # thousands of variations of the corpus's valid examples
        try:
            emulated.parse("mutation", line.encode())
        except emulated.DatasetError as exc:
            assert not validate_lines([line]).ok, (line, exc.message)


# --- every input gives a report --------------------------------------------------------------

GARBAGE = [
    b"[" * 100_000,
    b'{"contents": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
    b"\x00\x01\x02",
    b"\xff\xfe\xfd",
    b"\xed\xa0\x80",
    b'{"contents": [1e999999]}',
    b'{"contents": -' + b"9" * 10_000 + b"}",
    b'{"\xed\xa0\x80": 1}',
    b'"\\ud800"',
    b"NaN",
    b'{"messages": 5}',
    b'{"contents": [{"role": {"x": [1]}, "parts": [{"text": {"y": 2}}]}]}',
]


@pytest.mark.parametrize("line", GARBAGE, ids=[f"garbage{i}" for i in range(len(GARBAGE))])
@pytest.mark.parametrize("method", ["supervised", "preference"])
def test_any_line_gives_a_report_never_a_traceback(line: bytes, method: str) -> None:
    report = validate_lines([line], method=method)  # type: ignore[arg-type]

    assert not report.ok
    assert report.errors[-1].line == 1
    format_report(report).encode("utf-8")


# --- only regular files, a cap per line, bounded memory ---------------------------------------

PROBE = """
import json, resource, sys
from vertex_tuning.dataset import validate_file

def peak_kib():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))

resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # a blowup fails fast, not the host
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")
before = peak_kib()
try:
    report = validate_file(sys.argv[1])
    outcome = [str(e) for e in report.errors]
except OSError as exc:
    outcome = f"{type(exc).__name__}: {exc.strerror}"
print(json.dumps({"outcome": outcome, "growth_kib": peak_kib() - before}))
"""


def probe(path: str | Path) -> dict[str, object]:
    """validate_file in a fresh process under a 1 GiB address-space limit and a deadline."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    result: dict[str, object] = json.loads(out)
    return result


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/dev/zero", "a character device"), ("/dev/urandom", "a character device")],
)
def test_devices_are_refused_at_once(path: str, kind: str) -> None:
    result = probe(path)
    assert (
        result["outcome"]
        == f"NotRegularFile: {kind}, not a regular file; tuning data is read from a JSONL file"
    )


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "train.jsonl"
    os.mkfifo(fifo)
    result = probe(fifo)
    assert "a FIFO (named pipe), not a regular file" in str(result["outcome"])


def test_a_directory_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(NotRegularFile, match="a directory, not a regular file"):
        validate_file(tmp_path)


def test_one_endless_line_is_reported_in_bounded_memory(tmp_path: Path) -> None:
    # 512 MiB of NUL bytes without a newline (sparse: nothing is written). Reading the line
    # whole would take 512 MiB; the reader holds one chunk and the cap.
    big = tmp_path / "endless.jsonl"
    with big.open("wb") as handle:
        handle.truncate(512 << 20)
    result = probe(big)

    assert result["outcome"] == [
        f"line 1: longer than {DEFAULT_LIMITS.line_bytes:,} bytes, more than an example within "
        f"the {MAX_TOKENS_PER_EXAMPLE:,}-token limit per example can take (4 characters per "
        "token, up to 4 bytes each, doubled for JSON); not read. Put large media in Cloud "
        "Storage and reference it with fileData"
    ]
    assert int(str(result["growth_kib"])) < 32 * 1024


def test_the_line_cap_follows_the_token_limit_and_the_next_line_is_read() -> None:
    limits = Limits(tokens_per_example=100)  # 100 tokens x 4 chars x 4 bytes x 2 = 3,200 bytes
    assert limits.line_bytes == 3_200
    ok = '{"contents": [{"role": "user", "parts": [{"text": "Hi"}]}, ' + TURN + "]}"
    long_line = ok.replace("Hi", "x" * 4_000)

    report = validate_lines([ok, long_line, ok.replace("Hi", "Hey")], limits=limits)

    assert [(e.line, e.message[:27]) for e in report.errors] == [(2, "longer than 3,200 bytes, mo")]
    assert report.stats.examples == 3
    assert report.stats.valid_examples == 2


def test_a_file_handle_is_read_in_chunks_with_the_cap() -> None:
    import io

    limits = Limits(tokens_per_example=10)  # 320 bytes
    data = b'{"contents": []}\n' + b"x" * 5_000 + b"\n" + b'{"contents": 1}'
    report = validate_lines(io.BytesIO(data), limits=limits)

    assert [e.line for e in report.errors] == [1, 2, 3]
    assert "longer than 320 bytes" in report.errors[1].message


def test_the_file_size_limit_names_the_rule(tmp_path: Path) -> None:
    line = '{"contents": [{"role": "user", "parts": [{"text": "Hi"}]}, ' + TURN + "]}\n"
    path = tmp_path / "train.jsonl"
    path.write_text(line * 3)

    report = validate_file(path, limits=Limits(file_bytes=200))

    assert str(report.errors[0]) == (
        f"dataset: {len(line) * 3:,} bytes, over the maximum file size of 200 bytes for a JSONL "
        "dataset"
    )


def test_the_tool_shapes_are_the_emulators_schema_plus_the_live_apis_extras() -> None:
    # shapes.py is data; this keeps it equal to google-cloud-aiplatform's aiplatform_v1
    # descriptors (what the emulator parses with), so an upgrade that adds a field fails here.
    from google.cloud.aiplatform_v1 import types
    from google.protobuf.descriptor import FieldDescriptor as F

    from vertex_tuning.dataset.rules import shapes

    known = {
        "google.protobuf.Value": "value",
        "google.protobuf.Struct": "struct",
        "google.protobuf.Duration": "duration",
    }
    ints = {F.TYPE_INT32, F.TYPE_INT64, F.TYPE_UINT32, F.TYPE_UINT64, F.TYPE_SINT32}
    scalars = {F.TYPE_STRING: "string", F.TYPE_BOOL: "bool", F.TYPE_DOUBLE: "number"}
    scalars |= {F.TYPE_FLOAT: "number", F.TYPE_BYTES: "bytes"} | dict.fromkeys(ints, "int")
    messages: dict[str, dict[str, str]] = {}
    enums: dict[str, tuple[str, ...]] = {}

    def kind(field: F) -> str:
        if field.type == F.TYPE_ENUM:
            enums[field.enum_type.name] = tuple(v.name for v in field.enum_type.values)
            return f"enum:{field.enum_type.name}"
        if field.type != F.TYPE_MESSAGE:
            return scalars[field.type]
        message = field.message_type
        if message.GetOptions().map_entry:
            return "{" + kind(message.fields_by_name["value"]) + "}"
        if message.full_name in known:
            return known[message.full_name]
        visit(message)
        return str(message.name)

    def visit(message: object) -> None:
        name = message.name  # type: ignore[attr-defined]
        if name in messages:
            return
        messages[name] = {}
        for field in message.fields:  # type: ignore[attr-defined]
            spec = kind(field)
            repeated = field.is_repeated and not spec.startswith("{")
            messages[name][field.json_name] = f"[{spec}]" if repeated else spec

    for root in ("VideoMetadata", "Tool", "FunctionCall", "FunctionResponse"):
        visit(getattr(types, root).pb().DESCRIPTOR)
    assert messages == shapes.GAPIC_MESSAGES
    assert enums == shapes.GAPIC_ENUMS
    for name, extras in shapes.LIVE_API_EXTRAS.items():
        assert not set(extras) & set(messages[name]), f"{name}: now in GAPIC, drop the extra"


def test_training_dataset_preview_refuses_a_device_and_hashes_what_it_validated(
    tmp_path: Path,
) -> None:
    # The provider's check reads the source through validate_file: /dev/zero is refused at
    # once (it took the host past 3 GB), and the content hash covers every byte read.
    import hashlib

    from test_training_data import failures
    from vertex_tuning.resources.training_dataset import _scan

    assert failures(source="/dev/zero", bucket="some-bucket") == [
        (
            "source",
            "reading /dev/zero: a character device, not a regular file; tuning data is read "
            "from a JSONL file",
        )
    ]
    data = (Path(__file__).parent / "data" / "good.jsonl").read_bytes()
    path = tmp_path / "train.jsonl"
    path.write_bytes(data)
    report, digest = _scan(str(path), max_issues=10)
    assert report.ok and digest == hashlib.sha256(data).hexdigest()
