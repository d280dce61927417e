"""The durable work of the queues, done with the Bot: a submitted request gets its topic and
card in its queue's staff group (or, in a plain group, a card that replies thread), the
files the family attached follow the card, and those on duty are told. SLA reminders and
escalations follow the same path. Each is one item of `due_work` (bot/work.py)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import ReplyParameters
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.dialogs import case as cd
from bot.services import cases
from bot.services.queues import Queues
from bot.services.regions import Regions
from bot.work import Handler
from db.models import DueWork, HelpRequest, RequestStatus, WorkKind
from db.repositories import AssessmentsRepo, RequestsRepo

logger = logging.getLogger(__name__)


def topic_link(request: HelpRequest) -> str:
    """A t.me link to the case's topic (or card) that members of its group can open."""
    internal = str(request.staff_chat_id or 0).removeprefix("-100")
    if request.topic_thread_id is not None:
        return f"https://t.me/c/{internal}/{request.topic_thread_id}"
    return f"https://t.me/c/{internal}/{request.card_message_id or 1}"


AfterCard = Callable[[AsyncSession, HelpRequest], Awaitable[None]]


class QueueWork:
    def __init__(
        self,
        bot: Bot,
        i18n: I18n,
        settings: Settings,
        queues: Queues,
        regions: Regions,
        after_card: AfterCard | None = None,
    ) -> None:
        self.after_card = after_card  # e.g. a rental point's card with what is free
        self.bot = bot
        self.i18n = i18n
        self.settings = settings
        self.queues = queues
        self.regions = regions

    def handlers(self) -> dict[WorkKind, Handler]:
        return {
            WorkKind.ROUTE: self._staff_locale(self.route),
            WorkKind.SLA_REMIND: self._staff_locale(self.sla_remind),
            WorkKind.SLA_ESCALATE: self._staff_locale(self.sla_escalate),
        }

    def _staff_locale(self, handler: Handler) -> Handler:
        async def wrapped(session: AsyncSession, item: DueWork) -> None:
            with self.i18n.context(), self.i18n.use_locale(self.settings.default_locale):
                await handler(session, item)

        return wrapped

    async def route(self, session: AsyncSession, item: DueWork) -> None:
        request = await RequestsRepo(session).get(item.target_id)
        if request is None or request.card_message_id is not None:
            return  # gone (/forget) or already placed: a re-run does nothing twice
        if request.status not in (RequestStatus.NEW, RequestStatus.IN_PROGRESS):
            return
        queue = self.queues.get(request.queue_key or "") or self.queues.route(
            request.help_kind.value, None
        )
        link = await cases.link_of(session, queue.key)
        if link is None:
            await self._to_coordinators(session, request, queue.key)
            return
        chat_id, forum = link
        # A topic opened by an earlier try (its card failed) is used again, not doubled.
        thread_id = request.topic_thread_id if request.staff_chat_id == chat_id else None
        if forum and thread_id is None:
            try:
                topic = await self.bot.create_forum_topic(
                    chat_id, cd.topic_name(request, queue.short(self.settings.default_locale))
                )
                thread_id = topic.message_thread_id
                request.staff_chat_id, request.topic_thread_id = chat_id, thread_id
            except TelegramBadRequest as exc:  # not a forum (any more), or no right to it
                logger.warning("queue %s: no topic (%s); a card instead", queue.key, exc.message)
        text = await self._card(session, request, queue.name(self.settings.default_locale))
        try:
            card = await self.bot.send_message(
                chat_id, text, message_thread_id=thread_id, reply_markup=cd.card_keyboard(request)
            )
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            # The group is gone or refuses the bot: the request still reaches people.
            logger.warning(
                "queue %s: its group refused the card: %s", queue.key, type(exc).__name__
            )
            await self._to_coordinators(session, request, queue.key)
            return
        await cases.placed(session, request, chat_id, thread_id, card.message_id)
        # The card's buttons work from the moment it shows: a Take pressed at once reads the
        # placement (PostgreSQL shows only committed rows to the update's transaction).
        await session.commit()
        for rest in cd.story_rest(request):
            await self.bot.send_message(
                chat_id, rest, message_thread_id=thread_id,
                reply_parameters=relay_under(card.message_id, thread_id),
            )  # fmt: skip
        await self._attachments(session, request, chat_id, thread_id, card.message_id)
        if self.after_card is not None:
            await self.after_card(session, request)
        await self._tell_duty(session, request, queue.key, queue.name(self.settings.default_locale))

    async def _card(self, session: AsyncSession, request: HelpRequest, queue_name: str) -> str:
        family = await cases.family_of(session, request)
        region = self.regions.get(family.region if family else None)
        locale = self.settings.default_locale
        files = [m for m in await cases.attachments(session, request)]
        assessment = None
        if request.assessment_id is not None:
            row = await AssessmentsRepo(session).get(request.assessment_id)
            assessment = row.level if row is not None else None
        return cd.card_text(
            request,
            queue_name,
            region=region.name(locale) if region else "—",
            district=family.district if family else None,
            phone=family.phone if family else None,
            attachments=len(files),
            assessment=assessment,
        )

    async def _attachments(
        self,
        session: AsyncSession,
        request: HelpRequest,
        chat_id: int,
        thread_id: int | None,
        card_id: int,
    ) -> None:
        for row in await cases.attachments(session, request):
            sent = await send_media(
                self.bot, chat_id, row.content_type, row.file_id or "",
                cd.family_media_caption(row.text), thread_id=thread_id, reply_to=card_id,
            )  # fmt: skip
            row.staff_message_id = sent

    async def _tell_duty(
        self, session: AsyncSession, request: HelpRequest, queue_key: str, queue_name: str
    ) -> None:
        link = topic_link(request)
        duty = await cases.on_duty(session, queue_key)
        for person in duty:
            await self._private(
                person.telegram_id, cd.duty_alert_text(request.id, queue_name, link)
            )
        if not duty and request.priority.value == "urgent":
            for person in await cases.coordinators(session):
                await self._private(
                    person.telegram_id, cd.nobody_on_duty_text(request.id, queue_name, link)
                )

    async def _to_coordinators(
        self, session: AsyncSession, request: HelpRequest, queue_key: str
    ) -> None:
        """No group for the queue yet: the request still reaches people."""
        queue = self.queues.get(queue_key)
        name = queue.name(self.settings.default_locale) if queue else queue_key
        text = await self._card(session, request, name)
        for person in await cases.coordinators(session):
            await self._private(
                person.telegram_id, f"{cd.not_linked_text(request.id, name, queue_key)}\n\n{text}"
            )

    async def _private(self, chat_id: int, text: str) -> None:
        try:
            await self.bot.send_message(chat_id, text)
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            logger.info("could not tell a staff member: %s", type(exc).__name__)

    async def sla_remind(self, session: AsyncSession, item: DueWork) -> None:
        """Unclaimed past its SLA: a reminder in the topic and to those on duty; past twice
        the SLA, the coordinators."""
        request = await RequestsRepo(session).get(item.target_id)
        if request is None or request.status is not RequestStatus.NEW:
            return
        queue = self.queues.get(request.queue_key or "")
        if queue is None:
            return
        name = queue.name(self.settings.default_locale)
        cases.escalate_later(session, request, queue.sla(request.priority))
        link = topic_link(request)
        text = cd.sla_reminder_text(request.id, name, link)
        if request.staff_chat_id is not None:
            await self.bot.send_message(
                request.staff_chat_id, text, message_thread_id=request.topic_thread_id
            )
        for person in await cases.on_duty(session, queue.key):
            await self._private(person.telegram_id, text)

    async def sla_escalate(self, session: AsyncSession, item: DueWork) -> None:
        request = await RequestsRepo(session).get(item.target_id)
        if request is None or request.status is not RequestStatus.NEW:
            return
        queue = self.queues.get(request.queue_key or "")
        name = queue.name(self.settings.default_locale) if queue else "—"
        link = topic_link(request)
        for person in await cases.coordinators(session):
            await self._private(person.telegram_id, cd.sla_escalation_text(request.id, name, link))


