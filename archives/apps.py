from django.apps import AppConfig


class ArchivesConfig(AppConfig):
    name = "archives"
    verbose_name = "档案与审计"

    def ready(self) -> None:
        # Missing archive documents: the town review warns, the district approval is refused.
        from archives.checklist import approval_gate
        from review.workflow import register_guard

        register_guard(approval_gate)
