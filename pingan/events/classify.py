"""Keyword classification: suggest a category from the Chinese text of a report.

Each active ``KeywordRule`` is a phrase with alternatives (``|``) whose parts may require
several words (``+``). The weights of the rules of one category that match add up (at most 1);
the best category wins if its confidence reaches ``PINGAN_CLASSIFY_THRESHOLD``. Below that
the event stays unclassified and goes to the centre's queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from pingan.core.cache import TableCache
from pingan.events.models import Category, KeywordRule


def _load_rules() -> list[KeywordRule]:
    return list(
        KeywordRule.objects.filter(is_active=True, category__is_active=True).select_related(
            "category", "category__parent"
        )
    )


# The active rules with their categories, kept per process (see pingan.core.cache).
RULES = TableCache("keyword-rules", _load_rules).depends_on([KeywordRule, Category])


@dataclass(frozen=True)
class Suggestion:
    category: Category
    confidence: float
    rule: KeywordRule


def phrase_matches(phrase: str, text: str) -> bool:
    """Return whether any alternative of ``phrase`` has all its words in ``text``."""
    for alternative in phrase.split("|"):
        words = [w.strip() for w in alternative.split("+") if w.strip()]
        if words and all(w in text for w in words):
            return True
    return False


def suggest(text: str) -> Suggestion | None:
    """Return the best category for ``text`` by keyword rules, or None if nothing matched."""
    text = (text or "").strip()
    if not text:
        return None
    scores: dict[int, Decimal] = {}
    best_rule: dict[int, KeywordRule] = {}
    for rule in RULES.get():
        if phrase_matches(rule.phrase, text):
            key = rule.category_id
            scores[key] = min(Decimal(1), scores.get(key, Decimal(0)) + rule.weight)
            if key not in best_rule or rule.weight > best_rule[key].weight:
                best_rule[key] = rule
    if not scores:
        return None
    winner = max(scores, key=lambda k: (scores[k], best_rule[k].category.level, -k))
    rule = best_rule[winner]
    return Suggestion(rule.category, float(scores[winner]), rule)


def classify(text: str) -> Suggestion | None:
    """Return the suggestion if it is confident enough to classify without a person."""
    suggestion = suggest(text)
    threshold = float(getattr(settings, "PINGAN_CLASSIFY_THRESHOLD", 0.5))
    if suggestion is None or suggestion.confidence < threshold:
        return None
    return suggestion
