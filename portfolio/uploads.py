"""An uploaded file kept between its preview and its confirmation (the batch imports' two steps)."""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files import File


class PendingUpload:
    """One kind of pending upload, under a session key of its own, so that a preview on one import page
    never replaces the file waiting on another. The file lies under IMPORT_DIR, named by a random token
    that the confirming form must send back."""

    def __init__(self, key: str):
        self.key = key

    @staticmethod
    def _directory() -> Path:
        directory = Path(settings.IMPORT_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def keep(self, request, upload) -> str:
        """Store `upload` for this user's session; the token for the confirming form."""
        token = secrets.token_urlsafe(16)
        upload.seek(0)
        with (self._directory() / f"{token}.xlsx").open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        request.session[self.key] = token
        return token

    @contextmanager
    def confirmed(self, request) -> Iterator[File | None]:
        """The kept file of the token the form posted, opened (None when it is gone or not this session's);
        it is removed once the confirmation is done, whatever its outcome."""
        token = request.session.get(self.key)
        path = self._directory() / f"{token}.xlsx" if token and token == request.POST.get("token") else None
        if path is None or not path.exists():
            yield None
            return
        try:
            with path.open("rb") as handle:
                upload = File(handle, name=path.name)
                upload.size = path.stat().st_size
                yield upload
        finally:
            path.unlink(missing_ok=True)
            request.session.pop(self.key, None)
