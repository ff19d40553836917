from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe

from petitions.search import petitions_search
from search.forms import SearchForm
from stories.search import stories_search


def highlight(snippet: str | None) -> str:
    """ts_headline's output is the member's plain text: escape it, then mark the hits."""
    if not snippet:
        return ""
    return mark_safe(escape(snippet).replace("\x02", "<mark>").replace("\x03", "</mark>"))


def _petitions(data):
    return petitions_search(
        text=data["words"], category=data.get("category"), since=data.get("since_at")
    )


def search(request):
    """One search box for stories and petitions, with filters and `tag:` / `domain:`."""
    form = SearchForm(request.GET or None)
    context = {"form": form, "searched": False}
    if form.is_valid() and any(
        form.cleaned_data.get(k) for k in ("words", "tag", "domain", "category")
    ):
        data = form.cleaned_data
        context["searched"] = True
        if data["kind"] in ("all", "stories"):
            stories = stories_search(
                text=data["words"],
                tag=data["tag"],
                domain=data["domain"],
                category=data.get("category"),
                since=data.get("since_at"),
            ).prefetch_related("tags")
            page = Paginator(stories, 20).get_page(request.GET.get("page"))
            for story in page.object_list:
                story.highlighted = (
                    highlight(getattr(story, "snippet", None)) or story.summary[:280]
                )
            context["stories_page"] = page
        if data["kind"] in ("all", "petitions") and not data["tag"] and not data["domain"]:
            petitions = _petitions(data)
            if petitions is not None:
                page = Paginator(petitions, 20).get_page(request.GET.get("ppage"))
                for petition in page.object_list:
                    petition.highlighted = highlight(getattr(petition, "snippet", None))
                context["petitions_page"] = page
    return render(request, "search/results.html", context)
