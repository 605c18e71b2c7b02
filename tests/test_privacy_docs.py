"""docs/privacy.md, for a school's DPIA, matches the declarations it describes: the table of
records is generated from the commands, and the periods it names are the settings' defaults."""

from __future__ import annotations

from api.privacy_document import DOC, kept, retention_class, sealed, with_table
from api.privacy_export import RECORDS
from domain import commands as c
from domain.aggregate import RecordedAggregate
from domain.privacy.ledger import event_classes
from domain.program import Settings


def test_the_documented_table_is_the_declared_one() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert text == with_table(text), (
        "docs/privacy.md is out of date: run `python -m api.privacy_document`"
    )


def test_every_command_is_a_row_with_its_class_and_sealed_fields() -> None:
    text = DOC.read_text(encoding="utf-8")
    for command in c.all_commands():
        (row,) = [line for line in text.splitlines() if line.startswith(f"| `{command.__name__}`")]
        assert f"| {retention_class(command)} |" in row and kept(command) in row
        assert sealed(command) in row
        for name in command.sensitive_fields():
            assert f"`{name}`" in row
    assert {"| formative |", "| exam |"} <= {
        f"| {retention_class(cmd)} |" for cmd in c.all_commands()
    }


def test_the_periods_are_the_settings_defaults_everywhere() -> None:
    model, domain = c.ProgramSettingsModel(), Settings()
    assert model.exam_retention_months == domain.exam_retention_months == 18
    assert model.formative_retention_months == domain.formative_retention_months
    text = DOC.read_text(encoding="utf-8")
    assert f"default **{domain.formative_retention_months} months**" in text
    assert f"`exam_retention_months` (default {domain.exam_retention_months})" in text


def test_every_privacy_record_is_said_in_dutch() -> None:
    assert set(RECORDS) == {cls.__name__ for cls in event_classes()}
    for cls in event_classes():
        assert cls.summary is not RecordedAggregate.Event.summary
