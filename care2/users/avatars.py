"""Member avatars: a square crop at two sizes, re-encoded (EXIF stripped)."""

from django.conf import settings
from django.db import transaction
from PIL import Image, ImageOps

from care2.images import encode_jpeg, open_checked
from care2.users.models import User

LARGE = 256
SMALL = 64


def avatar_set(*, user: User, upload) -> User:
    """Check and store a new avatar; raises care2.images.ImageRejected with the reason."""
    # Avatars are shown at 256 px at most: AVATAR_MAX_PIXELS (16 megapixels by default) is
    # well under the petition images' limit, and the decode is scaled down to what is used.
    image = open_checked(
        upload,
        max_bytes=settings.AVATAR_MAX_BYTES,
        max_pixels=settings.AVATAR_MAX_PIXELS,
        needed=(LARGE, LARGE),
    )
    large = ImageOps.fit(image, (LARGE, LARGE), Image.Resampling.LANCZOS)
    small = ImageOps.fit(image, (SMALL, SMALL), Image.Resampling.LANCZOS)
    old = [f.name for f in (user.avatar, user.avatar_small) if f]
    with transaction.atomic():
        user.avatar.save(f"{user.pk}-{LARGE}.jpg", encode_jpeg(large, "a.jpg"), save=False)
        user.avatar_small.save(f"{user.pk}-{SMALL}.jpg", encode_jpeg(small, "a.jpg"), save=False)
        user.save(update_fields=["avatar", "avatar_small"])
        transaction.on_commit(
            lambda: _delete_files(old, keep={user.avatar.name, user.avatar_small.name})
        )
    return user


def avatar_remove(*, user: User) -> User:
    old = [f.name for f in (user.avatar, user.avatar_small) if f]
    with transaction.atomic():
        user.avatar = ""
        user.avatar_small = ""
        user.save(update_fields=["avatar", "avatar_small"])
        transaction.on_commit(lambda: _delete_files(old, keep=set()))
    return user


def _delete_files(names, *, keep):
    storage = User._meta.get_field("avatar").storage
    for name in names:
        if name not in keep:
            storage.delete(name)
