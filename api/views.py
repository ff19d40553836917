"""Read-only JSON of public data, at stable URLs (documented in README.md).

Only what any reader can see on the site: no e-mail addresses, no hidden content.
Responses are cached (the reader page cache's generation, so any write refreshes them)
and rate limited per IP.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from care2.db_router import filling_from_primary
from care2.pagecache import generation
from care2.ratelimit import is_ratelimited
from comments.selectors import story_thread
from petitions.models import Petition
from petitions.selectors import petitions_newest
from stories.models import Story

PAGE_SIZE = 50


def _member(user):
    if user is None:
        return None
    return {"name": user.public_name, "number": user.credits_earned}


def public_json(view):
    """Rate limit (API_RATE per IP), then serve from cache when possible."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if is_ratelimited(request, group="api", key="ip", rate=settings.API_RATE, increment=True):
            return JsonResponse({"error": "Too many requests; slow down."}, status=429)
        digest = hashlib.blake2b(request.get_full_path().encode(), digest_size=16).hexdigest()
        key = f"api:{generation()}:{digest}"
        cached = cache.get(key)
        if cached is None:
            # Kept for every client under the new generation: from the primary.
            with filling_from_primary():
                status, data = view(request, *args, **kwargs)
            if status == 200:
                cache.set(key, data, settings.API_CACHE_SECONDS)
        else:
            status, data = 200, cached
        response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = f"public, max-age={settings.API_CACHE_SECONDS}"
        return response

    return wrapper


def _story(story, request):
    return {
        "id": story.pk,
        "title": story.title,
        "url": request.build_absolute_uri(story.get_absolute_url()),
        "source": story.url,
        "summary": story.summary,
        "category": story.category.name,
        "tags": [tag.name for tag in story.tags.all()],
        "status": story.status,
        "submitted_by": _member(story.submitter),
        "submitted_at": story.created_at.isoformat(),
        "published_at": story.published_at.isoformat() if story.published_at else None,
        "vets": story.vet_count,
        "comments": story.comment_count,
    }


@public_json
def story_list(request):
    """Published stories, newest first, 50 a page (?page=N)."""
    stories = (
        Story.objects.published()
        .select_related("category", "submitter")
        .prefetch_related("tags")
        .order_by("-published_at", "-id")
    )
    page = Paginator(stories, PAGE_SIZE).get_page(request.GET.get("page"))
    return 200, {
        "page": page.number,
        "pages": page.paginator.num_pages,
        "count": page.paginator.count,
        "results": [_story(story, request) for story in page.object_list],
    }


@public_json
def story_detail(request, pk):
    """One story with its whole comment thread (thread order, visible comments and the
    placeholders that keep the thread's shape)."""
    story = get_object_or_404(
        Story.objects.visible().select_related("category", "submitter").prefetch_related("tags"),
        pk=pk,
    )
    data = _story(story, request)
    data["thread"] = [
        {
            "id": comment.pk,
            "parent": comment.parent_id,
            "depth": comment.depth,
            "author": _member(comment.author) if comment.is_visible else None,
            "created_at": comment.created_at.isoformat(),
            "edited": bool(comment.edited_at),
            "html": comment.body_html if comment.is_visible else None,
            "deleted": not comment.is_visible,
        }
        for comment in story_thread(story=story)
    ]
    return 200, data


def _petition(petition, request):
    return {
        "id": petition.pk,
        "title": petition.title,
        "target": petition.target,
        "url": request.build_absolute_uri(petition.get_absolute_url()),
        "category": petition.category.name,
        "started_by": _member(petition.creator),
        "status": petition.status,
        "signatures": petition.confirmed_count,
        "goal": petition.goal,
        "deadline": petition.deadline.isoformat() if petition.deadline else None,
        "created_at": petition.created_at.isoformat(),
    }


@public_json
def petition_list(request):
    """Open petitions, newest first, 50 a page (?page=N)."""
    page = Paginator(petitions_newest(), PAGE_SIZE).get_page(request.GET.get("page"))
    return 200, {
        "page": page.number,
        "pages": page.paginator.num_pages,
        "count": page.paginator.count,
        "results": [_petition(p, request) for p in page.object_list],
    }


@public_json
def petition_detail(request, pk):
    """One petition with its count, its text (sanitized HTML) and the creator's updates."""
    petition = get_object_or_404(Petition.objects.visible().for_listing(), pk=pk)
    data = _petition(petition, request)
    data["why_html"] = petition.why_html
    data["updates"] = [
        {"title": u.title, "body": u.body, "created_at": u.created_at.isoformat()}
        for u in petition.updates.order_by("created_at")
    ]
    return 200, data
