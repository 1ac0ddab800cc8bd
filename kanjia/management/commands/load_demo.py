from django.core.management.base import BaseCommand

from kanjia import demo, roles


class Command(BaseCommand):
    help = "载入演示数据：14 个村(社区)、演示账号、清理小组、合成低保户和一次专项行动（含领导小组，可重复运行）。"

    def handle(self, *args, **options) -> None:
        town = demo.load_places()
        accounts = demo.load_accounts()
        teams = demo.load_teams()
        declared = demo.load_declarations()
        households = demo.load_households()
        others = demo.load_other_towns()
        cases = demo.load_campaign()
        records = demo.load_campaign_records()
        self.stdout.write(f"{town.name}: {town.villages.count()} 个村(社区)")
        for other in others:
            self.stdout.write(f"{other.name}（合成演示数据）: {other.villages.count()} 个村(社区)")
        self.stdout.write(f"演示账号（密码均为 {demo.DEMO_PASSWORD}）:")
        for username, full_name, role in accounts:
            where = town.name if role in roles.TOWN_LEVEL else ("全区" if role in roles.DISTRICT_LEVEL else "")
            self.stdout.write(f"  {username:<18} {full_name}  {role} {where}")
        for username, full_name, role, code in demo.OTHER_TOWN_ACCOUNTS:
            name = next(o.name for o in others if o.code == code)
            self.stdout.write(f"  {username:<18} {full_name}  {role} {name}")
        self.stdout.write(f"清理小组 {len(teams)} 个，覆盖 14 个村(社区)（team1 属第一组，team2 属第二组）。")
        if declared:
            self.stdout.write(f"{declared} 名演示工作人员已申报“无近亲属享受低保”（真实账号须本人先申报才能办案）。")
        if households:
            self.stdout.write(f"已生成 {households} 户合成低保户（虚构人员）。")
        if cases:
            self.stdout.write(f"已启动演示专项行动，生成 {cases} 件复核案件。")
        if records:
            self.stdout.write("已设置演示专项行动的领导小组、动员大会记录和政策宣传记录。")
