from allauth.account.signals import user_logged_in as allauth_user_logged_in
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from care2.users import devices
from care2.users.middleware import SUSPENSION_ACK, suspension_token


@receiver(user_logged_in)
def remember_suspension_at_login(sender, request, user, **kwargs):
    """A session opened while suspended may read: the middleware will not end it."""
    if request is not None and hasattr(request, "session"):
        request.session[SUSPENSION_ACK] = suspension_token(user)


@receiver(allauth_user_logged_in)
def remember_device_at_login(sender, request, user, response=None, **kwargs):
    """The browser a member signs in from keeps their password working when strangers
    have paused password sign-in for the account (care2.users.devices)."""
    devices.remember(request, response, user)


def _forget_facts(sender, instance, **kwargs):
    """A change to one of the facts kept per member (care2.users.facts): forget them."""
    from care2.users.facts import facts_changed

    facts_changed(getattr(instance, "recipient_id", None) or getattr(instance, "user_id", None))


def _forget_member_facts(sender, instance, **kwargs):
    from care2.users.facts import facts_changed

    facts_changed(instance.pk)


def _forget_facts_on_permissions(sender, instance, action, pk_set=None, **kwargs):
    """Groups or permissions changed: the members concerned read their facts afresh."""
    from django.contrib.auth.models import Group

    from care2.users.facts import facts_changed, facts_changed_for
    from care2.users.models import User

    if not action.startswith(("post_", "pre_clear")):
        return
    if isinstance(instance, User):
        facts_changed(instance.pk)
    elif sender is User.groups.through and pk_set:  # members added to or removed from a group
        facts_changed(*pk_set)
    elif isinstance(instance, Group):  # the group's permissions, or a clear of its members
        facts_changed_for(User.objects.filter(groups=instance).only("pk"))
    elif sender is User.user_permissions.through and pk_set:
        facts_changed(*pk_set)


def connect_facts() -> None:
    from allauth.account.models import EmailAddress
    from django.contrib.auth.models import Group
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from care2.users.models import Message, User

    for model in (Message, EmailAddress):
        post_save.connect(_forget_facts, sender=model, dispatch_uid=f"facts-{model.__name__}")
        post_delete.connect(_forget_facts, sender=model, dispatch_uid=f"facts-d-{model.__name__}")
    post_save.connect(_forget_member_facts, sender=User, dispatch_uid="facts-user")
    post_delete.connect(_forget_member_facts, sender=User, dispatch_uid="facts-d-user")
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(
            _forget_facts_on_permissions, sender=through, dispatch_uid=f"facts-{through.__name__}"
        )
