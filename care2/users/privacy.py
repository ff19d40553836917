"""A member's own data: "download my data" and "delete my account".

Each app may have a ``privacy`` module with ``export(user) -> dict`` and
``erase(user) -> None``; they are found through the app registry, so this bottom layer
imports none of the apps above it.

Deleting an account keeps an anonymous tombstone row: the e-mail, names, password,
picture, sessions and inbox go; comments stay as "deleted member", signatures stay
counted but anonymous, credit entries stay for the ledger's sums, detached from the
person.
"""

import importlib
import uuid

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.apps import apps
from django.db import transaction
from django.utils import timezone

from care2.pagecache import pages_changed
from care2.users.models import User
from care2.users.services import audit_record


def _privacy_modules():
    for config in apps.get_app_configs():
        try:
            yield importlib.import_module(f"{config.name}.privacy")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.privacy":
                raise


def member_export(*, user: User) -> dict:
    """Everything the site holds about the member, as JSON-ready data."""
    data = {
        "profile": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "public_name": user.public_name,
            "bio": user.bio,
            "time_zone": user.time_zone,
            "date_joined": user.date_joined.isoformat(),
            "email_on_tracked_comments": user.email_on_tracked_comments,
            "email_on_petition_updates": user.email_on_petition_updates,
            "credits_balance": user.credits_balance,
            "credits_earned": user.credits_earned,
        },
        "email_addresses": list(
            EmailAddress.objects.filter(user=user).values("email", "verified", "primary")
        ),
        "messages": [
            {
                "subject": m.subject,
                "body": m.body,
                "url": m.url,
                "created_at": m.created_at.isoformat(),
                "read_at": m.read_at.isoformat() if m.read_at else None,
            }
            for m in user.messages_received.order_by("created_at")
        ],
    }
    for module in _privacy_modules():
        if hasattr(module, "export"):
            data.update(module.export(user))
    return data


@transaction.atomic
def member_delete(*, user: User) -> None:
    """Delete the member's account, keeping an anonymous tombstone (see module doc)."""
    for module in _privacy_modules():
        if hasattr(module, "erase"):
            module.erase(user)
    avatars = [f.name for f in (user.avatar, user.avatar_small) if f]
    EmailAddress.objects.filter(user=user).delete()
    SocialAccount.objects.filter(user=user).delete()
    user.messages_received.all().delete()
    user.email = f"deleted-{uuid.uuid4().hex}@deleted.invalid"
    # The public name becomes "deleted member" (no extra field to read on every page).
    user.first_name = "deleted member"
    user.last_name = ""
    user.bio = ""
    user.avatar = ""
    user.avatar_small = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.email_on_tracked_comments = False
    user.email_on_petition_updates = False
    user.deleted_at = timezone.now()
    user.set_unusable_password()
    # Only the fields changed here: the credit counters are kept by the ledger with F()
    # updates, and this instance may hold older values of them.
    user.save(
        update_fields=[
            "email",
            "first_name",
            "last_name",
            "bio",
            "avatar",
            "avatar_small",
            "is_active",
            "is_staff",
            "is_superuser",
            "email_on_tracked_comments",
            "email_on_petition_updates",
            "deleted_at",
            "password",
        ]
    )
    user.groups.clear()
    user.user_permissions.clear()
    audit_record(actor=None, action="member deleted their account", target=user)
    pages_changed()  # "deleted member" replaces the name on cached pages

    def remove_files():
        storage = User._meta.get_field("avatar").storage
        for name in avatars:
            storage.delete(name)

    transaction.on_commit(remove_files)
