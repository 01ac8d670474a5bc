"""Billable tokens of tuning data: counted by Vertex AI's countTokens for the base model, in
batches, and cached by the data's content hash; characters / 4 only as the labelled fallback.

What is counted is what the service bills per epoch ("About supervised fine-tuning", and the
preference-tuning page): supervised, every turn and the system instruction; preference, the
prompt (system instruction and contents) twice plus both completions. Each example is split
into its input (system instruction, user turns; a preference prompt) and output (model turns;
completions), and each side is counted in batches of many examples' Contents per call: the
service counts a request's Contents one after another, so a batch costs one call and gives the
sum. A system instruction travels as a Content of its own (a request has one
`systemInstruction`, a batch has many examples).

The fallback is characters / 4 of the same text, kept whenever countTokens cannot answer: no
project, no credentials, no network, a model the service does not know, a tuned model as base
(continuous tuning). Its label says which, and it is never cached, so the next run counts.

The cache (`Cache`) is one small JSON file per count under VERTEX_TUNING_CACHE_DIR (default
`$XDG_CACHE_HOME/vertex-tuning/token-counts`, else `~/.cache/...`). It is safe to keep and to
share, and safe to delete: a key is the SHA-256 of everything a count follows from (the data's
SHA-256, the hold-out split, the method, the model, the API endpoint that counted and this
module's COUNTING_VERSION), so an entry can only ever be the count of those very bytes; it holds
numbers only, never the data's text; files are written whole (a temporary file, then rename);
an unreadable entry is a miss. gs:// objects are also indexed by URI with the object's MD5, so a
preview can find an object's count without reading it, and a create confirms the MD5 first.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from vertex_tuning.dataset.limits import CHARS_PER_TOKEN

if TYPE_CHECKING:
    from vertex_tuning.retry import RetryPolicy
    from vertex_tuning.settings import Settings

Json = dict[str, Any]
Method = Literal["supervised", "preference"]
#: Bump when what is counted changes: every cached count then misses.
COUNTING_VERSION = 1
COUNT_TOKENS = "countTokens"
FALLBACK = f"characters/{CHARS_PER_TOKEN}"
CACHE_ENV = "VERTEX_TUNING_CACHE_DIR"
#: Contents per countTokens call, and their text characters: well under every Gemini model's
#: context window (1M tokens), which bounds what one request may hold.
MAX_CONTENTS_PER_CALL = 2_000
MAX_CHARACTERS_PER_CALL = 400_000
#: countTokens calls in flight at once.
WORKERS = 4
#: A media or function part's weight in a batch's size (its text is not the whole story).
_PART_WEIGHT = 200


@dataclass(frozen=True)
class TokenCount:
    """The tokens of a dataset, per epoch: its inputs' and outputs', and how they were counted."""

    input_tokens: int
    output_tokens: int
    examples: int
    method: Method
    counted_by: str  # COUNT_TOKENS, or FALLBACK
    model: str = ""  # the model countTokens counted for
    why: str = ""  # why the fallback
    calls: int = 0  # countTokens calls made (0: cached, or the fallback)
    cached: bool = False

    @property
    def billable(self) -> int:
        """What the service bills per epoch: the prompt twice for preference tuning."""
        inputs = 2 * self.input_tokens if self.method == "preference" else self.input_tokens
        return inputs + self.output_tokens

    @property
    def exact(self) -> bool:
        return self.counted_by == COUNT_TOKENS

    def label(self) -> str:
        """`countTokens, gemini-2.5-flash, cached` or `characters/4 estimate: no credentials`."""
        if self.exact:
            return f"{COUNT_TOKENS}, {self.model}" + (", cached" if self.cached else "")
        return f"{FALLBACK} estimate: {self.why}" if self.why else f"{FALLBACK} estimate"

    def to_json(self) -> Json:
        """The plain values a Pulumi property or a cache entry holds."""
        return {
            "tokens": self.billable,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "examples": self.examples,
            "method": self.method,
            "counted_by": self.counted_by,
            "model": self.model,
            "why": self.why,
            "label": self.label(),
        }

    @classmethod
    def from_json(cls, value: Any) -> TokenCount | None:
        """A count from to_json's values (Pulumi sends numbers as floats); None if not one."""
        if not isinstance(value, dict):
            return None
        try:
            method: Method = "preference" if value["method"] == "preference" else "supervised"
            return cls(
                input_tokens=int(value["input_tokens"]),
                output_tokens=int(value["output_tokens"]),
                examples=int(value["examples"]),
                method=method,
                counted_by=str(value["counted_by"]),
                model=str(value.get("model") or ""),
                why=str(value.get("why") or ""),
            )
        except (KeyError, TypeError, ValueError):
            return None


# --- what an example bills --------------------------------------------------------------------


