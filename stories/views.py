from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from taggit.models import Tag

from care2.pagecache import cached_for_readers
from care2.redirects import redirect_next
from care2.users.decorators import member_can_act
from stories import selectors, services
from stories.forms import ReportForm, StoryForm
from stories.models import Category, SavedStory, Story, Vet


def _page(request, queryset, per_page=None):
    paginator = Paginator(queryset, per_page or settings.STORIES_PER_PAGE)
    return paginator.get_page(request.GET.get("page"))


def _listing(request, *, queryset, title, template="stories/story_list.html", **context):
    page = _page(request, queryset.for_listing())
    return render(
        request,
        template,
        {"page_obj": page, "stories": page.object_list, "title": title, **context},
    )


@cached_for_readers
def front_page(request):
    """The front page: published stories, newest first."""
    return _listing(
        request,
        queryset=Story.objects.published().order_by("-published_at", "-pk"),
        title="Top stories",
        section="front",
        feeds=(reverse("stories:feed_rss"), reverse("stories:feed_atom")),
    )


@cached_for_readers
def newly_submitted(request):
    """The vetting queue: stories waiting for enough members to note them."""
    return _listing(
        request,
        queryset=Story.objects.newly_submitted().order_by("-created_at", "-pk"),
        title="Newly submitted",
        section="new",
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


def _get_story(pk, slug=None, *, for_update=False):
    return get_object_or_404(Story.objects.select_related("category", "submitter"), pk=pk)


@cached_for_readers
def story_detail(request, pk, slug):
    """The story page: everything the seed page shows about one story."""
    user = request.user
    stories = Story.objects.select_related("category", "submitter")
    if user.is_authenticated:
        # The member's own state comes with the story, in the same query.
        stories = stories.annotate(
            has_vetted=Exists(Vet.objects.filter(story=OuterRef("pk"), member=user)),
            is_saved=Exists(SavedStory.objects.filter(story=OuterRef("pk"), member=user)),
        )
    story = get_object_or_404(stories, pk=pk)
    if not story.is_visible and not user.has_perm("stories.change_story"):
        return render(request, "stories/story_gone.html", {"story": story}, status=404)
    if slug != story.slug:
        return redirect(story, permanent=True)
    last_visit = services.story_visit(member=user, story=story) if user.is_authenticated else None
    context = {
        "last_visit": last_visit,
        "is_saved": getattr(story, "is_saved", False),
        "story": story,
        "tags": list(story.tags.all()),
        "has_vetted": getattr(story, "has_vetted", False),
        "most_active": selectors.most_active_today(category=story.category, exclude=story),
        "promote_at": settings.STORY_PROMOTE_AT_VETS,
    }
    return render(request, "stories/story_detail.html", context)


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


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


@require_POST
@member_can_act
def story_vet(request, pk):
    """Note it: vouch for a story."""
    story = _get_story(pk)
    try:
        services.story_vet(member=request.user, story=story)
    except services.StoryError as error:
        if _wants_json(request):
            return JsonResponse(
                {"ok": False, "error": error.message, "vet_count": story.vet_count}, status=409
            )
        messages.error(request, error.message)
        return _back(request, story)
    if _wants_json(request):
        return JsonResponse({"ok": True, "vet_count": story.vet_count, "status": story.status})
    if getattr(story, "_just_promoted", False):
        messages.success(request, "Noted! Your note put this story on the front page.")
    else:
        messages.success(request, "Noted! Thank you for vetting this story.")
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