def relay_under(card_id: int, thread_id: int | None) -> ReplyParameters | None:
    """In a plain group, a case's messages reply to its card; a topic is thread enough."""
    if thread_id is not None:
        return None
    return ReplyParameters(message_id=card_id, allow_sending_without_reply=True)


Send = Callable[..., Awaitable[object]]


async def send_media(
    bot: Bot,
    chat_id: int,
    kind: str,
    file_id: str,
    caption: str | None,
    *,
    thread_id: int | None = None,
    reply_to: int | None = None,
) -> int:
    """Send a file the bot already has (by its id) as what it is; the new message's id."""
    senders: dict[str, Send] = {
        "photo": lambda **kw: bot.send_photo(photo=file_id, **kw),
        "voice": lambda **kw: bot.send_voice(voice=file_id, **kw),
        "document": lambda **kw: bot.send_document(document=file_id, **kw),
        "video": lambda **kw: bot.send_video(video=file_id, **kw),
        "audio": lambda **kw: bot.send_audio(audio=file_id, **kw),
    }
    send = senders.get(kind, senders["document"])
    reply = (
        ReplyParameters(message_id=reply_to, allow_sending_without_reply=True) if reply_to else None
    )
    message = await send(
        chat_id=chat_id, caption=caption, message_thread_id=thread_id, reply_parameters=reply
    )
    return int(getattr(message, "message_id", 0))
