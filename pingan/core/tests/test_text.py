"""Text hygiene: what no one can see is stripped from names, titles and notes; sizes hold."""

from __future__ import annotations

import pytest
from django import forms
from django.utils import translation

from pingan.core.text import CleanCharField, clean_line, clean_text

INVISIBLE = [
    "\x00",
    "\x01",
    "\x0b",
    "\x1f",
    "\x7f",
    "\x85",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
]


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_a_line_loses_every_invisible_character(char):
    assert clean_line(f"{char}王{char}小明{char}") == "王小明"


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_a_text_loses_every_invisible_character_but_keeps_its_lines(char):
    assert clean_text(f"第一行{char}\r\n第二行\t{char}完") == "第一行\n第二行\t完"


def test_a_line_turns_its_breaks_into_one_space():
    assert clean_line(" 南门\r\n\t社区 ") == "南门 社区"


def test_a_bidi_override_cannot_disguise_a_file_name():
    assert clean_line("invoice\u202efdp.exe") == "invoicefdp.exe"


def test_visible_text_is_kept_as_it_is():
    text = "川A·12345 王小明（副组长）— 100% 😀"
    assert clean_line(text) == text


class NameForm(forms.Form):
    name = CleanCharField(max_length=5)
    note = CleanCharField(multiline=True, max_length=10, required=False)


def test_a_name_of_invisible_characters_only_is_required():
    form = NameForm({"name": "\u200b\u202e\x01"})
    with translation.override("zh-hans"):
        assert form.errors["name"] == ["此字段为必填项。"]


def test_the_length_counts_only_the_characters_kept():
    form = NameForm({"name": "王\u200b小\u200b明\u200b\u200b\u200b\u200b", "note": "一\n二"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"name": "王小明", "note": "一\n二"}


def test_a_name_over_its_length_is_a_chinese_field_error():
    form = NameForm({"name": "王" * 6})
    with translation.override("zh-hans"):
        [message] = form.errors["name"]
    assert "5" in message and "字符" in message
