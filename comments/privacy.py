"""Comments' part of a member's data export and account deletion."""


def export(user) -> dict:
    return {
        "comments": [
            {
                "story": c.story.title,
                "body": c.body,
                "status": c.status,
                "created_at": c.created_at.isoformat(),
                "edited_at": c.edited_at.isoformat() if c.edited_at else None,
            }
            for c in user.comments.select_related("story").order_by("created_at")
        ],
        "tracked_stories": [t.story.title for t in user.comment_trackings.select_related("story")],
    }


def erase(user) -> None:
    """Comments stay, shown as by "deleted member" (the tombstone's public name);
    tracking stops."""
    user.comment_trackings.all().delete()
