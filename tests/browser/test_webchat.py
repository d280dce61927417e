"""The five-minute story in a real browser: a parent sends a request, a specialist takes it
in its topic and answers, the parent reads the answer — and a reload keeps it all. With
WEBCHAT_SCREENSHOTS=docs it renews the README's screenshots (else they go to a temporary
folder, so a test run leaves the tree clean)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
EMMA, OLGA = "700000002", "700000003"


async def _press(page: Page, text: str) -> None:
    """The newest inline button with this text (older messages may show one too)."""
    await page.locator(".inline-kb button", has_text=text).last.click()


async def _says(page: Page, text: str) -> None:
    await expect(page.locator("#messages .msg", has_text=text).last).to_be_visible()


async def _send(page: Page, text: str) -> None:
    await page.fill("#text", text)
    await page.click("#send")


async def _shot(page: Page, folder: Path, name: str) -> None:
    await page.screenshot(path=str(folder / f"webchat-{name}.png"))


async def test_a_request_from_the_page_reaches_a_specialist_and_back(
    sandbox_url: str, browser: Any, tmp_path: Path
) -> None:
    shots = (
        ROOT / os.environ["WEBCHAT_SCREENSHOTS"]
        if "WEBCHAT_SCREENSHOTS" in os.environ
        else tmp_path
    )
    expect.set_options(timeout=10_000)
    page: Page = await browser.new_page(viewport={"width": 1000, "height": 700})
    await page.goto(sandbox_url)
    await page.select_option("#persona", EMMA)
    await _send(page, "/start")
    await _press(page, "English")
    await _press(page, "I agree")
    await _press(page, "Irkutsk Oblast")
    await _says(page, "Which town or district")
    await _press(page, "Skip")
    await _says(page, "How old are your children")
    await _press(page, "Skip")
    await _press(page, "No, thank you")
    await _says(page, "How can we help")

    await _send(page, "/request")
    await _press(page, "Documents, benefits, legal help")
    await _says(page, "in your own words")
    await _send(page, "They stopped paying the child benefit, what can I do?")
    await _says(page, "Saved: text")
    await _press(page, "Next »")
    await _press(page, "It can wait a few days")
    await _press(page, "Write to me here")
    await _press(page, "Send the request")
    await _says(page, "is registered")
    await _shot(page, shots, "1-parent")

    await page.select_option("#persona", OLGA)
    topic = page.locator(".topic-item", has_text="#1")
    await topic.click()
    await _says(page, "child benefit")
    await expect(page.locator(".msg b", has_text="Обращение #1")).to_be_visible()  # bot's <b>
    await _press(page, "Взять")
    await expect(page.locator(".topic-item", has_text="Ольга")).to_be_visible()
    await _send(page, "Здравствуйте! Пособие можно вернуть, я подскажу, что написать.")
    await _shot(page, shots, "2-specialist")

    await page.select_option("#persona", EMMA)
    await _says(page, "Пособие можно вернуть")
    await page.reload()
    await _says(page, "Пособие можно вернуть")
    await _says(page, "is registered")
    await page.set_viewport_size({"width": 390, "height": 760})
    await page.locator("#messages").evaluate("box => { box.scrollTop = box.scrollHeight; }")
    await _shot(page, shots, "3-parent-phone")

    # What people write stays text, tags and all: never markup the page would run.
    await _send(page, '<img src=x onerror="document.title=1"> <b>thanks</b>')
    await _says(page, "<b>thanks</b>")
    assert await page.locator(".msg img").count() == 0  # her chat has no picture
    assert await page.locator(".msg b", has_text="thanks").count() == 0
    assert await page.title() != "1"
