"""natural_key: numbers inside names sort by value."""

from __future__ import annotations

from pingan.core.fields import natural_key


def test_numbers_sort_by_value_whatever_their_width():
    names = ["第10联户", "第2联户", "第1联户", "第02联户", "第１２联户", "东区第3联户", "第联户"]

    ordered = sorted(names, key=lambda name: (natural_key(name), name))

    assert ordered == [
        "东区第3联户",
        "第1联户",
        "第02联户",
        "第2联户",
        "第10联户",
        "第１２联户",
        "第联户",
    ]


def test_the_key_is_cut_at_its_size_and_blank_stays_blank():
    assert len(natural_key("1" * 300 + "联户")) == 255
    assert natural_key("a1b2", size=12) == "a0000000001b"
    assert natural_key("") == natural_key(None) == ""
