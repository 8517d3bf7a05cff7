"""The Web API client every Slack call goes through, pointed at SLACK_API_URL."""

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)


def make_web_client(token: str, api_url: str, *, retries: bool = True) -> WebClient:
    """Without these handlers a 429 or a 5xx raises at once and the reply is lost.

    `retries=False` is for the start-up check, which retries on its own schedule and says
    so once per attempt."""
    handlers = [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=2),
        ServerErrorRetryHandler(max_retry_count=2),
    ]
    return WebClient(
        token=token, base_url=api_url, timeout=15, retry_handlers=handlers if retries else []
    )
