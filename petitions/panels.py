"""What petitions shows on pages of the layers below it (care2.panels): on the story page
the "Start a petition" button and the petitions that grew from the story, on a member's
profile the petitions they started."""


def _story_start(context, story) -> dict:
    return {"story": story, "member_can_act": context.get("member_can_act")}


def _story_petitions(context, story) -> dict:
    from petitions.templatetags.petitions_tags import story_petitions

    return story_petitions(story)


def register() -> None:
    from care2 import demo, panels
    from petitions import demo as petitions_demo
    from petitions.templatetags import petitions_tags

    panels.register("story_actions", template="petitions/_story_cta.html", context=_story_start)
    panels.register(
        "story_page", template="petitions/_story_petitions.html", context=_story_petitions, order=10
    )
    panels.register(
        "member_profile",
        template="petitions/_member_petitions.html",
        context=petitions_tags.member_petitions,
        order=30,
    )
    demo.register("petitions", petitions_demo.load, order=40)
