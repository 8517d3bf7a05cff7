"""Slack Web API + Socket Mode emulator for end-to-end tests and benchmarks."""

from .server import Ack, ApiCall, Envelope, Frame, SlackEmulator

__all__ = ["Ack", "ApiCall", "Envelope", "Frame", "SlackEmulator"]
