"""The one pager template: Django's Page and the events' Window, filters kept in every link."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from pingan.core.paging import Window

PAGER = "core/_pager.html"


def render(page_obj, query: str = "", language: str = "zh-hans") -> str:
    request = RequestFactory().get(f"/list?{query}")
    with translation.override(language):
        return render_to_string(PAGER, {"page_obj": page_obj}, request=request)


def test_a_paginator_page_shows_its_place_the_total_and_links_that_keep_the_filters():
    page = Paginator(range(120), 50).get_page(2)

    html = render(page, "kind=rural&q=%E7%A4%BA&page=2")

    assert 'id="pager"' in html
    assert "2 / 3" in html and "共 120 条" in html
    assert 'href="?kind=rural&amp;q=%E7%A4%BA&amp;page=1"' in html
    assert 'href="?kind=rural&amp;q=%E7%A4%BA&amp;page=3" rel="next"' in html
    assert 'href="?kind=rural&amp;q=%E7%A4%BA&amp;page=3" aria-label="最后一页"' in html
    assert "上一页" in html and "下一页" in html


def test_the_first_page_cannot_go_back_and_the_last_cannot_go_on():
    first = render(Paginator(range(120), 50).get_page(1))
    last = render(Paginator(range(120), 50).get_page(3))

    assert 'rel="prev"' not in first and 'rel="next"' in first
    assert 'rel="prev"' in last and 'rel="next"' not in last


def test_a_single_page_shows_no_pager():
    assert render(Paginator(range(10), 50).get_page(1)).strip() == ""
    assert render(Window(list(range(10)), 1, 50, has_next=False, total=10)).strip() == ""


def test_a_window_of_unknown_total_shows_its_page_number_without_a_last_page():
    window = Window(list(range(50)), 2, 50, has_next=True)

    html = render(window, "tab=open&page=2")

    assert "第 2 页" in html
    assert 'href="?tab=open&amp;page=3" rel="next"' in html
    assert 'href="?tab=open&amp;page=1" rel="prev"' in html
    assert "最后一页" not in html and 'id="pager-total"' not in html


def test_a_window_of_known_total_shows_pages_and_total_like_a_page():
    window = Window(list(range(50)), 1, 50, has_next=True, total=130)

    html = render(window, "tab=all")

    assert "1 / 3" in html and "共 130 条" in html
    assert 'href="?tab=all&amp;page=3" aria-label="最后一页"' in html


def test_the_pager_speaks_english_when_asked():
    html = render(Paginator(range(120), 50).get_page(2), language="en")

    assert "Previous" in html and "Next" in html and "120 in all" in html
