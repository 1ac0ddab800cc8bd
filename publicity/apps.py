from django.apps import AppConfig


class PublicityConfig(AppConfig):
    name = "publicity"
    verbose_name = "三榜公示"

    def ready(self) -> None:
        from publicity.guards import open_objection_guard, round_gate_guard
        from review.workflow import register_guard

        register_guard(open_objection_guard)
        register_guard(round_gate_guard)
