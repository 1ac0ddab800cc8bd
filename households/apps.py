from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = "低保户登记"

    def ready(self) -> None:
        from households import labels

        # Names for the audit pages (kanjia.labels): 成员 张三（胡石桥村 3组）, not households.member #81.
        labels.register()

        # Paid vs computed: recompute a household's kept computation after its data changes.
        from households.hooks import on_households_changed
        from households.paychecks.services import on_households_changed as paychecks_listener

        on_households_changed(paychecks_listener)