def halves(example: Json, method: Method) -> tuple[list[Json], list[Json]]:
    """An example's (input, output) Contents as countTokens takes them."""
    system = example.get("systemInstruction") or example.get("system_instruction")
    inputs: list[Json] = []
    if isinstance(system, dict) and system.get("parts"):
        inputs.append({"role": "user", "parts": system["parts"]})
    contents = [c for c in example.get("contents") or [] if isinstance(c, dict)]
    if method == "preference":
        outputs = [
            c["completion"]
            for c in example.get("completions") or []
            if isinstance(c, dict) and isinstance(c.get("completion"), dict)
        ]
        return inputs + [_content(c) for c in contents], [_content(c) for c in outputs]
    inputs += [_content(c) for c in contents if c.get("role") != "model"]
    return inputs, [_content(c) for c in contents if c.get("role") == "model"]


def _content(content: Json) -> Json:
    return {"role": content.get("role") or "user", "parts": content.get("parts") or []}


def _size(content: Json) -> tuple[int, int]:
    """(text characters, batch weight) of one Content."""
    chars = weight = 0
    for part in content["parts"]:
        text = part.get("text") if isinstance(part, dict) else None
        if isinstance(text, str):
            chars += len(text)
            weight += len(text)
        else:
            weight += _PART_WEIGHT
    return chars, weight


# --- counting ---------------------------------------------------------------------------------

#: Counts one batch of Contents (a countTokens call); raises when the service cannot.
BatchCounter = Callable[[list[Json]], int]


class _Side:
    """One side (input or output) of the data: its batch being filled, and its totals."""

    def __init__(self) -> None:
        self.batch: list[Json] = []
        self.weight = 0
        self.characters = 0
        self.tokens = 0
        self.pending: list[Future[int]] = []

    def add(self, contents: list[Json]) -> bool:
        """Take an example's Contents; True when the batch is full."""
        for content in contents:
            chars, weight = _size(content)
            self.characters += chars
            self.batch.append(content)
            self.weight += weight
        return len(self.batch) >= MAX_CONTENTS_PER_CALL or self.weight >= MAX_CHARACTERS_PER_CALL

    def take(self) -> list[Json]:
        batch, self.batch, self.weight = self.batch, [], 0
        return batch


def count_lines(
    lines: Iterable[bytes | str],
    *,
    method: Method,
    counter: BatchCounter | None,
    model: str = "",
    why: str = "",
) -> TokenCount:
    """The tokens of JSONL examples: by `counter` (countTokens) in batches, or the fallback.

    Lines that are not examples (blank, not JSON) are skipped: the validator reports them.
    When `counter` fails, counting goes on by characters and says why.
    """
    sides = (_Side(), _Side())
    examples = calls = 0
    failure = "" if counter is not None else why or "countTokens not asked"
    decode = msgspec.json.Decoder().decode
    pool = ThreadPoolExecutor(WORKERS) if counter is not None else None

    def send(side: _Side) -> None:
        nonlocal calls, failure
        batch = side.take()
        if not batch or failure or pool is None or counter is None:
            return
        calls += 1
        side.pending.append(pool.submit(counter, batch))
        while len(side.pending) > 2 * WORKERS:  # bounded memory: wait for the oldest
            failure = failure or _settle(side, side.pending.pop(0))

    try:
        for raw in lines:
            try:
                example = decode(raw)
            except (msgspec.DecodeError, UnicodeDecodeError):
                continue
            if not isinstance(example, dict):
                continue
            examples += 1
            for side, contents in zip(sides, halves(example, method), strict=True):
                if side.add(contents):
                    send(side)
        for side in sides:
            send(side)
            for future in side.pending:
                failure = failure or _settle(side, future)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    if failure:
        inputs, outputs = (math.ceil(s.characters / CHARS_PER_TOKEN) for s in sides)
        return TokenCount(inputs, outputs, examples, method, FALLBACK, "", failure, calls)
    return TokenCount(
        sides[0].tokens, sides[1].tokens, examples, method, COUNT_TOKENS, model, "", calls
    )


def _settle(side: _Side, future: Future[int]) -> str:
    """Add a finished call's tokens; why it failed ("" when it did not)."""
    try:
        side.tokens += future.result()
    except Exception as exc:
        reason = unavailable(exc)
        if reason is None:
            raise
        return reason
    return ""


def unavailable(exc: BaseException) -> str | None:
    """Why countTokens could not answer, or None for an exception that is a bug."""
    from vertex_tuning.errors import ApiError

    if isinstance(exc, ApiError):
        if exc.http_status == 404:
            return f"countTokens does not know the model ({exc.message})"
        return f"countTokens failed: {exc.status}: {exc.message}"
    if type(exc).__name__ in {"DefaultCredentialsError", "RefreshError", "TransportError"}:
        return "no Google credentials"
    return None


