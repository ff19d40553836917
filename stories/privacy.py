"""Stories' part of a member's data export and account deletion."""


def export(user) -> dict:
    return {
        "stories": [
            {
                "title": s.title,
                "url": s.url,
                "summary": s.summary,
                "category": s.category.name,
                "tags": [t.name for t in s.tags.all()],
                "status": s.status,
                "created_at": s.created_at.isoformat(),
            }
            for s in user.stories.select_related("category").prefetch_related("tags")
        ],
        "vets": [
            {"story": v.story.title, "created_at": v.created_at.isoformat()}
            for v in user.vets.select_related("story")
        ],
        "story_reports": [
            {
                "story": r.story.title,
                "reason": r.reason,
                "note": r.note,
                "created_at": r.created_at.isoformat(),
            }
            for r in user.story_reports.select_related("story")
        ],
    }


def erase(user) -> None:
    """Stories, vets and counts stay (others' threads hang on them); the notes members
    typed into reports are personal and go."""
    user.story_reports.update(note="")
