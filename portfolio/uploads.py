"""An uploaded file kept between its preview and its confirmation (the batch imports' two steps).

It is kept in the site's storage (STORAGES["default"]: MEDIA_ROOT, or a bucket), never on one host's disk,
so that the confirmation may reach another app host than the preview did, and a background job on a worker
host may read it."""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files import File
from django.core.files.storage import default_storage

FOLDER = "imports"


class PendingUpload:
    """One kind of pending upload, under a session key of its own, so that a preview on one import page
    never replaces the file waiting on another. The file is stored as imports/<token>.xlsx, named by a
    random token that the confirming form must send back."""

    def __init__(self, key: str):
        self.key = key

    @staticmethod
    def name_of(token: str) -> str:
        return f"{FOLDER}/{token}.xlsx"

    def keep(self, request, upload, *, rows: int = 0) -> str:
        """Store `upload` for this user's session; the token for the confirming form. `rows`, the rows the
        preview found, lets the confirmation decide whether the work goes to a background job."""
        token = secrets.token_urlsafe(16)
        upload.seek(0)
        default_storage.save(self.name_of(token), File(upload))
        request.session[self.key] = token
        request.session[f"{self.key}_rows"] = rows
        return token

    def rows(self, request) -> int:
        """How many rows the preview of the kept file found."""
        return int(request.session.get(f"{self.key}_rows") or 0)

    def _token(self, request) -> str | None:
        token = request.session.get(self.key)
        return token if token and token == request.POST.get("token") else None

    @contextmanager
    def confirmed(self, request) -> Iterator[File | None]:
        """The kept file of the token the form posted, opened (None when it is gone or not this session's);
        it is removed once the confirmation is done, whatever its outcome."""
        token = self._token(request)
        name = self.name_of(token) if token else None
        if name is None or not default_storage.exists(name):
            yield None
            return
        try:
            with default_storage.open(name, "rb") as handle:
                upload = File(handle, name=name.rsplit("/", 1)[-1])
                upload.size = default_storage.size(name)
                yield upload
        finally:
            default_storage.delete(name)
            self._forget(request)

    def hand_over(self, request) -> str | None:
        """The kept file's name in storage, taken from the session for a background job, which reads it and
        removes it when done (None when it is gone or not this session's)."""
        token = self._token(request)
        name = self.name_of(token) if token else None
        if name is None or not default_storage.exists(name):
            return None
        self._forget(request)
        return name

    def _forget(self, request) -> None:
        request.session.pop(self.key, None)
        request.session.pop(f"{self.key}_rows", None)
