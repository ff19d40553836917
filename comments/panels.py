"""What comments shows on pages of the layers below it (care2.panels): the story page's
thread, a member's comments on their profile, the stories they track in their settings."""


def register() -> None:
    from care2 import demo, panels
    from comments import demo as comments_demo
    from comments import fragments
    from comments.templatetags import comments_tags
    from credits.demo import register_awards

    panels.register(
        "story_page",
        template="comments/_thread.html",
        context=comments_tags.story_comments,
        order=20,
    )
    # A vet that promotes the story opens its comments on the page it came from.
    panels.register(
        "story_opened", template="comments/_thread.html", context=comments_tags.story_comments
    )
    panels.register(
        "member_profile",
        template="comments/_member_comments.html",
        context=comments_tags.member_comments,
        order=20,
    )
    panels.register(
        "member_settings",
        template="comments/_tracked_stories.html",
        context=comments_tags.tracked_stories,
    )
    # The thread's slots in a member's shared story page (care2.pagecache).
    fragments.register_story_part()
    demo.register("comments", comments_demo.load, order=20)
    register_awards("comments", comments_demo.credit_awards, order=20)
