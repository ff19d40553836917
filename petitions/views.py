import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST

from care2 import pagecache
from care2.pagecache import _cacheable_request as reader_cacheable
from care2.ratelimit import is_ratelimited
from care2.slots import cached_reader_page, csrf_slot_context, reader_page_key
from care2.users import facts
from care2.users.context_processors import header_values
from care2.users.decorators import member_can_act
from petitions import reader_signatures, selectors, services
from petitions.forms import MemberSignForm, PetitionForm, ReaderSignForm, UpdateForm, VictoryForm
from petitions.images import pending_from_token
from petitions.models import Petition, Signature
from stories.models import Category, Story

RATE_LIMITED_MESSAGE = (
    "Too many signatures from your internet address in the last minute. "
    "Please wait a minute and press Sign again: what you typed is kept."
)


SIGN_FIELDS = ["id", "title", "slug", "status", "hidden_at", "deadline", "goal", "creator_id"]


def _get_petition(pk) -> Petition:
    return get_object_or_404(Petition.objects.select_related("category", "creator", "story"), pk=pk)


def _gone(request, petition: Petition):
    return render(request, "petitions/petition_gone.html", {"petition": petition}, status=404)


# --- Lists ---------------------------------------------------------------------------


FEEDS = {
    "featured": ("petitions:feed_rss", "petitions:feed_atom"),
    "newest": ("petitions:feed_newest_rss", "petitions:feed_newest_atom"),
    "victories": ("petitions:feed_victories_rss", "petitions:feed_victories_atom"),
    "category": ("petitions:feed_category_rss", "petitions:feed_category_atom"),
}


def _listing(request, *, queryset, title, section, **context):
    page = Paginator(queryset, settings.PETITIONS_PER_PAGE).get_page(request.GET.get("page"))
    args = [context["category"].slug] if section == "category" else []
    feeds = tuple(reverse(name, args=args) for name in FEEDS[section])
    return render(
        request,
        "petitions/petition_list.html",
        {
            "page_obj": page,
            "petitions": page.object_list,
            "title": title,
            "section": section,
            "categories": Category.objects.all(),
            "feeds": feeds,
            **context,
        },
    )


def petition_list(request):
    """Featured petitions: the most signatures in the last 24 hours."""
    return _listing(
        request,
        queryset=selectors.petitions_featured(),
        title="Featured petitions",
        section="featured",
    )


def petition_newest(request):
    """The newest open petitions."""
    return _listing(
        request, queryset=selectors.petitions_newest(), title="Newest petitions", section="newest"
    )


def petition_victories(request):
    """Petitions whose creators declared victory."""
    return _listing(
        request, queryset=selectors.petitions_victories(), title="Victories", section="victories"
    )


def petition_category(request, slug):
    """Open petitions and victories in one category."""
    category = get_object_or_404(Category, slug=slug)
    return _listing(
        request,
        queryset=selectors.petitions_in_category(category=category),
        title=f"Petitions in {category.name}",
        section="category",
        category=category,
    )


# --- The petition page and signing ------------------------------------------------------


_UNREAD = object()


