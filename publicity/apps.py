from django.apps import AppConfig


class PublicityConfig(AppConfig):
    name = "publicity"
    verbose_name = "三榜公示"

    def ready(self) -> None:
        from publicity.guards import open_objection_guard, round_gate_guard
        from review.cases.workflow import register_guard

        register_guard(open_objection_guard)
        register_guard(round_gate_guard)

        # Dynamic management reads objections through its hooks (review never imports publicity).
        from publicity.objections import long_term_board_triggers, objection_results
        from review.dynamic.hooks import register_objection_reader, register_trigger_source

        register_trigger_source(long_term_board_triggers)
        register_objection_reader(objection_results)

        # Rounds to prepare, publish and close, objections to handle: on the town office's worklist.
        from kanjia.worklists import register_worklist
        from publicity.selectors import publicity_work_items

        register_worklist(publicity_work_items)
