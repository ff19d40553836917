from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import DateTimeField
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_POST
from taggit.models import Tag

from care2 import pagecache
from care2.pagecache import cached_for_readers
from care2.redirects import redirect_next, safe_next
from care2.users import facts
from care2.users.context_processors import header_values
from care2.users.decorators import member_can_act
from stories import selectors, services
from stories.forms import ReportForm, StoryForm
from stories.models import Category, SavedStory, Story, StoryVisit, Vet


def _page(request, queryset, per_page=None):
    paginator = Paginator(queryset, per_page or settings.STORIES_PER_PAGE)
    return paginator.get_page(request.GET.get("page"))


def _listing(
    request,
    *,
    queryset,
    title,
    template="stories/story_list.html",
    vet_controls=False,
    **context,
):
    """A page of story cards. With ``vet_controls`` each card has its Note it button
    (or says the member noted it, or links readers to sign in)."""
    page = _page(request, queryset.for_listing())
    stories = list(page.object_list)
    if vet_controls and request.user.is_authenticated and stories:
        # One query for the member's vets among the page's stories, not one per card.
        vetted = set(
            Vet.objects.filter(
                member=request.user, story__in=[story.pk for story in stories]
            ).values_list("story_id", flat=True)
        )
        for story in stories:
            story.has_vetted = story.pk in vetted
    return render(
        request,
        template,
        {
            "page_obj": page,
            "stories": stories,
            "title": title,
            "vet_controls": vet_controls,
            **context,
        },
    )


@cached_for_readers
def front_page(request):
    """The front page: published stories, newest first. A member's is shared by every
    member of the same shape, their header and tokens filled in (care2.pagecache)."""

    def page(**context):
        return _listing(
            request,
            queryset=Story.objects.published().order_by("-published_at", "-pk"),
            title="Top stories",
            section="front",
            feeds=(reverse("stories:feed_rss"), reverse("stories:feed_atom")),
            **context,
        )

    if request.user.is_authenticated and pagecache.member_cacheable(request):
        return pagecache.member_page(
            request,
            name="front",
            shape=_member_shape(request),
            render=lambda: page(**pagecache.slot_context()),
            personalize=lambda compiled: header_values(request),
        )
    return page()


@cached_for_readers
def newly_submitted(request):
    """The vetting queue: stories waiting for enough members to note them."""
    return _listing(
        request,
        queryset=Story.objects.newly_submitted().order_by("-created_at", "-pk"),
        title="Newly submitted",
        section="new",
        vet_controls=True,
        feeds=(reverse("stories:feed_new_rss"), reverse("stories:feed_new_atom")),
    )


@cached_for_readers
def category_detail(request, slug):
    """Published stories of one category."""
    category = get_object_or_404(Category, slug=slug)
    return _listing(
        request,
        queryset=Story.objects.published()
        .filter(category=category)
        .order_by("-published_at", "-pk"),
        title=category.name,
        category=category,
        section="category",
        feeds=(
            reverse("stories:feed_category_rss", args=[slug]),
            reverse("stories:feed_category_atom", args=[slug]),
        ),
    )


@cached_for_readers
def tag_detail(request, slug):
    """Published and newly submitted stories with one tag."""
    tag = get_object_or_404(Tag, slug=slug)
    return _listing(
        request,
        queryset=Story.objects.visible().filter(tags=tag).order_by("-created_at", "-pk"),
        title=f"Tagged “{tag.name}”",
        tag=tag,
        section="tag",
        feeds=(
            reverse("stories:feed_tag_rss", args=[slug]),
            reverse("stories:feed_tag_atom", args=[slug]),
        ),
    )


def _get_story(pk):
    return get_object_or_404(Story.objects.select_related("category", "submitter"), pk=pk)


# Made once: a field is several microseconds to build, on every member's story page.
_LAST_SEEN_FIELD = DateTimeField()