def _detail(
    request,
    petition,
    *,
    member_form=None,
    reader_form=None,
    status=200,
    slot=False,
    my_signature=_UNREAD,
    shared=False,
    reader_signed=None,
):
    """The petition page. What every viewer sees alike (count, progress, chart, signers,
    their comments, updates) is read through ``selectors.PageData`` only when its part
    is rendered: those parts come from the fragment cache, under this petition's page
    generations. With ``slot``, the CSRF token is left as a slot (``care2.slots``), for
    the readers' page cache; with ``shared``, every personal part is (``care2.pagecache``),
    for the members' shared page. ``my_signature`` is the member's own, when the caller
    has read it already; ``reader_signed``, what a reader's browser remembers of signing
    it (``petitions.reader_signatures``)."""
    user = request.user
    if user.is_authenticated:
        if my_signature is _UNREAD:
            # No ORDER BY (``first()`` would add one by id, and on a petition with
            # 200,000 rows the planner may walk the id index): the pair is unique.
            my_signature = next(
                iter(Signature.objects.filter(petition=petition, member=user).order_by()[:1]),
                None,
            )
        if member_form is None:
            member_form = MemberSignForm()
    else:
        my_signature = None
        if reader_form is None:
            reader_form = ReaderSignForm()
    page_url = request.build_absolute_uri(petition.get_absolute_url())
    generations = selectors.page_generations(petition_id=petition.pk)
    context = {
        "embed_code": embed_code(request, petition),
        "petition": petition,
        "page": selectors.PageData(petition),
        # Parts kept per petition, page generations, time zone and host (links in them).
        "fragment_seconds": settings.READER_PAGE_CACHE_SECONDS,
        "fragment_key": f"{generations[0]}.{generations[1]}.{timezone.get_current_timezone_name()}."
        f"{request.scheme}://{request.get_host()}",
        "my_signature": my_signature,
        "reader_signed": reader_signed,
        "reader_confirmed": reader_signed == reader_signatures.CONFIRMED,
        # The member's own parts: slots while their shared page renders.
        "my_signed_at": pagecache.personal(
            request, "signed", _signed_at(petition, my_signature) if my_signature else ""
        ),
        "signer_name": pagecache.personal(
            request, "name", user.public_name if user.is_authenticated else ""
        ),
        "member_form": member_form,
        "reader_form": reader_form,
        "page_url": page_url,
        "image_url": request.build_absolute_uri(petition.image.url) if petition.image else "",
        "is_creator": user.is_authenticated and user.pk == petition.creator_id,
        **(csrf_slot_context() if slot else {}),
        **(pagecache.slot_context() if shared else {}),
    }
    return render(request, "petitions/petition_detail.html", context, status=status)


def _signed_at(petition, signature) -> str:
    """When the member signed, as the sign box says it: "You signed this petition <time>"
    (the time the signature counted from; on a petition that no longer takes signatures,
    the time it was given)."""
    value = signature.confirmed_at if petition.is_open else signature.created_at
    if value is None:
        return ""
    # What ``{% time_ago %}`` renders, as text for the slot.
    return mark_safe(get_template("includes/_time.html").render({"value": value}).strip())  # noqa: S308


def embed_code(request, petition) -> str:
    """The HTML a site owner pastes to show the card: the title escaped for the attribute
    it sits in. The page escapes this text once more for the <textarea> it is shown in
    (a textarea decodes one level of escaping), so what is copied is still escaped."""
    return format_html(
        '<iframe src="{}" width="340" height="220" title="{}" loading="lazy"></iframe>',
        request.build_absolute_uri(reverse("petitions:embed", args=[petition.pk])),
        petition.title,
    )


def petition_detail(request, pk, slug):
    """The petition page: the count, progress, chart, signers, comments, updates, sign form.

    Readers get it whole from the page cache, under the site's and this petition's page
    generations (a signature changes only this petition's), with their own CSRF token put
    into the sign form's slot on the way out. Members get one shared rendering per shape,
    their own parts filled in (``_member_petition_page``)."""
    reader_signed = None
    if not request.user.is_authenticated:
        reader_signed = reader_signatures.state_for(request, pk)
    if reader_signed is not None:
        # A reader who signed from this browser: their own page, never the cached one.
        return _petition_page(request, pk, slug, reader_signed=reader_signed)
    if settings.READER_PAGE_CACHE_SECONDS > 0 and reader_cacheable(request):
        key = reader_page_key(
            "petitions:page", request, *selectors.page_generations(petition_id=pk)
        )
        return cached_reader_page(request, key, lambda: _petition_page(request, pk, slug, True))
    if request.user.is_authenticated and pagecache.member_cacheable(request):
        return _member_petition_page(request, pk, slug)
    return _petition_page(request, pk, slug)


