"""The domain, free of aiogram: plain async functions taking a session."""
