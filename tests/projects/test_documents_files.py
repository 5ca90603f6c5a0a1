"""Small real files of each kind the documents accept, and of the kinds they refuse, built in the tests."""

import io
import zipfile

from openpyxl import Workbook
from PIL import Image

DOCX_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/'
    b'document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.'
    b'main+xml"/></Types>'
)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 200, 30)).save(out, format="JPEG")
    return out.getvalue()


def pdf() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (255, 255, 255)).save(out, format="PDF")
    return out.getvalue()


def docx(*, document: bytes = b"<w:document/>", types: bytes = DOCX_TYPES) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", b"<Relationships/>")
        archive.writestr("word/document.xml", document)
    return out.getvalue()


def xlsx() -> bytes:
    out = io.BytesIO()
    book = Workbook()
    book.active["A1"] = "项目"
    book.save(out)
    return out.getvalue()


def ofd() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OFD.xml", b'<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0"/>')
        archive.writestr("Doc_0/Document.xml", b"<ofd:Document/>")
    return out.getvalue()


def zip_bomb() -> bytes:
    """A DOCX whose document.xml declares 60 MB that deflate packed into some 60 KB."""
    return docx(document=b"\0" * (60 * 1024 * 1024))


def encrypted_zip() -> bytes:
    """A DOCX whose members carry the encryption flag (bit 0x1) in their local and central headers, as a
    password-protected zip does (zipfile cannot write one: the flag is set in the bytes afterwards)."""
    data = bytearray(docx())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            data[start + offset] |= 0x1
            start = data.find(signature, start + 4)
    return bytes(data)


def encrypted_ooxml() -> bytes:
    """What Office writes for a password-protected DOCX: an OLE compound file."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024


GOOD = {
    "pdf": ("批复.pdf", pdf, "application/pdf", ".pdf"),
    "png": ("现场.png", png, "image/png", ".png"),
    "jpeg": ("现场.jpg", jpeg, "image/jpeg", ".jpg"),
    "docx": (
        "合同.docx",
        docx,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".docx",
    ),
    "xlsx": ("资金.xlsx", xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "ofd": ("批复.ofd", ofd, "application/ofd", ".ofd"),
}

BAD = {
    # name, content, a phrase of the message
    "renamed_to_pdf": ("批复.pdf", lambda: b"This is plain text, not a PDF at all.\n", "无法识别"),
    "png_renamed_to_pdf": ("批复.pdf", png, "内容是 PNG"),
    "html": (
        "page.html",
        lambda: b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        "HTML",
    ),
    "html_as_pdf": ("x.pdf", lambda: b"  <html><script>alert(document.cookie)</script></html>", "HTML"),
    "svg_with_script": (
        "logo.svg",
        lambda: (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
        ),
        "SVG",
    ),
    "svg_plain": ("logo.png", lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "SVG"),
    "exe": ("setup.pdf", lambda: b"MZ\x90\x00" + b"\0" * 200, "可执行"),
    "elf": ("tool", lambda: b"\x7fELF\x02\x01\x01" + b"\0" * 200, "可执行"),
    "empty": ("空.pdf", lambda: b"", "空"),
    "zip_bomb": ("合同.docx", zip_bomb, "压缩炸弹"),
    "encrypted_zip": ("合同.docx", encrypted_zip, "加密"),
    "encrypted_ooxml": ("合同.docx", encrypted_ooxml, "加密"),
    "broken_zip": ("合同.docx", lambda: b"PK\x03\x04" + b"\x01" * 300, "损坏"),
    "zip_not_office": ("a.docx", lambda: _plain_zip(), "压缩包"),
    "docm": (
        "宏.docx",
        lambda: docx(types=DOCX_TYPES.replace(b"document.main+xml", b"document.macroEnabled.main+xml")),
        "宏",
    ),
    "truncated_pdf": ("批复.pdf", lambda: b"%PDF-1.7\n1 0 obj <<>> endobj\n", "不完整"),
    "broken_png": ("a.png", lambda: png()[:40], "损坏"),
}


def _plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", b"hello")
    return out.getvalue()


def multipart(
    fields: dict, *, file_name: str, content: bytes, boundary: str = "BoUnDaRy1234"
) -> tuple[bytes, str]:
    """A multipart body written by hand, with the file's name exactly as given (a test client would cut
    the path off it)."""
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        f"Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