def _member_petition_page(request, pk, slug):
    """The petition page as a member sees it: rendered once per shape and kept under the
    site's and this petition's page generations (``care2.pagecache.member_page``), their
    header, name, signing time, CSRF token and script nonce filled in per request.

    The shape is what the page's branches ask of the viewer: may they act (the menu, the
    sign form, "Start a petition"), are they staff (the Admin link), did they start it
    (the Manage link), and their signature's status (the sign box). What a moderator may
    do shows nowhere on the page (it decides only whether a hidden one opens), nor does a
    verified e-mail. A hit costs one query beside the user's row: the petition's slug,
    creator, status and hiding with the member's signature (``selectors.member_view``)."""
    user = request.user
    facts.for_request(request)  # primes the member's permissions (a hidden petition)
    view = selectors.member_view(petition_id=pk, member_id=user.pk)
    if view is None or view.petition.slug != slug or not view.petition.is_visible_to(user):
        return _petition_page(request, pk, slug)  # not found, moved or hidden: as for anyone
    petition, signature = view.petition, view.signature
    shape = (
        not user.is_suspended,
        user.is_staff,
        petition.creator_id == user.pk,
        signature.status if signature is not None else None,
    )

    def values(compiled):
        return {
            **header_values(request),
            "psigned": _signed_at(petition, signature) if signature is not None else "",
        }

    return pagecache.member_page(
        request,
        name="petition",
        shape=shape,
        render=lambda: _detail(request, _get_petition(pk), my_signature=signature, shared=True),
        personalize=values,
        generations=selectors.page_generations(petition_id=pk),
    )


def _petition_page(request, pk, slug, slot=False, reader_signed=None):
    petition = _get_petition(pk)
    if not petition.is_visible_to(request.user):
        return _gone(request, petition)
    if slug != petition.slug:
        return redirect(petition, permanent=True)
    return _detail(request, petition, slot=slot, reader_signed=reader_signed)


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@require_POST
def petition_sign(request, pk):
    """Sign: a member in one click, a reader with name, e-mail and country (confirmed by
    e-mail). Works without JavaScript; on any refusal the form comes back as typed."""
    is_member = request.user.is_authenticated
    form = MemberSignForm(request.POST) if is_member else ReaderSignForm(request.POST)
    forms = {"member_form": form} if is_member else {"reader_form": form}

    def refused(status):
        # Off the hot path: the whole page, with the form as typed and what went wrong.
        petition = _get_petition(pk)
        if petition.is_hidden:  # seen by its creator and moderators, signed by nobody
            return _gone(request, petition)
        return _detail(request, petition, status=status, **forms)

    rate = settings.PETITION_SIGN_RATE
    if rate and is_ratelimited(
        request, group="petitions:sign", key="ip", rate=rate, method="POST", increment=True
    ):
        form.is_valid()
        form.add_error(None, RATE_LIMITED_MESSAGE)
        return refused(429)
    if not form.is_valid():
        return refused(400)
    data = form.cleaned_data
    try:
        if is_member:
            # One narrow read of the petition; the member's own rules need its row.
            petition = get_object_or_404(Petition.objects.only(*SIGN_FIELDS), pk=pk)
            if petition.is_hidden:
                return _gone(request, petition)
            services.signature_sign_member(
                petition=petition,
                member=request.user,
                comment=data["comment"],
                show_name=data["show_name"],
                hear_more=data["hear_more"],
                ip=_client_ip(request),
            )
        else:
            # The surge path: one statement checks the petition and inserts the row.
            services.signature_sign_reader(
                petition_id=pk,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                country=data["country"],
                comment=data["comment"],
                show_name=data["show_name"],
                allow_contact=data["allow_contact"],
                ip=_client_ip(request),
            )
    except services.PetitionError as error:
        if error.code == "missing":
            raise Http404("No such petition.") from None
        form.add_error(None, error.message)
        return refused(409)
    if is_member:
        messages.success(request, "Thank you for signing! Your signature is counted.")
        return redirect(petition)
    response = redirect("petitions:check_email", pk=pk)
    reader_signatures.remember(request, response, pk, reader_signatures.PENDING)
    return response


