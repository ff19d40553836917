from django.shortcuts import render


def learn_more(request):
    """How butterfly credits are earned, capped and spent."""
    return render(request, "credits/learn_more.html")
