"""Keyword classification: phrases with alternatives and required words, weights, the threshold.

Most tests switch the seeded rules off and write their own, so only the rule under test speaks.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from pingan.events import classify
from pingan.events.models import Category, Event, KeywordRule
from pingan.events.tests.conftest import WALL_TEXT, move, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_rules():
    """Switch the seeded rules off; return a function that adds a rule."""
    KeywordRule.objects.update(is_active=False)

    def add(phrase: str, code: str, weight: str = "0.8", **kw) -> KeywordRule:
        return KeywordRule.objects.create(
            phrase=phrase, category=Category.objects.get(code=code), weight=Decimal(weight), **kw
        )

    return add


@pytest.mark.parametrize(
    ("phrase", "text", "matches"),
    [
        ("挡墙", "后山挡墙开裂", True),
        ("挡墙|堡坎", "屋后堡坎松动", True),
        ("挡墙|堡坎", "屋后护坡松动", False),
        ("护坡+垮", "护坡局部垮塌", True),
        ("护坡+垮", "护坡有裂缝", False),
        ("护坡+垮", "房屋垮了", False),
        ("挡墙|护坡+垮", "护坡垮塌", True),
        ("挡墙|护坡+垮", "护坡开裂", False),
        (" 挡墙 | 护坡 + 垮 ", "护坡垮了", True),
        ("||", "任何文字", False),
    ],
)
def test_a_phrase_matches_any_alternative_whose_words_all_occur(phrase, text, matches):
    assert classify.phrase_matches(phrase, text) is matches


def test_the_seeded_rules_classify_a_retaining_wall_report():
    suggestion = classify.classify(WALL_TEXT)
    assert suggestion.category.code == "0201"
    assert suggestion.rule.phrase.startswith("挡墙")
    assert suggestion.confidence == pytest.approx(0.8)


def test_weights_of_one_categorys_matching_rules_add_up_to_at_most_one(own_rules):
    own_rules("积水", "0303", "0.3")
    own_rules("内涝", "0303", "0.3")
    own_rules("管道", "0301", "0.5")
    suggestion = classify.suggest("小区积水严重形成内涝，管道堵塞")
    assert suggestion.category.code == "0303"
    assert suggestion.confidence == pytest.approx(0.6)
    own_rules("淹", "0303", "0.9")
    assert classify.suggest("积水内涝，车辆被淹").confidence == pytest.approx(1.0)


def test_the_rule_reported_is_the_heaviest_matching_one_of_the_winner(own_rules):
    own_rules("积水", "0303", "0.3")
    heavy = own_rules("内涝", "0303", "0.6")
    assert classify.suggest("积水内涝").rule == heavy


def test_weak_matches_stay_below_the_threshold(own_rules):
    own_rules("积水", "0303", "0.3")
    assert classify.suggest("路口积水").confidence == pytest.approx(0.3)
    assert classify.classify("路口积水") is None


@override_settings(PINGAN_CLASSIFY_THRESHOLD=0.25)
def test_a_lower_threshold_setting_lets_weak_matches_classify(own_rules):
    own_rules("积水", "0303", "0.3")
    assert classify.classify("路口积水").category.code == "0303"


@override_settings(PINGAN_CLASSIFY_THRESHOLD=0.9)
def test_a_higher_threshold_setting_leaves_usual_matches_to_a_person(own_rules):
    own_rules("积水", "0303", "0.8")
    assert classify.classify("路口积水") is None


def test_inactive_rules_and_rules_of_inactive_categories_are_ignored(own_rules):
    own_rules("积水", "0303", "0.8", is_active=False)
    assert classify.suggest("路口积水") is None
    own_rules("积水", "0301", "0.8")
    Category.objects.filter(code="0301").update(is_active=False)
    assert classify.suggest("路口积水") is None


def test_a_phrase_without_any_word_is_refused():
    rule = KeywordRule(phrase=" | ", category=Category.objects.get(code="0303"))
    with pytest.raises(ValidationError) as info:
        rule.full_clean()
    assert "phrase" in info.value.message_dict


def test_a_rule_classified_report_records_the_rule_and_is_dispatched():
    event = report("grid01", category=None, title="挡墙", description="后山挡墙开裂")
    assert event.category.code == "0201"
    assert event.category_source == Event.CategorySource.RULE
    assert event.keyword_rule.phrase.startswith("挡墙")
    assert event.status == Event.Status.DISPATCHED and event.department.code == "513999-transport"
    assert event.timeline.get(action="report").data["keyword_rule"] == event.keyword_rule.phrase


def test_the_title_counts_for_classification(own_rules):
    own_rules("挡墙", "0201")
    event = report("grid01", category=None, title="挡墙开裂", description="请尽快来看看")
    assert event.category.code == "0201"


def test_the_reporters_category_wins_over_the_rules():
    event = report("grid01", category="0303", description=WALL_TEXT)
    assert event.category.code == "0303"
    assert event.category_source == Event.CategorySource.REPORTER
    assert event.keyword_rule is None


def test_a_category_set_by_the_centre_is_recorded_as_a_persons():
    event = report("grid01", category=None, description="后山挡墙开裂")
    assert event.category_source == Event.CategorySource.RULE
    move(event, "update", "center", category="0202", note="实为滑坡")
    assert event.category.code == "0202"
    assert event.category_source == Event.CategorySource.PERSON and event.keyword_rule is None
    classified = event.timeline.get(action="classify")
    assert classified.data == {"from": "0201", "to": "0202"}


def test_an_unclassifiable_report_waits_unclassified_in_the_centres_queue():
    event = report("grid01", category=None, description="这里有点情况，请来看看")
    assert event.category is None
    assert event.category_source == Event.CategorySource.NONE
    assert event.status == Event.Status.REPORTED and event.department is None
    assert event.centre.code == "513999001-center"


def test_a_report_below_the_threshold_waits_unclassified(own_rules):
    own_rules("积水", "0303", "0.3")
    event = report("grid01", category=None, description="路口积水")
    assert event.category is None and event.status == Event.Status.REPORTED


def test_the_centre_classifies_and_dispatches_an_unclassified_report_in_one_move():
    event = report("grid01", category=None, description="这里有点情况，请来看看")
    with pytest.raises(ValidationError) as info:
        move(event, "dispatch", "center", department="513999-transport")
    assert "category" in info.value.message_dict
    move(event, "dispatch", "center", department="513999-transport", category="0201")
    assert event.status == Event.Status.DISPATCHED
    assert event.category_source == Event.CategorySource.PERSON
