"""The Dutch words of refusals and of what is missing: held against the rules and the
domain's own messages, so that a new message cannot go untranslated."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

from api.refusals import RULES, WHAT, dutch, rule_title
from api.web import dutch as nl
from projections.audit import render

DOMAIN = Path(__file__).resolve().parent.parent / "domain"


def _messages(call_names: set[str]) -> list[tuple[str, str]]:
    """(rule, message) of every call `Name("Rx", "...")` in the domain, f-string parts
    replaced by a sample value."""
    found = []
    for path in DOMAIN.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in call_names:
                continue
            rule, message = node.args[0], node.args[1]
            if not isinstance(rule, ast.Constant) or not isinstance(rule.value, str):
                continue
            text = _sample(message)
            if text is not None:
                found.append((rule.value, text))
    return found


def _sample(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "7" for v in node.values)
    return None


def test_every_rule_has_its_dutch_name_and_sentence() -> None:
    rules_in_domain = {rule for rule, _ in _messages({"RuleViolation", "InvalidInput"})}
    assert rules_in_domain <= set(RULES)
    # R1-R16 of the domain, and the privacy rules: who may erase (P1), the legal hold (P2).
    assert set(RULES) == {f"R{n}" for n in range(1, 17)} | {"P1", "P2"}
    for rule, (name, sentence) in RULES.items():
        assert name and sentence
        assert rule_title(rule) == f"{rule} {name}"


def test_every_text_the_domain_requires_is_named_in_dutch() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in DOMAIN.glob("*.py"))
    required = set(re.findall(r'_require_text\(\s*"R\d+",\s*[^,]+,\s*"([^"]+)"', source))
    assert required, "no _require_text calls found: the scan is broken"
    assert required <= set(WHAT), sorted(required - set(WHAT))
    for phrase in required:
        sentence = dutch("R1", f"{phrase} must not be empty")
        assert sentence.endswith("mag niet leeg zijn.")
        assert phrase not in sentence


def test_every_refusal_of_the_domain_gets_a_dutch_sentence() -> None:
    messages = _messages({"RuleViolation", "InvalidInput", "NotPermitted"})
    assert len(messages) > 50
    for rule, message in messages:
        sentence = dutch(rule, message)
        assert sentence and sentence[0].isupper() and sentence.endswith("."), (message, sentence)
        # Either translated by a pattern, or the rule's own sentence: never the English.
        assert message not in sentence, (message, sentence)


def test_translations_keep_the_values() -> None:
    assert dutch("R14", "attempt 2 has already been decided") == "Over poging 2 is al besloten."
    assert dutch("R1", "the rationale of the vote must not be empty") == (
        "De toelichting bij de stem mag niet leeg zijn."
    )
    assert dutch("R6", "both medium-stakes (50% and 70%) have been held") == (
        "Beide medium-stakes (50% en 70%) zijn al gehouden."
    )
    assert dutch("R9", "something the table does not know").startswith(
        "Geweigerd volgens regel R9 (Aanvraag high-stake)"
    )


def test_every_missing_step_the_rules_name_is_said_in_dutch() -> None:
    tree = ast.parse((DOMAIN / "rules.py").read_text(encoding="utf-8"))
    items = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "NextStep":
            inner = {
                id(v)
                for part in ast.walk(node)
                if isinstance(part, ast.JoinedStr)
                for v in part.values
            }
            for part in ast.walk(node):
                if id(part) in inner or not isinstance(part, ast.expr):
                    continue
                text = _sample(part)
                if text and re.match(r"^R\d+: ", text):
                    items.append(text)
    assert len(items) >= 10
    for item in items:
        said = nl.missing(item)
        rule = item.split(":")[0]
        assert said.startswith(rule_title(rule)), said
        assert ": " in said and item.split(": ", 1)[1] not in said, (item, said)


def test_the_dossier_and_the_pages_write_a_moment_alike() -> None:
    for moment in (
        datetime(2026, 12, 1, 13, 5, tzinfo=UTC),  # winter: CET
        datetime(2026, 7, 1, 12, 5, 59, tzinfo=UTC),  # summer: CEST
    ):
        assert render.when(moment.isoformat()) == nl.when(moment) == nl.when_by_babel(moment)
    assert nl.when(datetime(2026, 12, 1, 13, 5, tzinfo=UTC)) == "1 december 2026, 14:05"
