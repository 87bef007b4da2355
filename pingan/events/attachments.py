"""Photos and files of events: checked by content (not by name), stored, thumbnailed."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader

from pingan.events.models import Attachment, Event, EventLog

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}
THUMBNAIL_SIZE = (320, 320)
# The largest photo taken in: 64 megapixels, above any phone camera's (a 20000×20000 header is
# 400). Pillow refuses to decode past twice its MAX_IMAGE_PIXELS on its own; set it to ours.
MAX_PIXELS = 64_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def _max_bytes() -> int:
    return int(float(settings.PINGAN_UPLOAD_MAX_MB) * 1024 * 1024)


def inspect(upload) -> tuple[str, str]:
    """Return (content type, extension) of an upload; raise ValidationError naming the file."""
    name = getattr(upload, "name", "") or _("file")
    if upload.size > _max_bytes():
        raise ValidationError(
            _("“%(name)s” is larger than %(mb)s MB.")
            % {"name": name, "mb": f"{settings.PINGAN_UPLOAD_MAX_MB:g}"},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        if not _is_pdf(upload):
            raise _not_a_photo(name)
        return "application/pdf", "pdf"
    try:
        # A header may claim 20000×20000 pixels (a decompression bomb): Pillow warns past
        # MAX_IMAGE_PIXELS and raises past twice that; both are refused here, before decoding.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                kind = image.format
                width, height = image.size
                image.verify()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:
        raise _not_a_photo(name) from exc
    finally:
        upload.seek(0)
    if kind not in IMAGE_TYPES or width * height > MAX_PIXELS:
        raise _not_a_photo(name)
    content_type = IMAGE_TYPES[kind]
    return content_type, EXTENSIONS[content_type]


def _not_a_photo(name: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” is not a photo (JPEG, PNG, WebP, GIF) or a PDF.") % {"name": name},
        code="bad_type",
    )


def _is_pdf(upload) -> bool:
    """Return whether ``upload`` parses as a PDF with at least one page (not just its header)."""
    upload.seek(0)
    try:
        return len(PdfReader(upload, strict=False).pages) > 0
    except Exception:  # noqa: BLE001 - a hostile file may break the parser in any way
        return False
    finally:
        upload.seek(0)


def validate_uploads(files: Iterable, field: str = "photos") -> list:
    """Check every upload; raise one ValidationError on ``field`` listing each bad file."""
    files = [f for f in files or [] if f]
    errors = []
    if len(files) > settings.PINGAN_UPLOAD_MAX_FILES:
        errors.append(_("At most %(n)d files at a time.") % {"n": settings.PINGAN_UPLOAD_MAX_FILES})
    for upload in files:
        try:
            inspect(upload)
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({field: errors})
    return files


def _thumbnail(upload) -> bytes | None:
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=80)
            return out.getvalue()
    except (OSError, ValueError):
        return None
    finally:
        upload.seek(0)


def store(
    event: Event, files: Iterable, *, stage: str, user=None, log: EventLog | None = None
) -> list[Attachment]:
    """Save already validated uploads of ``event`` through Django storage, with thumbnails."""
    saved = []
    for upload in files:
        content_type, ext = inspect(upload)
        attachment = Attachment(
            event=event,
            log=log,
            stage=stage,
            original_name=(getattr(upload, "name", "") or "")[:200],
            content_type=content_type,
            size=upload.size,
            uploaded_by=user if getattr(user, "pk", None) else None,
        )
        upload.seek(0)
        attachment.file.save(f"upload.{ext}", ContentFile(upload.read()), save=False)
        if content_type.startswith("image/"):
            thumb = _thumbnail(upload)
            if thumb:
                attachment.thumbnail.save("thumb.jpg", ContentFile(thumb), save=False)
        attachment.save()
        saved.append(attachment)
    return saved
