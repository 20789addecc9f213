"""Start the chat web app on the configured corpus index: `python app.py` (`make run` builds the
index first). The app itself is `bot/chat.py`; this file is only its entry point."""

import sys

from bot.chat import main
from bot.errors import BotError

if __name__ == "__main__":
    try:
        main()
    except BotError as exc:  # as the CLI does: one line saying what to do, exit status 2
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
