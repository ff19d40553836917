from django.shortcuts import render


def petition_list(request):
    return render(request, "petitions/coming_soon.html")


def petition_start(request):
    return render(request, "petitions/coming_soon.html")
