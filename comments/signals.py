"""Comments' hooks into the apps below them (stories must not import comments)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from comments.models import Tracking


@receiver(post_save, sender="stories.Story", dispatch_uid="comments.submitter_tracks_story")
def submitter_tracks_own_story(sender, instance, created, raw=False, **kwargs):
    """A story's submitter tracks its comments from the start, in the transaction that
    saves the story; they can stop like any other tracker."""
    if created and not raw and instance.submitter_id:
        Tracking.objects.bulk_create(
            [Tracking(member_id=instance.submitter_id, story=instance)], ignore_conflicts=True
        )