def petition_check_email(request, pk):
    """After a reader signs: where to find the confirmation link."""
    petition = _get_petition(pk)
    if not petition.is_visible_to(request.user):
        return _gone(request, petition)
    return render(request, "petitions/check_email.html", {"petition": petition})


def _link_error(request, error: services.PetitionError):
    status = 410 if error.code in {"expired", "missing"} else 400
    return render(request, "petitions/link_error.html", {"message": error.message}, status=status)


def signature_confirm(request, token):
    """The confirmation link: GET shows a "Confirm my signature" button, only the POST
    confirms (mail scanners and link previews fetch links; they must not sign)."""
    try:
        signature = services.signature_from_token(token=token, purpose="confirm")
    except services.PetitionError as error:
        return _link_error(request, error)
    petition = signature.petition
    if request.method == "POST":
        try:
            services.signature_confirm(signature=signature)
        except services.PetitionError as error:
            return _link_error(request, error)
        messages.success(request, "Thank you! Your signature is confirmed and counted.")
        response = redirect(petition)
        if signature.member_id is None:
            reader_signatures.remember(request, response, petition.pk, reader_signatures.CONFIRMED)
        return response
    return render(request, "petitions/confirm.html", {"signature": signature, "petition": petition})


def signature_withdraw_link(request, token):
    """The withdraw link from the confirmation e-mail: GET shows, POST withdraws."""
    try:
        signature = services.signature_from_token(token=token, purpose="withdraw")
    except services.PetitionError as error:
        return _link_error(request, error)
    petition = signature.petition
    if request.method == "POST":
        services.signature_withdraw(signature_id=signature.pk)
        messages.success(request, "Your signature is withdrawn.")
        response = (
            redirect(petition)
            if petition.is_visible_to(request.user)
            else redirect("petitions:list")
        )
        reader_signatures.remember(request, response, petition.pk, None)
        return response
    return render(
        request, "petitions/withdraw.html", {"signature": signature, "petition": petition}
    )


@require_POST
@login_required
def signature_withdraw(request, pk):
    """A member withdraws their own signature from the petition page."""
    petition = _get_petition(pk)
    signature = Signature.objects.filter(petition=petition, member=request.user).first()
    if signature is None or not services.signature_withdraw(signature_id=signature.pk):
        messages.error(request, "You have not signed this petition.")
    else:
        messages.success(request, "Your signature is withdrawn.")
    return (
        redirect(petition) if petition.is_visible_to(request.user) else redirect("petitions:list")
    )


# --- Starting and running a petition ------------------------------------------------------


@member_can_act
def petition_start(request):
    """Start a petition (members with a verified e-mail)."""
    initial = {}
    story = None
    story_id = request.GET.get("story") or request.POST.get("story")
    if story_id and str(story_id).isdigit():
        story = Story.objects.visible().select_related("category").filter(pk=story_id).first()
        if story is not None:
            initial = {"story": story.pk, "category": story.category_id}
    form = PetitionForm(
        request.POST or None, request.FILES or None, initial=initial, user=request.user
    )
    context = {"form": form, "story": story}
    if request.user.is_new_member:
        # The rule is shown before the form: when they may start, what they can do now.
        context["new_member_until"] = request.user.date_joined + datetime.timedelta(
            hours=settings.NEW_MEMBER_HOURS
        )
        context["new_member_hours"] = settings.NEW_MEMBER_HOURS
        if request.method != "POST":
            return render(request, "petitions/start.html", context)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            petition = services.petition_start(
                creator=request.user,
                title=data["title"],
                target=data["target"],
                why=data["why"],
                category=data["category"],
                goal=data["goal"],
                deadline=data["deadline"],
                story=data["story"],
                image=data["image"],
                submission_key=data.get("submission_key"),
            )
        except services.PetitionError as error:
            form.add_error(None, error.message)
        else:
            if petition.image_pending:
                messages.success(
                    request,
                    "Your petition is open. Share it to gather signatures! "
                    "Your picture shows in a moment, once it is prepared.",
                )
            else:
                messages.success(request, "Your petition is open. Share it to gather signatures!")
            return redirect(petition)
    return render(request, "petitions/start.html", context)


