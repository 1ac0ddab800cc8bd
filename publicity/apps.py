from django.apps import AppConfig


class PublicityConfig(AppConfig):
    name = "publicity"
    verbose_name = "三榜公示"

    def ready(self) -> None:
        from publicity.guards import open_objection_guard, round_gate_guard, signing_gate
        from review.cases.workflow import register_guard, register_signing_gate

        register_guard(open_objection_guard)
        register_guard(round_gate_guard)
        register_signing_gate(signing_gate)
        from publicity.guards import signable_cases
        from review.cases.selectors import register_signing_filter

        register_signing_filter(signable_cases)
        # The printed 清理核实登记表 shows the 第一榜 outcome.
        from publicity.rounds import round_one_outcome
        from review.cases.registration import register_publicity_reader

        register_publicity_reader(round_one_outcome)

        # Dynamic management reads objections through its hooks (review never imports publicity).
        from publicity.objections import long_term_board_triggers, objection_results
        from review.dynamic.hooks import register_objection_reader, register_trigger_source

        register_trigger_source(long_term_board_triggers)
        register_objection_reader(objection_results)

        # Rounds to prepare, publish and close, objections to handle: on the town office's worklist.
        from kanjia.worklists import register_worklist
        from publicity.selectors import publicity_work_items

        register_worklist(publicity_work_items)
