"""«Where to get help»: the services map of the family's region, one tap from a request."""

from __future__ import annotations

from tests.handlers.conftest import App
from tests.helpers import onboard


async def test_the_map_shows_the_regions_services_and_leads_to_a_request(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    await onboard(user)  # Irkutsk Oblast
    await user.click("📍 Where to get help")
    kinds = await user.wait_message("Where to get help · Irkutsk Oblast")
    assert ["🧸 Baby things on loan («Мой малыш»)"] in kinds.buttons
    await user.click("🧸 Baby things on loan («Мой малыш»)")
    found = await user.wait_message("Мой малыш")
    assert found.text is not None and "Phone:" not in found.text  # no number the sources lack
    await user.click("« Other kinds of help")
    await user.wait_message("Where to get help · Irkutsk Oblast")
    await user.click("⚖️ Documents, benefits, legal help")
    await user.wait_message("Documents, benefits, legal help")
    await user.click("🤝 Ask for this help")
    await user.wait_message("in your own words")  # the kind of help is already chosen
    await user.send("/services")
    await user.wait_message("Where to get help · Irkutsk Oblast")
