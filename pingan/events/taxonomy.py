"""The seeded event taxonomy: categories with SLA policies, keyword rules, and default routes.

Drawn from the seeds (网格便民呼, 吹哨报到) and digital urban management practice
(GB/T 30428 部件事件分类). Codes: two digits for a major category, four for a minor one.
Each minor category: (code, name, priority, sign-for time, resolution time, department key,
keywords). Times are (amount, unit) with units "nh" natural hours, "nd" natural days,
"wh" working hours, "wd" working days. The department key names the county department that
handles it by default (``<county code>-<key>``); routing rules for a real county are set up
by its admins, the demo county gets them from here. Keywords: alternatives with ``|``,
words that must all occur with ``+``.
"""

from __future__ import annotations

from pingan.core.sla import Unit

UNITS = {
    "nh": Unit.NATURAL_HOURS,
    "nd": Unit.NATURAL_DAYS,
    "wh": Unit.WORKING_HOURS,
    "wd": Unit.WORKING_DAYS,
}

URGENT_SIGN = (0.5, "nh")
FAST_SIGN = (1, "nh")
NORMAL_SIGN = (2, "wh")

TAXONOMY: list[tuple[str, str, list[tuple]]] = [
    (
        "01",
        "道路桥梁",
        [
            (
                "0101",
                "道路破损坑槽",
                "normal",
                NORMAL_SIGN,
                (3, "wd"),
                "transport",
                "路面破损|坑槽|坑洼|路面塌陷|道路+坑",
            ),
            (
                "0102",
                "桥梁隐患",
                "high",
                FAST_SIGN,
                (2, "wd"),
                "transport",
                "桥梁+裂缝|桥面|护栏+断|桥墩",
            ),
            (
                "0103",
                "道路塌方阻断",
                "urgent",
                URGENT_SIGN,
                (8, "nh"),
                "transport",
                "塌方|道路中断|落石|路基+垮",
            ),
            (
                "0104",
                "路灯设施",
                "low",
                NORMAL_SIGN,
                (5, "wd"),
                "enforcement",
                "路灯+不亮|路灯+坏|路灯",
            ),
        ],
    ),
    (
        "02",
        "挡墙与地质灾害",
        [
            (
                "0201",
                "挡墙垮塌隐患",
                "urgent",
                URGENT_SIGN,
                (12, "nh"),
                "transport",
                "挡墙|挡土墙|堡坎|护坡+垮",
            ),
            (
                "0202",
                "滑坡泥石流隐患",
                "urgent",
                URGENT_SIGN,
                (12, "nh"),
                "natural-resources",
                "滑坡|泥石流|山体+开裂|地裂缝",
            ),
            (
                "0203",
                "崩塌落石",
                "urgent",
                URGENT_SIGN,
                (12, "nh"),
                "natural-resources",
                "崩塌|危岩|山石+滚落",
            ),
        ],
    ),
    (
        "03",
        "供水排水",
        [
            (
                "0301",
                "供水管道爆裂",
                "high",
                FAST_SIGN,
                (1, "wd"),
                "water-supply",
                "水管+爆|爆管|自来水+漏|停水",
            ),
            (
                "0302",
                "排水堵塞内涝",
                "high",
                FAST_SIGN,
                (2, "wd"),
                "housing",
                "下水道+堵|排水+堵|内涝|积水|污水+冒",
            ),
            (
                "0303",
                "河道水利设施",
                "normal",
                NORMAL_SIGN,
                (5, "wd"),
                "water",
                "河道|堤坝|水渠|沟渠+垮",
            ),
        ],
    ),
    (
        "04",
        "供电",
        [
            (
                "0401",
                "电力线路隐患",
                "high",
                FAST_SIGN,
                (1, "wd"),
                "power",
                "电线+断|电线杆+倒|电线+垂|变压器|漏电",
            ),
            ("0402", "停电", "normal", FAST_SIGN, (1, "wd"), "power", "停电|断电|没电"),
        ],
    ),
    (
        "05",
        "房屋安全",
        [
            (
                "0501",
                "危房隐患",
                "high",
                FAST_SIGN,
                (3, "wd"),
                "housing",
                "危房|房屋+裂缝|墙体+开裂|房屋+倾斜",
            ),
            (
                "0502",
                "违章建筑",
                "normal",
                NORMAL_SIGN,
                (10, "wd"),
                "enforcement",
                "违章建筑|违建|私搭乱建|乱搭乱建",
            ),
            (
                "0503",
                "建筑施工安全",
                "normal",
                NORMAL_SIGN,
                (5, "wd"),
                "housing",
                "工地|施工+噪音|脚手架|塔吊",
            ),
        ],
    ),
    (
        "06",
        "消防安全",
        [
            (
                "0601",
                "消防通道堵塞",
                "high",
                FAST_SIGN,
                (2, "wd"),
                "emergency",
                "消防通道|生命通道|占用+通道",
            ),
            (
                "0602",
                "火灾隐患",
                "high",
                FAST_SIGN,
                (2, "wd"),
                "emergency",
                "火灾隐患|私拉电线|飞线充电|电动车+楼道|灭火器",
            ),
            (
                "0603",
                "燃气隐患",
                "urgent",
                URGENT_SIGN,
                (8, "nh"),
                "emergency",
                "燃气+泄漏|煤气+味|液化气",
            ),
        ],
    ),
    (
        "07",
        "环境卫生",
        [
            (
                "0701",
                "垃圾清运",
                "normal",
                NORMAL_SIGN,
                (2, "wd"),
                "enforcement",
                "垃圾|垃圾桶+满|乱倒|建筑垃圾",
            ),
            (
                "0702",
                "环境污染",
                "normal",
                NORMAL_SIGN,
                (5, "wd"),
                "ecology",
                "污染|排污|黑臭|异味|焚烧|冒黑烟",
            ),
            ("0703", "公厕问题", "low", NORMAL_SIGN, (3, "wd"), "enforcement", "公厕|厕所+脏"),
        ],
    ),
    (
        "08",
        "市场秩序",
        [
            (
                "0801",
                "占道经营",
                "low",
                NORMAL_SIGN,
                (2, "wd"),
                "enforcement",
                "占道经营|流动摊贩|摆摊",
            ),
            (
                "0802",
                "食品安全",
                "high",
                FAST_SIGN,
                (3, "wd"),
                "market",
                "食品安全|过期食品|变质|无证经营",
            ),
            (
                "0803",
                "价格与消费纠纷",
                "normal",
                NORMAL_SIGN,
                (5, "wd"),
                "market",
                "乱收费|价格欺诈|假冒|缺斤短两",
            ),
        ],
    ),
    (
        "09",
        "交通秩序",
        [
            ("0901", "乱停乱放", "low", NORMAL_SIGN, (2, "wd"), "police", "乱停|违停|占用+车位"),
            (
                "0902",
                "交通设施损坏",
                "normal",
                NORMAL_SIGN,
                (3, "wd"),
                "transport",
                "红绿灯|信号灯|交通标志|减速带",
            ),
            (
                "0903",
                "交通事故隐患点",
                "high",
                FAST_SIGN,
                (3, "wd"),
                "police",
                "事故多发|急弯+无|视线+遮挡",
            ),
        ],
    ),
    (
        "10",
        "治安防范",
        [
            (
                "1001",
                "治安隐患",
                "high",
                FAST_SIGN,
                (1, "wd"),
                "police",
                "盗窃|偷|打架|斗殴|可疑人员|赌博",
            ),
            ("1002", "电信诈骗线索", "high", FAST_SIGN, (1, "wd"), "police", "诈骗|骗子|刷单"),
            (
                "1003",
                "监控设施故障",
                "normal",
                NORMAL_SIGN,
                (3, "wd"),
                "police",
                "摄像头+坏|监控+坏|天网",
            ),
        ],
    ),
    (
        "11",
        "森林草原",
        [
            (
                "1101",
                "山火险情",
                "urgent",
                URGENT_SIGN,
                (6, "nh"),
                "forestry",
                "山火|森林火灾|冒烟+山|草原+火|烧荒",
            ),
            (
                "1102",
                "野生动物",
                "high",
                FAST_SIGN,
                (1, "wd"),
                "forestry",
                "野生动物|野猪|熊|受伤+鸟|盗猎",
            ),
            (
                "1103",
                "乱砍滥伐",
                "normal",
                NORMAL_SIGN,
                (5, "wd"),
                "forestry",
                "砍树|乱砍|滥伐|毁林",
            ),
        ],
    ),
    (
        "12",
        "邻里纠纷",
        [
            (
                "1201",
                "邻里矛盾",
                "normal",
                NORMAL_SIGN,
                (5, "wd"),
                "justice",
                "邻居|邻里|吵架|纠纷",
            ),
            (
                "1202",
                "土地边界纠纷",
                "normal",
                NORMAL_SIGN,
                (10, "wd"),
                "justice",
                "边界+纠纷|宅基地|地界|土地+纠纷",
            ),
            (
                "1203",
                "劳资纠纷",
                "high",
                FAST_SIGN,
                (5, "wd"),
                "hrss",
                "欠薪|拖欠工资|讨薪|工资+不发",
            ),
        ],
    ),
    (
        "13",
        "困难群众帮扶",
        [
            (
                "1301",
                "独居老人关爱",
                "high",
                FAST_SIGN,
                (2, "wd"),
                "civil-affairs",
                "独居老人|老人+无人照顾|空巢",
            ),
            (
                "1302",
                "生活困难救助",
                "normal",
                NORMAL_SIGN,
                (5, "wd"),
                "civil-affairs",
                "低保|救助|困难户|生活困难",
            ),
            (
                "1303",
                "留守儿童",
                "high",
                FAST_SIGN,
                (3, "wd"),
                "education",
                "留守儿童|辍学|孩子+无人",
            ),
        ],
    ),
    (
        "14",
        "便民服务",
        [
            (
                "1401",
                "证照办理咨询",
                "low",
                NORMAL_SIGN,
                (3, "wd"),
                "police",
                "办证|户口|身份证+办|咨询",
            ),
            (
                "1402",
                "医疗卫生服务",
                "normal",
                NORMAL_SIGN,
                (3, "wd"),
                "health",
                "看病|医保|卫生院|疫苗",
            ),
            (
                "1403",
                "物业与公共设施",
                "low",
                NORMAL_SIGN,
                (5, "wd"),
                "housing",
                "物业|电梯+坏|健身器材",
            ),
        ],
    ),
    (
        "15",
        "意见建议",
        [
            ("1501", "意见建议", "low", NORMAL_SIGN, (10, "wd"), None, "建议|意见|希望"),
        ],
    ),
]


