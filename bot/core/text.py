"""Text rules that hold on every front end."""

import re

# <!here>, <!channel>, <!everyone> and the legacy <!group> (optionally with a |label) notify
# a whole channel when posted. User text echoed back (descriptions, names) must never do that.
_BROADCAST = re.compile(r"<!(here|channel|everyone|group)(?:\|[^>]*)?>")


def defuse_broadcasts(text: str) -> str:
    """Shown as @here/@channel/@everyone, but as plain text that notifies nobody."""
    return _BROADCAST.sub(lambda m: f"@\u200b{m.group(1)}", text)
