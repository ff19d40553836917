from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from care2.ratelimit import is_ratelimited
from care2.redirects import redirect_next
from care2.users.decorators import member_can_act
from comments import selectors, services
from comments.forms import CommentEditForm, CommentForm, RemoveForm, ReportForm
from comments.models import Comment
from stories import selectors as story_selectors
from stories.models import Story

RATE_LIMITED_MESSAGE = (
    "You are commenting very fast: at most {rate} comments a minute. Your comment is "
    "kept below; post it again in a minute."
)


def _story_url(story: Story, anchor: str = "comments") -> str:
    return f"{story.get_absolute_url()}#{anchor}"


def _over_rate_limit(request) -> bool:
    """COMMENT_RATE (default 5 a minute) per member, counted on valid posts only."""
    return is_ratelimited(
        request,
        group="comments.post",
        key="user",
        rate=settings.COMMENT_RATE,
        increment=True,
    )


def _rate_text() -> str:
    return settings.COMMENT_RATE.split("/")[0]


def _post(request, *, story_pk, story: Story | None = None, parent: Comment | None = None):
    """Shared by a new comment and a reply: validate, rate-limit, create, or re-show
    the form with the text as typed and a clear message.

    A comment (not a reply) is posted without reading its story first (``story`` None):
    the comment's own statement finds whether the story is published. The story is read
    only to show the form: for a GET, or a post that did not go through (a story not
    published, or gone, is a 404 then)."""
    # Whether the member tracks the story only changes how the form is shown: a post
    # accepts the Track box either way (tracking a tracked story changes nothing), so a
    # successful post skips the query.
    is_tracking = None
    if request.method != "POST":
        story = story or _open_story(story_pk)
        is_tracking = selectors.is_tracking(member=request.user, story=story)
    form = CommentForm(request.POST or None, show_track=not is_tracking)
    status = 200
    if request.method == "POST" and form.is_valid():
        if _over_rate_limit(request):
            form.add_error(None, RATE_LIMITED_MESSAGE.format(rate=_rate_text()))
            status = 429
        else:
            fields = {
                "author": request.user,
                "body": form.cleaned_data["body"],
                "track": form.cleaned_data.get("track", False),
                "submission_key": form.cleaned_data.get("submission_key"),
            }
            try:
                if story is None:
                    comment = services.comment_post(story_id=story_pk, **fields)
                else:
                    comment = services.comment_create(story=story, parent=parent, **fields)
            except services.CommentError as error:
                form.add_error("body", error.message)
            else:
                messages.success(request, "Thank you! Your comment is posted.")
                return redirect(_story_url(comment.story, comment.anchor))
    story = story or _open_story(story_pk)
    if is_tracking is None:
        is_tracking = selectors.is_tracking(member=request.user, story=story)
        if is_tracking:
            form.fields.pop("track", None)
    context = {
        "story": story,
        "parent": parent,
        "form": form,
        "is_tracking": is_tracking,
        "title": "Reply to a comment" if parent else "Add your comment",
    }
    return render(request, "comments/comment_form.html", context, status=status)


def _open_story(pk) -> Story:
    return story_selectors.published_story(pk)


@member_can_act
def comment_add(request, story_pk):
    """Comment on a story (the story page's form posts here; without JavaScript, a
    failed post comes back here with the text as typed)."""
    return _post(request, story_pk=story_pk)


@member_can_act
def comment_reply(request, pk):
    """Reply to a comment (its own page without JavaScript; inline with it)."""
    parent = get_object_or_404(Comment.objects.select_related("author"), pk=pk)
    story = _open_story(parent.story_id)
    if not parent.is_visible:
        messages.error(request, "That comment is gone, so it can't be replied to.")
        return redirect(_story_url(story))
    return _post(request, story_pk=story.pk, story=story, parent=parent)


def comment_permalink(request, pk):
    """A comment's permanent link: its place on the story page."""
    comment = get_object_or_404(Comment.objects.select_related("story"), pk=pk)
    return redirect(_story_url(comment.story, comment.anchor))


def _own_comment(request, pk) -> Comment:
    return get_object_or_404(
        Comment.objects.select_related("story", "author"), pk=pk, author=request.user
    )


