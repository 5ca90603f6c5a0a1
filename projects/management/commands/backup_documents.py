"""manage.py backup_documents FILE: every document's stored file, read through `default_storage` (the
filesystem or an S3-compatible bucket alike), into one .tar.gz with a manifest of names, sizes and
SHA-256; together with the database dump (README, "What to back up") it restores the library whole."""

import hashlib
import io
import json
import tarfile

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from projects.models import Document

MANIFEST = "manifest.json"


class Command(BaseCommand):
    help = "Back up the documents' files (through default_storage) into a .tar.gz archive."

    def add_arguments(self, parser):
        parser.add_argument("archive", help="the .tar.gz file to write")

    def handle(self, *args, archive, **options):
        manifest, missing = [], []
        with tarfile.open(archive, "w:gz") as out:
            for document in Document.objects.order_by("pk").iterator():
                name = document.file.name
                try:
                    handle = default_storage.open(name, "rb")
                except OSError:
                    missing.append(name)
                    continue
                with handle:
                    data = handle.read()
                digest = hashlib.sha256(data).hexdigest()
                if digest != document.sha256:
                    self.stderr.write(f"{name}: SHA-256 differs from the record ({document.pk})")
                member = tarfile.TarInfo(f"files/{name}")
                member.size = len(data)
                out.addfile(member, io.BytesIO(data))
                manifest.append({"id": document.pk, "name": name, "size": len(data), "sha256": digest})
            body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(body)
            out.addfile(info, io.BytesIO(body))
        self.stdout.write(f"{len(manifest)} files written to {archive}")
        if missing:
            raise CommandError(f"{len(missing)} files missing from storage: {', '.join(missing[:10])}")
