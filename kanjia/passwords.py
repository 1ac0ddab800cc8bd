import string

from django.core.exceptions import ValidationError

CLASSES = (
    ("大写字母", set(string.ascii_uppercase)),
    ("小写字母", set(string.ascii_lowercase)),
    ("数字", set(string.digits)),
)


class CharacterClassValidator:
    """等保 2.0: a password mixes at least three kinds of characters."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def _count(self, password: str) -> int:
        chars = set(password)
        found = sum(1 for _, members in CLASSES if chars & members)
        known = set().union(*(m for _, m in CLASSES))
        return found + (1 if chars - known else 0)

    def validate(self, password: str, user=None) -> None:
        if self._count(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return f"密码须至少包含大写字母、小写字母、数字、符号中的 {self.min_classes} 类。"
