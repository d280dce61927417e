"""«Семья рядом»: a Telegram bot for families in crisis and the hotline that helps them."""
