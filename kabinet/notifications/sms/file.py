import fcntl
import json

from django.conf import settings
from django.utils import timezone


class FileBackend:
    """Appends one JSON object a line to KABINET_SMS_OUTBOX: {"to", "text", "sent_at"}."""

    def send(self, to: str, text: str) -> str:
        path = settings.KABINET_SMS_OUTBOX
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"to": to, "text": text, "sent_at": timezone.now().isoformat()}, ensure_ascii=False)
        with open(path, "a", encoding="utf-8") as outbox:
            # Several workers may append at once; the lock keeps lines whole.
            fcntl.flock(outbox, fcntl.LOCK_EX)
            outbox.write(line + "\n")
        return ""
