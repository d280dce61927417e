"""The red-flag stems of content/red_flags.toml against real phrasings (and near misses)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.content import ContentError
from bot.services.red_flags import load_red_flags

FLAGS = load_red_flags()

RAISED = [
    # violence, or fear of it, now
    ("муж снова пьёт, мне страшно за детей", "violence"),
    ("он меня бьёт", "violence"),
    ("сожитель бьет детей", "violence"),
    ("муж бьот меня каждый вечер", "violence"),  # a common misspelling
    ("вчера избил, сегодня угрожает", "violence"),
    ("Я боюсь мужа.", "violence"),
    ("He beats me when he drinks", "violence"),
    ("i'm scared, he threatened the kids", "violence"),
    # nowhere to sleep tonight
    ("Нас выгнали из дома, ночевать негде", "no_shelter"),
    ("негде жить с ребёнком", "no_shelter"),
    ("сидим на улице с детьми", "no_shelter"),
    ("my landlord kicked us out, we have nowhere to sleep", "no_shelter"),
    # thinking of giving the child up
    ("думаю отказаться от ребёнка", "giving_up_child"),
    ("хочу оставить малыша в роддоме", "giving_up_child"),
    ("наверное придётся отдать ребенка в детдом", "giving_up_child"),
    ("I think I have to give the baby up", "giving_up_child"),
    # a child without care
    ("дети одни дома уже второй день", "child_unattended"),
    ("оставила ребенка одного, мне надо на работу", "child_unattended"),
    ("нечем кормить детей", "child_unattended"),
    ("my kids are home alone", "child_unattended"),
    # thoughts of harming oneself
    ("я больше не хочу жить", "self_harm"),
    ("иногда думаю покончить с собой", "self_harm"),
    ("I want to die", "self_harm"),
    ("I don't want to live anymore", "self_harm"),
]

QUIET = [
    "не бьёт, но кричит",
    "он меня никогда не бил",
    "крыша есть, но нет денег на еду",
    "жильё есть, нужна коляска",
    "ребёнок дома с бабушкой",
    "не хочу жить с ним в одной квартире",
    "страшно устала, нужна передышка",
    "he doesn't beat me, he just shouts",
    "we have a roof, we need a pram",
    "как получить пособие на ребёнка?",
    "нужна помощь юриста по документам",
    "",
]


@pytest.mark.parametrize(("text", "flag"), RAISED)
def test_a_red_flag_is_found(text: str, flag: str) -> None:
    assert flag in FLAGS.find(text)


@pytest.mark.parametrize("text", QUIET)
def test_negations_and_everyday_troubles_raise_no_flag(text: str) -> None:
    assert FLAGS.find(text) == []


def test_every_flag_has_stems_in_both_languages_and_the_five_kinds_are_there() -> None:
    assert set(FLAGS.flags) == {
        "violence", "no_shelter", "giving_up_child", "child_unattended", "self_harm",
    }  # fmt: skip


def test_a_broken_file_stops_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "red_flags.toml"
    bad.write_text('[flags.violence]\nru = ["(unclosed"]\nen = ["x"]\n', encoding="utf-8")
    with pytest.raises(ContentError, match=r"flags\.violence\.ru: '\(unclosed'"):
        load_red_flags(bad)
    bad.write_text('[flags.violence]\nru = ["бьет"]\n', encoding="utf-8")
    with pytest.raises(ContentError, match=r"flags\.violence\.en needs patterns"):
        load_red_flags(bad)
