"""Local Telegram Bot API emulator for tests and the sandbox mode ("make run")."""

from sandbox.emulator import Emulator
from sandbox.testing import BotMessage, TestGroup, TestUser

__all__ = ["BotMessage", "Emulator", "TestGroup", "TestUser"]
