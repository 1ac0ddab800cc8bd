from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "复核审批"

    def ready(self) -> None:
        from households.hooks import on_households_changed
        from households.selectors import register_grant_condition
        from review import labels
        from review.cases import workflow
        from review.relatives import services as relatives
        from review.teams import selectors

        # Names for the audit pages (kanjia.labels): 专项行动《…》, actions in Chinese, the 月上报 as lines.
        labels.register()

        # A team's village grants count only while the team is within its active dates.
        register_grant_condition(selectors.grant_in_force)

        # Near relatives: the declaration gate and recusal refuse in every place the
        # pipeline checks its actor (case_advance, stage_save, registration_sign,
        # available_transitions), hence recusal checks rather than guards.
        workflow.register_recusal_check(relatives.declaration_gate)
        workflow.register_recusal_check(relatives.relative_recusal)
        # Matching after household, member and import changes: households services call
        # households.hooks.households_changed (explicit, after commit; households can't import review).
        on_households_changed(relatives.on_households_changed)

        # Stored deadlines follow the working-day calendar the town office keeps (kanjia can't import review).
        from kanjia.workdays import on_calendar_changed
        from review.cases.deadlines import deadlines_recompute

        on_calendar_changed(deadlines_recompute)
        from review.notices.services import due_dates_recompute

        on_calendar_changed(due_dates_recompute)

        # The home page's and 我的待办's worklists: cases per stage, paperwork, spot checks.
        from kanjia.worklists import register_worklist
        from review.cases.selectors import case_work_items
        from review.dynamic.spotchecks import spot_check_work_items
        from review.notices.selectors import paperwork_work_items

        register_worklist(case_work_items)
        register_worklist(paperwork_work_items)
        register_worklist(spot_check_work_items)