def _member_expressions(user) -> dict:
    """The member's own state on a story page, as subqueries: whether they noted and
    saved it, their previous visit, and what the page's parts from upper apps add (such
    as whether they track its comments)."""
    sql = "EXISTS (SELECT 1 FROM {t} WHERE {s} AND {m})"
    expressions = {
        "has_vetted": selectors.of_member(sql, Vet, user),
        "is_saved": selectors.of_member(sql, SavedStory, user),
        "last_seen_at": selectors.of_member(
            "(SELECT last_seen_at FROM {t} WHERE {s} AND {m})",
            StoryVisit,
            user,
            output_field=_LAST_SEEN_FIELD,
        ),
    }
    for part in pagecache.PARTS.get("story", ()):
        if part.annotate:
            expressions.update(part.annotate(user))
    return expressions


def _story_for(user, pk):
    """The story, with the member's own state in the same query."""
    stories = Story.objects.select_related("category", "submitter")
    if user.is_authenticated:
        stories = stories.annotate(**_member_expressions(user))
    return get_object_or_404(stories, pk=pk)


def _story_page_story(request, pk):
    """The story page's story: for a member, the row this process keeps under the page
    generation and their own state in one statement (no ORM query is built for either);
    for a reader (whose page mostly comes whole from the page cache), read."""
    user = request.user
    if not user.is_authenticated:
        return _story_for(user, pk)
    story = selectors.story_row(pk, pagecache.request_generation(request))
    for name, value in selectors.member_story_state(
        user, story.pk, _member_expressions(user)
    ).items():
        setattr(story, name, value)
    return story


@cached_for_readers
def story_detail(request, pk, slug):
    """The story page: everything the seed page shows about one story."""
    user = request.user
    story = _story_page_story(request, pk)
    if not story.is_visible_to(user):
        return render(request, "stories/story_gone.html", {"story": story}, status=404)
    if slug != story.slug:
        return redirect(story, permanent=True)
    last_visit = (
        services.story_visit(member=user, story=story, previous=story.last_seen_at)
        if user.is_authenticated
        else None
    )
    context = {
        "last_visit": last_visit,
        "is_saved": getattr(story, "is_saved", False),
        "story": story,
        # Read only when the page renders (a member's shared page is mostly not): even
        # unread, taggit's queryset costs a tenth of a cached page's time to build.
        "tags": SimpleLazyObject(lambda: list(story.tags.all())),
        "has_vetted": getattr(story, "has_vetted", False),
        "most_active": SimpleLazyObject(
            lambda: selectors.most_active_today(category=story.category, exclude=story)
        ),
        "promote_at": settings.STORY_PROMOTE_AT_VETS,
    }
    if user.is_authenticated and pagecache.member_cacheable(request):
        return _member_story_page(request, story, context)
    return render(request, "stories/story_detail.html", context)


def _member_shape(request) -> tuple:
    """What every member page's frame depends on: may they act (the menu's Start and
    Submit links), are they staff (the Admin link)."""
    facts.for_request(request)  # primes the member's permissions and verified e-mail
    user = request.user
    return (not user.is_suspended, user.is_staff)


def _member_story_page(request, story, context):
    """The story page as the member sees it: one shared rendering per shape (their frame,
    whether they noted, saved or submitted the story, and the thread part's own facts),
    their header, tokens, own links and new marks filled in (care2.pagecache)."""
    shape = (
        _member_shape(request),
        context["has_vetted"],
        context["is_saved"],
        story.submitter_id == request.user.pk,
    )
    return pagecache.member_page_with_parts(
        request,
        name="story",
        obj=story,
        shape=shape,
        render=lambda: render(
            request,
            "stories/story_detail.html",
            {**context, "last_visit": None, **pagecache.slot_context()},
        ),
        values=lambda: header_values(request),
        context=context,
    )


@cached_for_readers
def noted_by(request, pk, slug):
    """Everyone who noted the story. Loaded into the story page by script, or opened as
    a page of its own without JavaScript."""
    story = _get_story(pk)
    if not story.is_visible:
        return render(request, "stories/story_gone.html", {"story": story}, status=404)
    vets = selectors.story_noted_by(story=story)
    if request.GET.get("fragment"):
        return render(request, "stories/includes/_noted_by.html", {"vets": vets, "story": story})
    page = _page(request, vets, per_page=200)
    return render(
        request,
        "stories/noted_by.html",
        {"story": story, "page_obj": page, "vets": page.object_list},
    )


