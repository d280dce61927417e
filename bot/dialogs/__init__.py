"""Multi-step conversations on plain aiogram FSM: states, keyboards and the words they say."""