# --- the service --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    """Where countTokens is called: the API, the project and location a count runs in."""

    settings: Settings
    project: str
    location: str
    retry: RetryPolicy | None = None

    @property
    def endpoint(self) -> str:
        return self.settings.base_url(self.location)

    def counter(self, model: str) -> BatchCounter:
        """countTokens for `model`, one Vertex (one HTTP session) per worker thread."""
        from vertex_tuning import names, wire
        from vertex_tuning.retry import RetryPolicy
        from vertex_tuning.vertex import per_thread

        name = names.publisher_model(self.project, self.location, model)
        # An estimate must not hold a preview for minutes: fewer, shorter tries than a job's
        # calls get, then the labelled fallback.
        vertex = per_thread(
            self.settings, self.location, retry=self.retry or RetryPolicy(attempts=4, maximum=8.0)
        )

        def count(contents: list[Json]) -> int:
            return wire.tokens_from_api(
                vertex().count_tokens(name, wire.count_tokens_request(contents))
            )

        return count


def countable_model(model: str) -> tuple[str, str]:
    """(the publisher model countTokens counts for, "") or ("", why it cannot)."""
    from vertex_tuning import names

    if names.parse(model, names.MODELS) is not None:
        return "", "continuous tuning: the tuned model's base is not known here"
    return names.strip_publisher(model), ""


def count(
    lines: Callable[[], Iterable[bytes | str]],
    *,
    key: Json | None,
    method: Method,
    model: str,
    service: Service | None,
    why: str = "",
    cache: Cache | None = None,
) -> TokenCount:
    """The data's count: from the cache, else counted (countTokens, or the fallback).

    `key` names the bytes (their SHA-256 and the split; None: do not cache). `lines` is only
    called on a miss.
    """
    publisher, unknown = countable_model(model)
    if service is None or unknown:
        return count_lines(lines(), method=method, counter=None, why=unknown or why)
    cache = cache or Cache()
    full_key = _key(key, method=method, model=publisher, endpoint=service.endpoint)
    if full_key is not None:
        found = cache.get(full_key)
        if found is not None:
            return found
    counted = count_lines(
        lines(), method=method, counter=service.counter(publisher), model=publisher
    )
    if counted.exact and full_key is not None:
        cache.put(full_key, counted)
    return counted


def _key(key: Json | None, **more: Any) -> str | None:
    if key is None:
        return None
    payload = json.dumps([COUNTING_VERSION, key, more], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def key_for(content_sha256: str, validation_fraction: float | None = None) -> Json:
    """What names a dataset's bytes for the cache: their hash and the hold-out split."""
    return {"sha256": content_sha256, "validation_fraction": validation_fraction}


# --- the cache ----------------------------------------------------------------------------------


def cache_dir() -> Path:
    """VERTEX_TUNING_CACHE_DIR, else the user's cache directory (XDG), token-counts/ in it."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vertex-tuning" / "token-counts"


class Cache:
    """Counts by key, and gs:// objects' counts by URI (with the MD5 they were counted at)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or cache_dir()

    def get(self, key: str) -> TokenCount | None:
        entry = self._read(self.root / f"{key}.json")
        found = TokenCount.from_json(entry)
        return replace(found, cached=True) if found is not None else None

    def put(self, key: str, counted: TokenCount) -> None:
        self._write(self.root / f"{key}.json", counted.to_json())

    def get_uri(
        self, uri: str, model: str, method: Method, endpoint: str
    ) -> tuple[str, TokenCount] | None:
        """(the object's MD5 when counted, its count) for a gs:// object, or None."""
        entry = self._read(self._uri_path(uri, model, method, endpoint))
        found = TokenCount.from_json((entry or {}).get("count"))
        if entry is None or found is None:
            return None
        return str(entry.get("md5") or ""), replace(found, cached=True)

    def put_uri(self, uri: str, md5: str, counted: TokenCount, endpoint: str) -> None:
        if counted.exact:
            path = self._uri_path(uri, counted.model, counted.method, endpoint)
            self._write(path, {"uri": uri, "md5": md5, "count": counted.to_json()})

    def _uri_path(self, uri: str, model: str, method: str, endpoint: str) -> Path:
        from vertex_tuning import names

        key = [COUNTING_VERSION, uri, names.strip_publisher(model), method, endpoint]
        digest = hashlib.sha256(json.dumps(key).encode()).hexdigest()
        return self.root / "by-uri" / f"{digest}.json"

    @staticmethod
    def _read(path: Path) -> Any:
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    @staticmethod
    def _write(path: Path, value: Json) -> None:
        """Whole or not at all; a cache that cannot be written is only a cache."""
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            try:
                with os.fdopen(handle, "w") as out:
                    json.dump(value, out)
                os.replace(temporary, path)
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)


def file_lines(path: str | os.PathLike[str]) -> Callable[[], Iterator[bytes]]:
    """A local file's lines, read when called."""

    def read() -> Iterator[bytes]:
        with open(path, "rb") as handle:
            yield from handle

    return read