@login_required
def petition_image_preview(request, token):
    """The picture a re-shown start form holds, for its preview (only to its uploader)."""
    name = pending_from_token(token, user_id=request.user.pk)
    if name is None:
        raise Http404("No such picture.")
    extension = name.rsplit(".", 1)[-1]
    content_type = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}[extension]
    response = FileResponse(default_storage.open(name), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _creator_petition(request, pk) -> Petition:
    petition = _get_petition(pk)
    if petition.creator_id != request.user.pk:
        raise Http404("Only the creator manages a petition.")
    return petition


@login_required
def petition_manage(request, pk):
    """The creator's page: post an update, close, declare victory, download signatures."""
    petition = _creator_petition(request, pk)
    return render(
        request,
        "petitions/manage.html",
        {
            "petition": petition,
            "count": services.petition_count(petition_id=petition.pk),
            "update_form": UpdateForm(),
            "victory_form": VictoryForm(),
        },
    )


@require_POST
@login_required
def petition_close(request, pk):
    petition = _creator_petition(request, pk)
    if services.petition_close(petition=petition, by=request.user):
        messages.success(request, "Your petition is closed: it no longer takes signatures.")
    else:
        messages.error(request, "This petition is not open.")
    return redirect(petition)


def _manage_with(request, petition, **forms):
    context = {
        "petition": petition,
        "count": services.petition_count(petition_id=petition.pk),
        "update_form": UpdateForm(),
        "victory_form": VictoryForm(),
        **forms,
    }
    return render(request, "petitions/manage.html", context, status=400)


@require_POST
@login_required
def petition_victory(request, pk):
    petition = _creator_petition(request, pk)
    form = VictoryForm(request.POST)
    if not form.is_valid():
        return _manage_with(request, petition, victory_form=form)
    try:
        services.petition_declare_victory(
            petition=petition, by=request.user, message=form.cleaned_data["message"]
        )
    except services.PetitionError as error:
        form.add_error(None, error.message)
        return _manage_with(request, petition, victory_form=form)
    messages.success(request, "Congratulations on your victory!")
    return redirect(petition)


@require_POST
@login_required
def petition_update(request, pk):
    petition = _creator_petition(request, pk)
    form = UpdateForm(request.POST)
    if not form.is_valid():
        return _manage_with(request, petition, update_form=form)
    try:
        services.petition_update_post(
            petition=petition,
            by=request.user,
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            submission_key=form.cleaned_data.get("submission_key"),
        )
    except services.PetitionError as error:
        form.add_error(None, error.message)
        return _manage_with(request, petition, update_form=form)
    messages.success(request, "Your update is posted and on its way to your signers.")
    return redirect(petition)


@login_required
def petition_csv(request, pk):
    """The creator downloads the signatures as CSV, streamed row by row."""
    petition = _creator_petition(request, pk)
    response = StreamingHttpResponse(
        selectors.signatures_csv(petition=petition), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="petition-{petition.pk}-signatures.csv"'
    )
    return response


# --- The embeddable card --------------------------------------------------------------------

EMBED_CSP = {**settings.SECURE_CSP, "frame-ancestors": ["*"], "script-src": [CSP.NONE]}


@xframe_options_exempt
@csp_override(EMBED_CSP)
def petition_embed(request, pk):
    """A small card (title, count, progress, a link to sign) for other sites' iframes."""
    petition = _get_petition(pk)
    if petition.is_hidden:
        raise Http404("No such petition.")
    count = services.petition_count(petition_id=petition.pk)
    return render(
        request,
        "petitions/embed.html",
        {
            "petition": petition,
            "count": count,
            "percent": min(100, round(100 * count / petition.goal)) if petition.goal else 0,
            "page_url": request.build_absolute_uri(petition.get_absolute_url()),
        },
    )
