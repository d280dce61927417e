"""The services map: content/services.toml as shipped, the loader's one-line errors, and the
queries the menus and /sos make."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.services.content import ContentError
from bot.services.regions import load_regions
from bot.services.services_map import CATEGORIES, ServicesMap, load_services_map

ROOT = Path(__file__).resolve().parents[2]
# The programme's source documents live beside the checkouts, not in the repository.
SEEDS_DIR = Path(os.environ.get("SEEDS_DIR", ROOT.parent / "shared" / "seeds"))
PROGRAMME_REGIONS = ("irkutsk", "altai_krai", "novosibirsk", "primorsky")
MAIN_CATEGORIES = ("crisis_housing", "psychological", "legal", "rental", "material", "pregnancy")

MAP = load_services_map()


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def phones_in(text: str) -> set[str]:
    """The digits of every phone-like run in a text («8-800-2000-122» → «88002000122»)."""
    return {digits(m) for m in re.findall(r"\+?\d[\d ()\-]{1,}\d", text)}


# --- the shipped file


def test_the_shipped_map_loads_against_the_shipped_regions() -> None:
    assert load_services_map(regions=load_regions()) == MAP
    assert len({o.key for o in MAP.items}) == len(MAP.items)


@pytest.mark.parametrize("region", PROGRAMME_REGIONS)
def test_every_programme_region_has_real_help_and_every_main_kind(region: str) -> None:
    found = MAP.find(region)
    assert any(not o.example for o in found), f"{region}: only examples"
    for category in MAIN_CATEGORIES:
        assert MAP.find(region, category), f"{region}: nothing for {category}"


def test_no_example_has_a_phone() -> None:
    assert all(o.phone is None for o in MAP.items if o.example)


def test_every_phone_is_one_the_sources_give() -> None:
    phones = [o for o in MAP.items if o.phone]
    if not phones:
        return  # the seeds give no phone numbers today, so the map has none
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"the source documents are not at {SEEDS_DIR} (set SEEDS_DIR)")
    in_seeds = set().union(*(phones_in(p.read_text("utf-8")) for p in SEEDS_DIR.glob("*.txt")))
    for org in phones:
        assert digits(org.phone or "") in in_seeds, f"{org.key}: {org.phone} is in no seed"


def test_phone_runs_are_compared_by_their_digits() -> None:
    text = "Детский телефон доверия 8-800-2000-122, бесплатно; программа на 2025 – 2026 годы"
    assert digits("8 (800) 2000 122") in phones_in(text)
    assert "20252026" not in phones_in(text)  # a span of years is no phone number


def test_every_text_reads_in_both_languages() -> None:
    for org in MAP.items:
        assert org.source, org.key
        for field, texts in org.texts.items():
            assert set(texts) == {"ru", "en"}, (org.key, field)
            assert re.search("[а-яё]", texts["ru"], re.IGNORECASE), (org.key, field)


# --- the loader's one-line errors

GOOD = """
[[service]]
key = "a"
region = "irkutsk"
help = ["legal"]
name_ru = "Юристы"
name_en = "Lawyers"
source = "test"
"""


@pytest.mark.parametrize(
    ("toml", "error"),
    [
        ("", "no [[service]] entries"),
        ("[[service]\n", "content error: services.toml"),
        ('service = "a"\n', "no [[service]] entries"),
        ("service = [1]\n", "service 1 is not a [[service]] table"),
        (GOOD.replace('key = "a"', 'key = "Юристы"'), "service 1 needs a short key"),
        (GOOD.replace('key = "a"\n', ""), "service 1 needs a short key"),
        (GOOD * 2, "service key 'a' is used twice"),
        (GOOD.replace('"irkutsk"', '"moscow"'), "service 'a': unknown region 'moscow'"),
        (GOOD.replace('region = "irkutsk"\n', ""), "service 'a': unknown region None"),
        (GOOD.replace('"irkutsk"', '["irkutsk"]'), "service 'a': unknown region ['irkutsk']"),
        (GOOD.replace('["legal"]', '["legal", "food"]'), "unknown help category 'food'"),
        (GOOD.replace('["legal"]', "[]"), "service 'a': help needs a list of categories"),
        (GOOD.replace('["legal"]', '"legal"'), "service 'a': help needs a list of categories"),
        (GOOD.replace('name_en = "Lawyers"\n', ""), "service 'a': name needs both name_ru and"),
        (GOOD.replace('"Lawyers"', '" "'), "service 'a': name needs both name_ru and name_en"),
        (GOOD + 'address_ru = "Иркутск"\n', "address needs both address_ru and address_en"),
        (GOOD + 'hours_en = "24/7"\n', "service 'a': hours needs both hours_ru and hours_en"),
        (GOOD + 'description_ru = "Помогут"\n', "description needs both description_ru and"),
        (GOOD + 'adress_ru = "Иркутск"\n', "service 'a': unknown field 'adress_ru'"),
        (GOOD + "example = true\nphone = '112'\n", "service 'a': an example must not have a"),
        (GOOD + "phone = 'call us'\n", "service 'a': phone 'call us' is not a phone number"),
        (GOOD + "phone = '12'\n", "phone '12' is not a phone number"),
        (GOOD + "phone = 88002000122\n", "phone 88002000122 is not a phone number"),
        (GOOD + "url = 'vladmama.ru'\n", "service 'a': url 'vladmama.ru' must be a web address"),
        (GOOD + "crisis_line = 'yes'\n", "service 'a': crisis_line must be true or false"),
        (GOOD + "example = 1\n", "service 'a': example must be true or false"),
        (GOOD.replace('source = "test"\n', ""), "service 'a': source needs to say where"),
    ],
)
def test_a_broken_file_stops_with_one_line(tmp_path: Path, toml: str, error: str) -> None:
    path = tmp_path / "services.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ContentError, match=re.escape(error)) as caught:
        load_services_map(path, {"irkutsk", "primorsky"})
    assert str(caught.value).startswith("content error: services.toml: ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "phone", ["112", "8-800-2000-122", "+7 (4232) 12-34-56", "8 800 2000 122"]
)  # fmt: skip
def test_a_sane_phone_is_accepted(tmp_path: Path, phone: str) -> None:
    path = tmp_path / "services.toml"
    path.write_text(GOOD + f"phone = '{phone}'\nurl = 'https://example.org/a'\n", "utf-8")
    assert load_services_map(path, {"irkutsk"}).items[0].phone == phone


def test_regions_are_taken_from_a_regions_object(tmp_path: Path) -> None:
    path = tmp_path / "services.toml"
    path.write_text(GOOD.replace('"irkutsk"', '"other"'), "utf-8")
    assert load_services_map(path, load_regions()).items[0].region == "other"
    with pytest.raises(ContentError, match="unknown region 'other'"):
        load_services_map(path, {"irkutsk"})


# --- the queries


def entry(key: str, region: str, help_: str, name: str, extra: str = "") -> str:
    return (
        f'[[service]]\nkey = "{key}"\nregion = "{region}"\nhelp = [{help_}]\n'
        f'name_ru = "{name}"\nname_en = "{key}"\nsource = "test"\n{extra}\n'
    )


@pytest.fixture
def small_map(tmp_path: Path) -> ServicesMap:
    path = tmp_path / "services.toml"
    path.write_text(
        entry("ex_lawyers", "irkutsk", '"legal"', "Бесплатные юристы", "example = true")
        + entry("rent", "irkutsk", '"rental", "material"', "«Мой малыш»")
        + entry("lawyers", "irkutsk", '"legal"', "Юристы", 'description_ru = "Помогут"\n'
                'description_en = "They help"')
        + entry("elka", "irkutsk", '"legal"', "Ёлка")
        + entry("line", "all", '"psychological"', "Линия", "crisis_line = true\nphone = '112'")
        + entry("quiet_line", "all", '"psychological"', "Линия без номера", "crisis_line = true")
        + entry("flat", "primorsky", '"crisis_housing"', "Квартира", "phone = '8-800-1'")
        + entry("sea_line", "primorsky", '"other"', "Морская линия",
                "crisis_line = true\nphone = '+7 423 000'"),
        "utf-8",
    )  # fmt: skip
    return load_services_map(path, {"irkutsk", "primorsky", "other"})


@pytest.mark.parametrize(
    ("region", "category", "keys"),
    [
        # real before examples, then by Russian name: «ё» as «е», quotes ignored
        ("irkutsk", "legal", ["elka", "lawyers", "ex_lawyers"]),
        ("irkutsk", "rental", ["rent"]),
        ("irkutsk", "material", ["rent"]),
        ("irkutsk", "psychological", ["line", "quiet_line"]),  # national lines too
        ("irkutsk", None, ["elka", "line", "quiet_line", "rent", "lawyers", "ex_lawyers"]),
        ("primorsky", None, ["flat", "line", "quiet_line", "sea_line"]),
        ("primorsky", "legal", []),
        ("other", None, ["line", "quiet_line"]),
        (None, None, ["line", "quiet_line"]),  # no region chosen: the national lines
        ("mars", "legal", []),
    ],
)
def test_find(
    small_map: ServicesMap, region: str | None, category: str | None, keys: list[str]
) -> None:
    assert [o.key for o in small_map.find(region, category)] == keys


@pytest.mark.parametrize(
    ("region", "keys"),
    [
        ("irkutsk", ["line"]),  # a crisis line without a number is not offered in an emergency
        ("primorsky", ["line", "sea_line"]),
        (None, ["line"]),
    ],
)
def test_crisis_lines(small_map: ServicesMap, region: str | None, keys: list[str]) -> None:
    assert [o.key for o in small_map.crisis_lines(region)] == keys


@pytest.mark.parametrize(
    ("region", "categories"),
    [
        ("irkutsk", ("psychological", "legal", "rental", "material")),
        ("primorsky", ("crisis_housing", "psychological", "other")),
        ("other", ("psychological",)),
        ("mars", ("psychological",)),
    ],
)
def test_categories_keep_the_fixed_order(
    small_map: ServicesMap, region: str, categories: tuple[str, ...]
) -> None:
    assert small_map.categories(region) == categories
    assert all(c in CATEGORIES for c in categories)


def test_texts_fall_back_to_russian(small_map: ServicesMap) -> None:
    lawyers = small_map.get("lawyers")
    assert lawyers is not None
    assert lawyers.name("en") == "lawyers"
    assert lawyers.name("de") == "Юристы"
    assert lawyers.text("en", "description") == "They help"
    assert lawyers.text("de", "description") == "Помогут"
    assert lawyers.text("en", "address") is None
    assert small_map.get("nobody") is None
    assert small_map.get("rent").help == ("rental", "material")  # type: ignore[union-attr]
