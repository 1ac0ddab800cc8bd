from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "复核审批"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from households.models import Household, ImportBatch, Member
        from review import relatives, workflow

        # Near relatives: the declaration gate and recusal refuse in every place the
        # pipeline checks its actor (case_advance, stage_save, registration_sign,
        # available_transitions), hence recusal checks rather than guards.
        workflow.register_recusal_check(relatives.declaration_gate)
        workflow.register_recusal_check(relatives.relative_recusal)
        # Matching after member, household and import changes (households can't import review).
        post_save.connect(relatives.on_member_saved, sender=Member, dispatch_uid="relatives_member_saved")
        post_delete.connect(relatives.on_member_saved, sender=Member, dispatch_uid="relatives_member_deleted")
        post_save.connect(relatives.on_household_saved, sender=Household, dispatch_uid="relatives_household_saved")
        post_save.connect(relatives.on_import_saved, sender=ImportBatch, dispatch_uid="relatives_import_saved")