def _back(request, story):
    target = request.POST.get("next") or request.GET.get("next")
    return redirect_next(request, target, redirect(story))


def _in_background(request):
    """A form posted by the page's script (static/js/site.js), not by the browser."""
    return request.headers.get("X-Requested-With") == "fetch"


def _parts(request, pk, *, status=200, just_promoted=False):
    """The answer to a vet or save posted by script: every part of the story page and of
    a listing card that the action changes, plus the header and the message, rendered
    fresh (stories/story_parts.html); the script swaps in the ones its page shows.
    A vet that promoted the story also opens its comments, so those come too."""
    # The header shows the balance this action may have just changed.
    request.user.refresh_from_db(fields=["credits_balance"])
    story = _story_for(request.user, pk)
    context = {
        "story": story,
        "has_vetted": getattr(story, "has_vetted", False),
        "is_saved": getattr(story, "is_saved", False),
        "promote_at": settings.STORY_PROMOTE_AT_VETS,
        "vets": selectors.story_noted_by(story=story),
        # The card's form posts back to the listing it is on, not to this URL.
        "next_url": safe_next(request, request.POST.get("next")) or story.get_absolute_url(),
        "just_promoted": just_promoted,
    }
    return render(request, "stories/story_parts.html", context, status=status)


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


@require_POST
@member_can_act
def story_vet(request, pk):
    """Note it: vouch for a story."""
    story = _get_story(pk)
    try:
        noted = services.story_note(member=request.user, story=story)
    except services.StoryError as error:
        if _wants_json(request):
            return JsonResponse(
                {"ok": False, "error": error.message, "vet_count": story.vet_count}, status=409
            )
        messages.error(request, error.message)
        if _in_background(request):
            return _parts(request, pk, status=409)
        return _back(request, story)
    if _wants_json(request):
        return JsonResponse({"ok": True, "vet_count": story.vet_count, "status": story.status})
    if noted.promoted:
        messages.success(request, "Noted! Your note put this story on the front page.")
    else:
        messages.success(request, "Noted! Thank you for vetting this story.")
    if _in_background(request):
        return _parts(request, pk, just_promoted=noted.promoted)
    return _back(request, story)


@member_can_act
def story_report(request, pk):
    """Report a problem with a story (spam, offensive, old news, broken link)."""
    story = _get_story(pk)
    if not story.is_visible:
        return render(request, "stories/story_gone.html", {"story": story}, status=404)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.story_report(
                member=request.user,
                story=story,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except services.StoryError as error:
            messages.error(request, error.message)
            return redirect(story)
        messages.success(request, "Thank you. Moderators will look at your report.")
        return redirect(story if story.is_visible else reverse("stories:front"))
    return render(request, "stories/report.html", {"story": story, "form": form})


@member_can_act
def story_submit(request):
    """Submit a story: it waits in Newly Submitted until members vet it."""
    form = StoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            story = services.story_submit(
                submitter=request.user,
                title=data["title"],
                url=data["url"],
                summary=data["summary"],
                category=data["category"],
                tags=data["tags"],
            )
        except services.StoryError as error:
            form.add_error("url" if error.existing else None, error.message)
            return render(
                request,
                "stories/submit.html",
                {"form": form, "existing": error.existing},
                status=200,
            )
        messages.success(
            request, "Thank you! Your story is in Newly Submitted; members will vet it."
        )
        return redirect(story)
    return render(request, "stories/submit.html", {"form": form})


@require_POST
@login_required
def story_save_toggle(request, pk):
    """Save a story to read later, or take it off the list."""
    story = _get_story(pk)
    if request.POST.get("action") == "unsave":
        services.story_unsave(member=request.user, story=story)
        messages.success(request, "Removed from your saved stories.")
    else:
        services.story_save(member=request.user, story=story)
        messages.success(request, "Saved. Find it under Saved stories.")
    if _in_background(request):
        return _parts(request, pk)
    return _back(request, story)


@login_required
def saved_stories(request):
    """The member's saved stories, newest saved first."""
    stories = (
        Story.objects.visible()
        .filter(saves__member=request.user)
        .order_by("-saves__created_at", "-id")
    )
    return _listing(request, queryset=stories, title="Saved stories", section="saved")
