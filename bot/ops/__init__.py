"""For whoever runs the bot: health, metrics, and where they are served."""
