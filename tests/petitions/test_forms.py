from petitions.forms import _RENDERED_SELECTS, ReaderSignForm


def test_the_country_select_is_reused_and_still_shows_each_state():
    _RENDERED_SELECTS.clear()
    blank = str(ReaderSignForm()["country"])
    assert str(ReaderSignForm()["country"]) == blank
    assert len(_RENDERED_SELECTS) == 1  # rendered once for both forms
    assert blank.count(" selected") == 1 and '<option value="" selected>' in blank

    chosen = ReaderSignForm(data={"country": "FR"})
    chosen.is_valid()
    html = str(chosen["country"])
    assert '<option value="FR" selected>' in html and html.count(" selected") == 1
    assert 'aria-invalid="true"' not in html

    wrong = ReaderSignForm(data={"country": "XX"})
    assert not wrong.is_valid()
    html = str(wrong["country"])
    assert 'aria-invalid="true"' in html
    assert '<option value="FR" selected>' not in html