def rows():
    """Yield (major, minor-or-None) tuples in code order."""
    for code, name, minors in TAXONOMY:
        yield (code, name), None
        for minor in minors:
            yield (code, name), minor


def load_taxonomy(category_model, keyword_model) -> int:
    """Create the categories and keyword rules that are missing; leave edited ones alone."""
    created = 0
    for order, (code, name, minors) in enumerate(TAXONOMY):
        major, made = category_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "sort_order": order,
                "sign_amount": 2,
                "sign_unit": Unit.WORKING_HOURS,
                "resolve_amount": 5,
                "resolve_unit": Unit.WORKING_DAYS,
            },
        )
        created += made
        for index, (minor_code, minor_name, priority, sign, resolve, _dept, words) in enumerate(
            minors
        ):
            minor, made = category_model.objects.get_or_create(
                code=minor_code,
                defaults={
                    "name": minor_name,
                    "parent": major,
                    "priority": priority,
                    "sign_amount": sign[0],
                    "sign_unit": UNITS[sign[1]],
                    "resolve_amount": resolve[0],
                    "resolve_unit": UNITS[resolve[1]],
                    "sort_order": index,
                    # Fire and disaster risks are checked by the centre within the hour anyway;
                    # every category goes straight to its department.
                    "auto_dispatch": True,
                },
            )
            created += made
            if made:
                keyword_model.objects.create(phrase=words, category=minor, weight=0.8)
    return created


def default_routes() -> dict[str, str]:
    """Return {minor category code: county department key} (suggestions have no route)."""
    return {m[0]: m[5] for _code, _name, minors in TAXONOMY for m in minors if m[5]}
