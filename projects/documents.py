"""What a document's file is, decided from its content (magic bytes and structure), never from its name;
and the name the user's browser sent, as it was sent.

Accepted: PDF, OFD (a zip with OFD.xml), JPEG, PNG, DOCX and XLSX (zips with [Content_Types].xml and
word/document.xml, resp. xl/workbook.xml), up to DOCUMENT_MAX_BYTES. A zip is judged from its central
directory (the sizes it declares, the number of members, the encryption flag) before any member is read,
and only the small [Content_Types].xml is ever decompressed, in memory, with a bound: nothing is extracted.

Django's multipart parser strips any path from a file's name before the view sees it (`../x.pdf` arrives
as `x.pdf`); RawNameMultiPartParser keeps the names as sent, so that such a name can be refused."""

import io
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.http.multipartparser import MultiPartParser
from django.utils.translation import gettext as _

from .models.preparation import DOCUMENT_MAX_BYTES

# A zip's limits, read from its central directory before anything is decompressed.
ZIP_MAX_MEMBERS = 2000
ZIP_MAX_TOTAL_BYTES = 200 * 1024 * 1024  # declared uncompressed, all members together
ZIP_MAX_RATIO = 100  # declared uncompressed / compressed, for a member above ZIP_RATIO_FLOOR
ZIP_RATIO_FLOOR = 1024 * 1024
CONTENT_TYPES_MAX_BYTES = 1024 * 1024
NAME_MAX_LENGTH = 200

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class FileType:
    code: str
    extension: str
    content_type: str
    label: str
    # The extensions a user's file of this type may carry (another known one is a mismatch).
    names: tuple[str, ...]


PDF = FileType("pdf", ".pdf", "application/pdf", "PDF", (".pdf",))
OFD = FileType("ofd", ".ofd", "application/ofd", "OFD", (".ofd",))
JPEG = FileType("jpeg", ".jpg", "image/jpeg", "JPEG", (".jpg", ".jpeg", ".jpe"))
PNG = FileType("png", ".png", "image/png", "PNG", (".png",))
DOCX = FileType(
    "docx",
    ".docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "DOCX",
    (".docx",),
)
XLSX = FileType(
    "xlsx",
    ".xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "XLSX",
    (".xlsx",),
)
FILE_TYPES = (PDF, OFD, JPEG, PNG, DOCX, XLSX)
KNOWN_EXTENSIONS = {ext: kind for kind in FILE_TYPES for ext in kind.names}


def _refuse(message: str):
    raise ValidationError({"file": message}, code="invalid")


def accepted_types_text() -> str:
    return _("仅接收 PDF、OFD、JPEG、PNG、DOCX、XLSX 文件，类型按文件内容判断，与扩展名无关。")


def name_refusal(name: str | None) -> str | None:
    """Why a file's name as sent is refused: a path in it, control characters, too long; None when fine."""
    if name is None or not name.strip():
        return _("文件缺少文件名。")
    if "/" in name or "\\" in name or name.strip() in {".", ".."} or (len(name) > 1 and name[1] == ":"):
        return _("文件名“%(name)s”含有路径，请只上传文件本身。") % {"name": name}
    if any(not char.isprintable() for char in name):
        return _("文件名含有不可见的控制字符，请重命名后再上传。")
    if len(name) > NAME_MAX_LENGTH:
        return _("文件名超过 %(n)d 个字符，请重命名后再上传。") % {"n": NAME_MAX_LENGTH}
    return None


def _head(upload, length: int = 8192) -> bytes:
    upload.seek(0)
    head = upload.read(length)
    upload.seek(0)
    return head


def _tail(upload, size: int, length: int = 2048) -> bytes:
    upload.seek(max(0, size - length))
    tail = upload.read(length)
    upload.seek(0)
    return tail


def _size_of(upload) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
        upload.seek(0)
    return size


