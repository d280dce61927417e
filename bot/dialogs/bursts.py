"""One answer to a burst of free text, not one per message.

A person who pastes a long story in ten parts, or a phone that floods the bot, gets one
reply. Messages of one kind (text, stickers, a contact...) in a chat, at one step of its
dialog, that follow each other within `gap` seconds are one burst; the first of them that
has nothing else of that chat queued behind it gets the answer, the rest are kept but not
answered again. Another kind of message (a contact shared after a text), or a message at
another step, is another act and is answered. In memory only: after a restart at worst one
extra reply.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class BurstGate:
    def __init__(
        self, gap: float = 2.5, size: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.gap = gap
        self.size = size
        self.clock = clock
        self._chats: OrderedDict[tuple[int, str, str | None], tuple[float, bool]] = OrderedDict()

    def should_answer(
        self, chat_id: int, kind: str, step: str | None = None, backlog: int = 0
    ) -> bool:
        """Whether this message of `chat_id` gets a reply; `backlog`: its chat's updates still
        queued behind it (the last of them will answer if this one does not)."""
        now = self.clock()
        key = (chat_id, kind, step)
        last, answered = self._chats.pop(key, (float("-inf"), False))
        if now - last > self.gap:
            answered = False
        answer = not answered and backlog == 0
        self._chats[key] = (now, answered or answer)
        while len(self._chats) > self.size:
            self._chats.popitem(last=False)
        return answer