@member_can_act
def comment_edit(request, pk):
    """The author edits a comment within COMMENT_EDIT_MINUTES of posting it."""
    comment = _own_comment(request, pk)
    story = comment.story
    if not services.comment_can_edit(comment=comment, member=request.user):
        messages.error(
            request,
            f"Comments can be edited for {settings.COMMENT_EDIT_MINUTES} minutes after "
            "posting; this one can no longer be changed.",
        )
        return redirect(_story_url(story, comment.anchor))
    form = CommentEditForm(request.POST or None, initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_edit(
                comment=comment, editor=request.user, body=form.cleaned_data["body"]
            )
        except services.CommentError as error:
            form.add_error("body", error.message)
        else:
            messages.success(request, "Your comment is updated.")
            return redirect(_story_url(story, comment.anchor))
    context = {"story": story, "comment": comment, "form": form, "title": "Edit your comment"}
    return render(request, "comments/comment_form.html", context)


@login_required
def comment_delete(request, pk):
    """The author deletes a comment: GET asks, POST deletes."""
    comment = _own_comment(request, pk)
    story = comment.story
    if not comment.is_visible:
        messages.error(request, "This comment was already deleted or removed.")
        return redirect(_story_url(story))
    if request.method == "POST":
        services.comment_delete(comment=comment, member=request.user)
        messages.success(request, "Your comment is deleted.")
        return redirect(_story_url(story))
    return render(request, "comments/comment_delete.html", {"story": story, "comment": comment})


@member_can_act
def comment_report(request, pk):
    """Report a comment to the moderators: GET shows the form, POST reports."""
    comment = get_object_or_404(Comment.objects.select_related("story", "author"), pk=pk)
    story = comment.story
    if not story.is_visible or not (comment.is_visible or comment.is_hidden):
        messages.error(request, "This comment is no longer on the site.")
        return redirect(_story_url(story) if story.is_visible else "stories:front")
    already = selectors.has_reported(member=request.user, comment=comment)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and not already and form.is_valid():
        try:
            services.comment_report(
                member=request.user,
                comment=comment,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except services.CommentError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Thank you: the moderators will look at this comment.")
            return redirect(_story_url(story, comment.anchor if comment.is_visible else "comments"))
    context = {
        "story": story,
        "comment": comment,
        "form": form,
        "already": already,
        "own": comment.author_id == request.user.pk,
    }
    return render(request, "comments/comment_report.html", context)


@permission_required("comments.remove_comment", raise_exception=True)
def comment_remove(request, pk):
    """A moderator removes a comment from the site, with a reason."""
    comment = get_object_or_404(Comment.objects.select_related("story", "author"), pk=pk)
    story = comment.story
    form = RemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_remove(
                comment=comment,
                moderator=request.user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except services.CommentError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "The comment is removed.")
        return redirect(_story_url(story))
    return render(
        request, "comments/comment_remove.html", {"story": story, "comment": comment, "form": form}
    )


@require_POST
@member_can_act
def track(request, story_pk):
    """The story page's Track / Stop tracking toggle."""
    story = get_object_or_404(Story.objects.visible(), pk=story_pk)
    if request.POST.get("action") == "stop":
        services.tracking_stop(member_id=request.user.pk, story_id=story.pk)
        messages.success(request, "You no longer track comments on this story.")
    else:
        services.tracking_start(member=request.user, story=story)
        messages.success(
            request,
            "You track this story: we'll send you a personal message when someone comments"
            + (
                ", and an e-mail copy."
                if request.user.email_on_tracked_comments
                else "; e-mail copies are off (turn them on in Settings)."
            ),
        )
    # e.g. back to the settings page's list
    return redirect_next(request, request.POST.get("next"), redirect(_story_url(story)))


@csrf_exempt  # the signed token in the URL is the authority; mail clients post without one
def stop_tracking(request, token):
    """The one-click link in every notification: works logged out. GET shows a button
    (mail scanners fetch links; they must not act), POST stops tracking: from that
    button, or straight from the mail client (RFC 8058 one-click unsubscribe)."""
    ids = services.stop_tracking_token_load(token)
    story = Story.objects.filter(pk=ids[1]).first() if ids else None
    if story is None:
        return render(request, "comments/stop_tracking.html", {"invalid": True}, status=400)
    done = False
    if request.method == "POST":
        services.tracking_stop(member_id=ids[0], story_id=story.pk)
        done = True
    return render(request, "comments/stop_tracking.html", {"story": story, "done": done})
