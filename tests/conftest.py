"""Shared fixtures: the real gcp-storage-emulator, the Vertex AI emulator on an ephemeral port,
and Google's own REST clients pointed at it (httpx-style serve-in-thread).

Heavy imports happen inside fixtures, so test modules that use none of them stay fast.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

PROJECT = "test-project"
LOCATION = "us-central1"


@dataclass
class VertexClients:
    """The four GAPIC clients the provider uses, over REST, against one base URL."""

    tuning: Any  # aiplatform_v1.GenAiTuningServiceClient
    models: Any  # aiplatform_v1.ModelServiceClient
    endpoints: Any  # aiplatform_v1.EndpointServiceClient
    prediction: Any  # aiplatform_v1.PredictionServiceClient
    parent: str = f"projects/{PROJECT}/locations/{LOCATION}"


def make_clients(url: str, token: str | None = None, credentials: Any = None) -> VertexClients:
    """Clients for the emulator at `url`: anonymous, with a bearer `token`, or `credentials`."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import aiplatform_v1
    from google.oauth2.credentials import Credentials

    if credentials is None:
        credentials = Credentials(token) if token else AnonymousCredentials()
    options = {"client_options": {"api_endpoint": url}, "transport": "rest"}
    return VertexClients(
        tuning=aiplatform_v1.GenAiTuningServiceClient(credentials=credentials, **options),
        models=aiplatform_v1.ModelServiceClient(credentials=credentials, **options),
        endpoints=aiplatform_v1.EndpointServiceClient(credentials=credentials, **options),
        prediction=aiplatform_v1.PredictionServiceClient(credentials=credentials, **options),
    )


def console_job(
    vertex: VertexClients,
    training_uri: str,
    display_name: str = "support",
    labels: dict[str, str] | None = None,
    epoch_count: int = 0,
) -> str:
    """Create a tuning job the way the console or a script would (outside Pulumi); its name."""
    from google.cloud import aiplatform_v1

    job = aiplatform_v1.TuningJob(
        base_model="gemini-2.5-flash",
        tuned_model_display_name=display_name,
        labels=labels or {},
        supervised_tuning_spec=aiplatform_v1.SupervisedTuningSpec(
            training_dataset_uri=training_uri,
            hyper_parameters=aiplatform_v1.SupervisedHyperParameters(epoch_count=epoch_count),
        ),
    )
    name: str = vertex.tuning.create_tuning_job(parent=vertex.parent, tuning_job=job).name
    return name


def tuning_inputs(defaults: dict[str, Any] | None = None, **values: Any) -> Any:
    """TuningJobInputs as check makes them from raw `values` (project/location defaulted)."""
    from vertex_tuning.resources.tuning_job import TuningJobProvider

    provider = TuningJobProvider()
    where = {"project": PROJECT, "location": LOCATION} if defaults is None else defaults
    checked, failures = provider.check_inputs({}, values, where)
    assert failures == [], failures
    return provider.parsed(checked)


def exists(get: Any, name: str) -> bool:
    """Whether a Get (e.g. `clients.models.get_model`) finds `name`: NotFound is False."""
    from google.api_core.exceptions import NotFound

    try:
        get(name=name)
    except NotFound:
        return False
    return True


class FakeClock:
    """An injectable clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Datasets:
    """Uploads JSONL to a bucket of its own in the storage emulator; returns gs:// URIs."""

    def __init__(self, storage_url: str) -> None:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud.storage import Client

        self.client = Client(
            project=PROJECT,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": storage_url},
        )
        self.bucket = self.client.create_bucket(f"datasets-{uuid.uuid4().hex[:12]}")

    def upload(self, name: str, content: str | Iterable[dict[str, Any]]) -> str:
        """Write `content` (raw text, or one JSON object per line) to gs://bucket/name."""
        text = content if isinstance(content, str) else "\n".join(json.dumps(c) for c in content)
        self.bucket.blob(name).upload_from_string(text)
        return f"gs://{self.bucket.name}/{name}"

    def missing(self, name: str = "missing.jsonl") -> str:
        return f"gs://{self.bucket.name}/{name}"


