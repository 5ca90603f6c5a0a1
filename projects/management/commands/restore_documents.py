"""manage.py restore_documents FILE: put back the files of a backup_documents archive through
`default_storage`, each under its own name, after the database was restored (loaddata or pg_restore).
Every file is checked against the manifest's SHA-256 before it is written; a file already in storage
with the same content is left alone."""

import hashlib
import json
import tarfile

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from .backup_documents import MANIFEST


def _safe(name: str) -> bool:
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and ".." not in parts and "\\" not in name


class Command(BaseCommand):
    help = "Restore the documents' files of a backup_documents archive through default_storage."

    def add_arguments(self, parser):
        parser.add_argument("archive", help="the .tar.gz file that backup_documents wrote")

    def handle(self, *args, archive, **options):
        written = kept = 0
        with tarfile.open(archive, "r:gz") as source:
            try:
                manifest = json.load(source.extractfile(MANIFEST))
            except KeyError as missing:
                raise CommandError(
                    f"{archive} has no {MANIFEST}: not a backup_documents archive"
                ) from missing
            for entry in manifest:
                name = entry["name"]
                if not _safe(name):
                    raise CommandError(f"unsafe name in the archive: {name!r}")
                member = source.extractfile(f"files/{name}")
                data = member.read() if member is not None else b""
                if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                    raise CommandError(f"{name}: content differs from the manifest's SHA-256")
                if default_storage.exists(name):
                    with default_storage.open(name, "rb") as current:
                        if hashlib.sha256(current.read()).hexdigest() == entry["sha256"]:
                            kept += 1
                            continue
                    default_storage.delete(name)
                saved = default_storage.save(name, ContentFile(data))
                if saved != name:
                    raise CommandError(f"{name} was stored as {saved}")
                written += 1
        self.stdout.write(f"{written} files restored, {kept} already in place")
