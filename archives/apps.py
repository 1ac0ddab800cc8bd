from django.apps import AppConfig


class ArchivesConfig(AppConfig):
    name = "archives"
    verbose_name = "档案与审计"

    def ready(self) -> None:
        # Missing archive documents: the town review warns, the district approval is refused.
        from archives.documents.checklist import approval_gate, missing_notice
        from archives.documents.tasks import on_households_changed
        from households.hooks import on_households_changed as households_listener
        from review.cases.workflow import register_case_notice, register_guard

        register_guard(approval_gate)
        register_case_notice(missing_notice)
        # The case list's filter "档案缺项" (review can't read the checklist itself).
        from archives.documents.checklist import cases_missing_documents
        from review.cases.selectors import register_case_filter

        register_case_filter("documents", "档案缺项", cases_missing_documents)
        # Bags follow households that are added or move (households can't import archives).
        households_listener(on_households_changed)
        # A round's posting photo is filed as 公示照片 in the listed households' bags.
        from archives.documents.posting import file_posting_photo
        from publicity.hooks import on_posting_photo

        on_posting_photo(file_posting_photo)
        # A delivered decision notice's scanned receipt is filed in the household's bag.
        from archives.documents.decisions import file_notice_scan
        from review.notices.hooks import on_notice_scan

        on_notice_scan(file_notice_scan)
        # A phone's home-visit photos (入户调查, 听查看访) are filed in the household's bag.
        from archives.documents.visits import file_visit_photos
        from review.visits.hooks import on_visit_photos

        on_visit_photos(file_visit_photos)
        # The 清理核实登记表, once its three signatures are in, is filed in the household's bag.
        from archives.documents.registration import file_signed_registration
        from review.cases.workflow import on_registration_signed

        on_registration_signed(file_signed_registration)
        # Campaigns, meetings and outreach are review's; their files (综合档案) are kept here.
        from archives.records.filing import register

        register()