def detect(upload, *, name: str) -> FileType:
    """The type of `upload` (a file object: an UploadedFile), from its content; a ValidationError on
    `file` with the reason otherwise. `name` is the name as sent: refused with a path in it, and when its
    extension names another accepted type than the content is (a .pdf holding anything but a PDF)."""
    refusal = name_refusal(name)
    if refusal:
        _refuse(refusal)
    size = _size_of(upload)
    if size == 0:
        _refuse(_("文件为空（0 字节），未保存。"))
    if size > DOCUMENT_MAX_BYTES:
        _refuse(
            _("文件大小 %(size).1f MB，超过 %(limit)d MB 的上限。")
            % {"size": size / (1024 * 1024), "limit": DOCUMENT_MAX_BYTES // (1024 * 1024)}
        )
    head = _head(upload)
    kind = _sniff(upload, head, size)
    claimed = KNOWN_EXTENSIONS.get(_extension(name))
    if claimed is not None and claimed != kind:
        _refuse(
            _("文件名为 %(ext)s，但内容是 %(kind)s：请核对文件后再上传。")
            % {"ext": _extension(name), "kind": kind.label}
        )
    return kind


def _extension(name: str) -> str:
    base = name.rsplit(".", 1)
    return f".{base[1].lower()}" if len(base) == 2 else ""


def _sniff(upload, head: bytes, size: int) -> FileType:
    if head.startswith(b"%PDF-"):
        if b"%%EOF" not in _tail(upload, size):
            _refuse(_("PDF 文件不完整（缺少文件结尾），可能已损坏。"))
        return PDF
    if head.startswith(PNG_MAGIC):
        return _image(upload, PNG, "PNG") if head[12:16] == b"IHDR" else _refuse(_("PNG 图片已损坏。"))
    if head.startswith(b"\xff\xd8\xff"):
        return _image(upload, JPEG, "JPEG")
    if head.startswith(b"PK\x03\x04"):
        return _zip(upload, size)
    if head.startswith(OLE_MAGIC):
        _refuse(
            _(
                "这是加密的 Office 文件或旧版 Office 格式（.doc/.xls），不予接收："
                "请另存为未加密的 DOCX、XLSX 或 PDF 后再上传。"
            )
        )
    if head.startswith(b"MZ") or head.startswith(b"\x7fELF") or head[:4] in _MACHO:
        _refuse(_("可执行程序不予接收。"))
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in text:
        _refuse(_("SVG 图片可含脚本，不予接收：请转换为 PNG 或 JPEG 后再上传。"))
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")) or b"<html" in text:
        _refuse(_("HTML 网页不予接收。") + accepted_types_text())
    _refuse(_("无法识别的文件类型。") + accepted_types_text())


# Mach-O and universal binaries.
_MACHO = {
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
}


def _image(upload, kind: FileType, pillow_format: str) -> FileType:
    """A real image of `kind`: Pillow reads its header and checks its structure (within its pixel limit,
    which refuses decompression bombs); without Pillow the magic bytes decide."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a dependency
        return kind
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            if image.format != pillow_format:
                raise ValueError(image.format)
            image.verify()
    except Exception:
        _refuse(_("%(kind)s 图片已损坏或不完整。") % {"kind": kind.label})
    finally:
        upload.seek(0)
    return kind


def _zip(upload, size: int) -> FileType:
    """OFD, DOCX or XLSX, judged from the central directory first (encryption, members, declared sizes),
    then from the bounded [Content_Types].xml; never extracted."""
    broken = _("压缩文件已损坏，无法读取。")
    try:
        upload.seek(0)
        archive = zipfile.ZipFile(upload)
        members = archive.infolist()
    except Exception:
        upload.seek(0)
        _refuse(broken)
    try:
        if len(members) > ZIP_MAX_MEMBERS:
            _refuse(_("压缩文件含 %(n)d 个成员，超过上限，不予接收。") % {"n": len(members)})
        if any(member.flag_bits & 0x1 for member in members):
            _refuse(_("文件已加密，不予接收：请上传未加密的文件。"))
        total = sum(member.file_size for member in members)
        bomb = total > ZIP_MAX_TOTAL_BYTES or any(
            member.file_size > ZIP_RATIO_FLOOR
            and member.file_size > ZIP_MAX_RATIO * max(member.compress_size, 1)
            for member in members
        )
        if bomb:
            _refuse(_("压缩文件解压后异常巨大（疑似“压缩炸弹”），不予接收。"))
        names = {member.filename for member in members}
        if "OFD.xml" in names:
            return OFD
        if "[Content_Types].xml" in names:
            types = _bounded_read(archive, "[Content_Types].xml")
            if "word/document.xml" in names and b"wordprocessingml.document.main+xml" in types:
                return DOCX
            if "xl/workbook.xml" in names and b"spreadsheetml.sheet.main+xml" in types:
                return XLSX
            _refuse(_("Office 文件的类型不受支持（只接收 DOCX、XLSX，不接收含宏的文件）。"))
        _refuse(_("压缩包不予接收。") + accepted_types_text())
    except ValidationError:
        raise
    except Exception:
        _refuse(broken)
    finally:
        upload.seek(0)


def _bounded_read(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > CONTENT_TYPES_MAX_BYTES:
        _refuse(_("压缩文件已损坏，无法读取。"))
    with archive.open(info) as member:
        data = member.read(CONTENT_TYPES_MAX_BYTES + 1)
    if len(data) > CONTENT_TYPES_MAX_BYTES:
        _refuse(_("压缩文件已损坏，无法读取。"))
    return data


# -- the name as sent ----------------------------------------------------------------------------------


class RawNameMultiPartParser(MultiPartParser):
    """Django's multipart parser, which also keeps each file's name as the browser sent it, before its
    path is stripped (in `raw_file_names`, in the order of the parts)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.raw_file_names: list[str] = []

    def sanitize_file_name(self, file_name):
        self.raw_file_names.append(file_name)
        return super().sanitize_file_name(file_name)


def parse_keeping_names(request) -> None:
    """Parse a page's multipart POST with RawNameMultiPartParser, before anything reads request.POST;
    the names as sent are then `request.raw_file_names`."""
    request.raw_file_names = []
    if request.method != "POST" or request.content_type != "multipart/form-data":
        return

    def parse_file_upload(meta, post_data):
        parser = RawNameMultiPartParser(meta, post_data, request.upload_handlers, request.encoding)
        try:
            return parser.parse()
        finally:
            request.raw_file_names = parser.raw_file_names

    request.parse_file_upload = parse_file_upload
    request.POST  # noqa: B018 - parse now, with the parser above


def path_refusal(raw_file_names: list[str]) -> str | None:
    """Why the names as sent are refused (a path in one of them, …); None when every one is fine."""
    for name in raw_file_names:
        refusal = name_refusal(name)
        if refusal:
            return refusal
    return None


def sent_name(raw_file_names: list[str], upload) -> str | None:
    """The name the browser sent for the one uploaded file: a name with a path in it among the names as
    sent wins (even one that Django dropped entirely, as `..`); else the upload's own name."""
    for name in raw_file_names:
        if name_refusal(name):
            return name
    if raw_file_names:
        return raw_file_names[0]
    return getattr(upload, "name", None)


def attachment_response(handle, document) -> FileResponse:
    """A document's stored file as an attachment under its original name (RFC 5987 for Chinese names),
    streamed, with its stored type, never sniffed, never kept by a shared cache."""
    response = FileResponse(
        handle, as_attachment=True, filename=document.original_name, content_type=document.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
