"""Tune or Prompt: the companion package of the course on when to fine-tune and when to prompt."""

__version__ = "0.1.0"
