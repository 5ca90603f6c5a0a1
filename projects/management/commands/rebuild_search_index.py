from django.core.management.base import BaseCommand, CommandError

from projects.search import search_index_differences, search_index_rebuild

# How many differing projects are named in the output.
LISTED = 20


class Command(BaseCommand):
    help = (
        "按项目名称、编码、全国投资项目代码和建设内容重建关键词检索索引，分批写入；"
        "--check 只核对索引与项目文字，不写入，有差异时以状态 1 退出。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只核对，不写入；有差异时以状态 1 退出")

    def handle(self, *args, check, **options):
        if check:
            differing = search_index_differences()
            if differing:
                raise CommandError(
                    f"{len(differing)} 个项目的检索索引与项目文字不符（项目 id：{_listed(differing)}）；"
                    "请运行 manage.py rebuild_search_index 重建。"
                )
            self.stdout.write("所有项目的检索索引与项目文字一致")
            return
        count, differing = search_index_rebuild()
        self.stdout.write(f"已重建 {count} 个项目的检索索引，其中 {len(differing)} 个与原索引不符")
        if differing:
            self.stdout.write(f"不符的项目 id：{_listed(differing)}")


def _listed(ids: list[int]) -> str:
    shown = "、".join(str(pk) for pk in ids[:LISTED])
    return shown + (f" 等 {len(ids)} 个" if len(ids) > LISTED else "")
