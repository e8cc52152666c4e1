"""Helpers for the lesson notebooks: one module per lesson, holding its figures and small demos."""
