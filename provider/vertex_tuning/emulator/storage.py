"""Cloud Storage as the emulated service sees it: google-cloud-storage reads, and the real
gcp-storage-emulator started in-process when no STORAGE_EMULATOR_HOST is given."""

from __future__ import annotations

import logging
import threading
from typing import Any

ENV = "STORAGE_EMULATOR_HOST"
TIMEOUT_SECONDS = 10.0

log = logging.getLogger(__name__)


class ObjectMissing(Exception):
    """The gs:// object (or its bucket) does not exist."""


def split_uri(uri: str) -> tuple[str, str]:
    """gs://bucket/path/to/object -> (bucket, path/to/object)."""
    bucket, _, path = uri.removeprefix("gs://").partition("/")
    return bucket, path


class GcsReader:
    """Downloads dataset objects with anonymous credentials, one storage client per project."""

    def __init__(self, endpoint: str | None) -> None:
        self.endpoint = endpoint
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def read(self, uri: str, project: str) -> bytes:
        """The object's bytes; ObjectMissing when it or its bucket does not exist."""
        from google.api_core import exceptions

        bucket, path = split_uri(uri)
        try:
            blob = self._client(project).bucket(bucket).blob(path)
            return bytes(blob.download_as_bytes(timeout=TIMEOUT_SECONDS))
        except exceptions.NotFound as exc:
            raise ObjectMissing(uri) from exc

    def _client(self, project: str) -> Any:
        with self._lock:
            if project not in self._clients:
                from google.auth.credentials import AnonymousCredentials
                from google.cloud.storage import Client

                options = {"api_endpoint": self.endpoint} if self.endpoint else None
                credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]
                self._clients[project] = Client(
                    project=project, credentials=credentials, client_options=options
                )
            return self._clients[project]


class StorageServer:
    """The PyPI gcp-storage-emulator, in memory, on its own thread; `url` once started."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        from gcp_storage_emulator.server import create_server

        # It logs every missing object at ERROR; for the tuning service that is a normal answer.
        logging.getLogger("gcp_storage_emulator").setLevel(logging.CRITICAL)
        self._server = create_server(host, port, in_memory=True)
        self._host = host
        self.url = ""

    def start(self) -> str:
        self._server.start()
        # create_server binds inside its thread; the real port is only known from the httpd.
        port = self._server._api._httpd.server_address[1]
        self.url = f"http://{self._host}:{port}"
        log.debug("storage emulator listening on %s", self.url)
        return self.url

    def stop(self) -> None:
        self._server.stop()
