from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.content import ContentError
from bot.services.regions import load_regions


def test_the_shipped_regions_have_their_time_zones() -> None:
    regions = load_regions()
    assert [r.key for r in regions.items] == [
        "irkutsk", "altai_krai", "novosibirsk", "primorsky", "other",
    ]  # fmt: skip
    assert regions.timezone_of("primorsky", "Europe/Moscow") == "Asia/Vladivostok"
    assert regions.timezone_of("other", "Europe/Moscow") == "Europe/Moscow"
    assert regions.get("irkutsk") is not None
    assert regions.get("irkutsk").name("en") == "Irkutsk Oblast"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("toml", "error"),
    [
        ('[[region]]\nkey="a"\nru="А"\nen="A"\ntimezone="Mars/Base"\n', "unknown time zone"),
        ('[[region]]\nkey="a"\nru="А"\ntimezone="UTC"\n', "needs ru and en names"),
        ('[[region]]\nkey="a"\nru="А"\nen="A"\nother=true\n' * 2, "used twice"),
        ("", "no [[region]] entries"),
        ("[[region]\n", "content error: regions.toml"),
    ],
)
def test_a_broken_file_stops_with_one_line(tmp_path: Path, toml: str, error: str) -> None:
    path = tmp_path / "regions.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ContentError, match=error.replace("[", r"\[")):
        load_regions(path)