def example(prompt: str, answer: str) -> dict[str, Any]:
    """One Gemini tuning example: a user turn and the model's answer."""
    return {
        "contents": [
            {"role": "user", "parts": [{"text": prompt}]},
            {"role": "model", "parts": [{"text": answer}]},
        ]
    }


SUPPORT_EXAMPLES = [
    example("How do I reset my password?", "Open Settings > Security and choose Reset password."),
    example("Where can I download my invoices?", "Invoices are under Billing > Documents."),
    example("How do I delete my account?", "Write to privacy@example.com from your account email."),
]


@pytest.fixture(scope="session", autouse=True)
def token_count_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A token-count cache of the session's own (VERTEX_TUNING_CACHE_DIR), never the user's:
    providers and CLIs the tests start inherit it."""
    path = str(tmp_path_factory.mktemp("token-counts"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VERTEX_TUNING_CACHE_DIR", path)
        yield path


@pytest.fixture(scope="session")
def storage_url() -> Iterator[str]:
    """The real gcp-storage-emulator for the session; STORAGE_EMULATOR_HOST points at it."""
    from vertex_tuning.emulator.storage import StorageServer

    server = StorageServer()
    url = server.start()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STORAGE_EMULATOR_HOST", url)
        yield url
    server.stop()


@pytest.fixture(scope="session")
def emulator_session(storage_url: str) -> Iterator[RunningEmulator]:
    from vertex_tuning.emulator import serve

    with serve(job_seconds=0, storage_url=storage_url) as running:
        yield running


@pytest.fixture
def emulator(emulator_session: RunningEmulator) -> RunningEmulator:
    """The session's emulator, reset: no resources, counts or faults; manual progression;
    no token required."""
    emulator_session.control.reset()
    emulator_session.control.configure(job_seconds=0, require_token=None)
    return emulator_session


@pytest.fixture
def vertex(emulator: RunningEmulator) -> VertexClients:
    """Anonymous REST clients for `emulator`."""
    return make_clients(emulator.url)


@pytest.fixture
def vertex_clients() -> Callable[..., VertexClients]:
    """make_clients(url, token=None, credentials=None), for emulators a test starts itself."""
    return make_clients


#: The google-genai release Google's samples are replayed with (see [dependency-groups]).
GENAI_VERSION = (3, 6, 1)


@pytest.fixture
def genai_client(emulator: RunningEmulator) -> Callable[..., Any]:
    """genai_client(api_version="v1beta1"): a google-genai Vertex client for `emulator`, with
    only the endpoint and credentials changed (a static token: anonymous credentials cannot
    give google-genai the token it insists on)."""
    from google import genai
    from google.genai import types
    from google.oauth2.credentials import Credentials

    version = tuple(int(p) for p in genai.__version__.split(".")[:3])
    assert version >= GENAI_VERSION, (
        f"google-genai {genai.__version__} is older than the samples need: "
        "pip install --group genai (make does)"
    )

    def make(api_version: str = "v1beta1") -> Any:
        return genai.Client(
            vertexai=True,
            project=PROJECT,
            location=LOCATION,
            credentials=Credentials(token="emulator"),
            http_options=types.HttpOptions(base_url=f"{emulator.url}/", api_version=api_version),
        )

    return make


@pytest.fixture
def datasets(storage_url: str) -> Datasets:
    """A fresh bucket with upload helpers."""
    return Datasets(storage_url)


@pytest.fixture
def training_uri(datasets: Datasets) -> str:
    """gs:// URI of a small, valid customer-support dataset."""
    return datasets.upload("train.jsonl", SUPPORT_EXAMPLES)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def support_examples() -> list[dict[str, Any]]:
    """The examples behind `training_uri`."""
    return [dict(e) for e in SUPPORT_EXAMPLES]
