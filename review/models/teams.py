"""Staff profiles and village review teams (清理小组)."""
