"""Campaigns (专项行动), cases and their stage records."""
