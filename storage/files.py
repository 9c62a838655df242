"""Where report attachments' bytes are kept: a local folder by default, an S3-compatible
bucket when configured. Never the database: it keeps only the key, name and size."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Protocol

from plans.errors import ContentError

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class FileStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...


def file_key(project_id: int, message_id: str, name: str) -> str:
    """A key per message: storing the same message again (a retried event) overwrites it."""
    suffix = Path(name).suffix.lower()
    return f"p{project_id}/{_SAFE.sub('_', message_id)}{_SAFE.sub('', suffix)[:10]}"


class LocalFileStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        path = (self.folder / key).resolve()
        if self.folder.resolve() not in path.parents:
            raise ContentError(f"file key outside the store: {key}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".part")
        partial.write_bytes(data)
        partial.replace(path)  # never a half-written file under the real name

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise ContentError(f"no stored file {key}") from exc


class S3FileStore:
    """Any S3-compatible bucket (AWS, MinIO, Ceph...) through boto3, the `s3` extra."""

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, prefix: str = "") -> None:
        try:
            import boto3
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ContentError("KAONA_S3_BUCKET is set but boto3 is not installed: pip install 'kaona[s3]'") from exc
        self.bucket = bucket
        self.prefix = prefix
        self._client: Any = boto3.client("s3", endpoint_url=endpoint_url)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            self._client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data, ContentType=content_type)
        except Exception as exc:  # noqa: BLE001 - botocore's errors, translated at this boundary
            raise ContentError(f"could not store {key} in bucket {self.bucket}: {exc}") from exc

    def get(self, key: str) -> bytes:
        try:
            return bytes(self._client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"].read())
        except Exception as exc:  # noqa: BLE001
            raise ContentError(f"could not read {key} from bucket {self.bucket}: {exc}") from exc
