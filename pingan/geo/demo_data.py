"""The data of the fictional demo county 示范县: places, departments, accounts and name lists.

Everything here is invented. Coordinates put the county in the mountains of western Sichuan
(around 102°E, 30°N) so that the map looks plausible; codes use the unassigned county code 513999.
"""

from __future__ import annotations

COUNTY_CODE = "513999"
COUNTY_NAME = "示范县"
# (west, south, east, north) in degrees.
COUNTY_BBOX = (101.90, 29.90, 102.30, 30.20)

# Townships tile the county: a river valley runs west to east through the middle column, where
# the county seat (城关街道) lies; mountain townships flank it.
# (code suffix, name, bbox, villages per row from south to north, village names south to north,
#  west to east). The first township is the county-seat street with communities (社区).
TOWNSHIPS: list[tuple[str, str, tuple[float, float, float, float], list[int], list[str]]] = [
    (
        "001",
        "城关街道",
        (102.04, 30.02, 102.14, 30.07),
        [4, 4],
        ["南门社区", "河滨社区", "东街社区", "桥头社区"]
        + ["西街社区", "北门社区", "新城社区", "团结社区"],
    ),
    (
        "002",
        "河口镇",
        (102.04, 29.90, 102.14, 30.02),
        [3, 3, 2],
        ["大河坝村", "沙坝村", "双河村", "柳树村", "河口村", "岩门村", "回龙村", "新街村"],
    ),
    (
        "003",
        "龙泉镇",
        (102.04, 30.07, 102.14, 30.20),
        [2, 3, 2],
        ["中坝村", "龙泉村", "水井村", "碾坊村", "青杠村", "马家坪村", "观音岩村"],
    ),
    (
        "004",
        "高原乡",
        (101.90, 30.06, 102.04, 30.20),
        [2, 3, 2],
        ["草坪村", "高原村", "下寨村", "上寨村", "格西村", "扎拉村", "牧场村"],
    ),
    (
        "005",
        "雪山乡",
        (101.90, 29.90, 102.04, 30.06),
        [2, 3, 2],
        ["黑石村", "金坪村", "杉树坪村", "雪山村", "日央村", "冷碛村", "磨子沟村"],
    ),
    (
        "006",
        "新桥镇",
        (102.14, 29.90, 102.30, 30.00),
        [4, 4],
        ["花椒村", "大田村", "新桥村", "白杨村", "黄泥村", "三合村", "石板村", "红星村"],
    ),
    (
        "007",
        "石门乡",
        (102.14, 30.00, 102.30, 30.10),
        [4, 3],
        ["凉水村", "石门村", "干沟村", "和平村", "胜利村", "堡子村", "核桃村"],
    ),
    (
        "008",
        "松林乡",
        (102.14, 30.10, 102.30, 30.20),
        [4, 4],
        ["麻柳村", "松林村", "铁厂村", "杜鹃村", "鹿鸣村", "二道坪村", "顶坪村", "老街村"],
    ),
]

# Townships where many residents are Tibetan: their teams get Tibetan names more often.
TIBETAN_TOWNSHIPS = {"004", "005"}

# How many base grids a village or community is split into (default 1 for villages, 2 for
# communities of the county seat: about 200 households per community grid).
GRID_COUNTS = {
    "东街社区": 3,
    "新城社区": 3,
    "河口村": 3,
    "新桥村": 2,
    "龙泉村": 2,
    "石门村": 2,
    "沙坝村": 2,
    "松林村": 2,
}

CHINESE_NUMERALS = "一二三四五六七八九十"

# Dedicated grids (专属网格): (village name, sequence, name, subkind, households, description).
DEDICATED_GRIDS = [
    ("东街社区", 101, "县第一中学专属网格", "school", 0, "示范县第一中学校园及周边，学生约2400人"),
    ("西街社区", 101, "县实验小学专属网格", "school", 0, "示范县实验小学校园及校门口通学路段"),
    ("河滨社区", 101, "县人民医院专属网格", "hospital", 12, "示范县人民医院院区、住院部及职工宿舍"),
    ("桥头社区", 101, "城关农贸市场专属网格", "market", 18, "城关农贸市场及周边商铺，摊位约300个"),
    ("雪山村", 101, "云海草原景区专属网格", "scenic", 6, "云海草原景区游客中心、栈道及停车场"),
    ("河口村", 101, "河口水电站专属网格", "enterprise", 4, "河口水电站厂区、大坝及库区管理范围"),
]

# The seasonal grid on the high pastures of 高原乡 (caterpillar-fungus digging season).
MOBILE_GRID = {
    "township": "004",
    "sequence": 1,
    "name": "高山虫草采挖季流动网格",
    "households": 0,
    "description": "每年5月1日至8月31日虫草采挖季启用，覆盖高原乡北部高山草场，"
    "负责采挖人员登记、防火、防走失和矛盾纠纷调处",
    # Fractions of the township's bbox: (west, south, east, north).
    "extent": (0.08, 0.55, 0.92, 0.97),
}

# County bureaus: (code suffix, full name, short name, kind).
COUNTY_DEPARTMENTS = [
    ("center", "示范县综治中心", "县综治中心", "center"),
    ("transport", "示范县交通运输局", "交通运输局", "bureau"),
    ("housing", "示范县住房和城乡建设局", "住建局", "bureau"),
    ("natural-resources", "示范县自然资源局", "自然资源局", "bureau"),
    ("water", "示范县水利局", "水利局", "bureau"),
    ("emergency", "示范县应急管理局", "应急管理局", "bureau"),
    ("market", "示范县市场监督管理局", "市场监管局", "bureau"),
    ("police", "示范县公安局", "公安局", "police"),
    ("justice", "示范县司法局", "司法局", "judicial"),
    ("court", "示范县人民法院", "人民法院", "judicial"),
    ("civil-affairs", "示范县民政局", "民政局", "bureau"),
    ("health", "示范县卫生健康局", "卫健局", "bureau"),
    ("education", "示范县教育局", "教育局", "bureau"),
    ("ecology", "示范县生态环境局", "生态环境局", "bureau"),
    ("forestry", "示范县林业和草原局", "林草局", "bureau"),
    ("enforcement", "示范县综合行政执法局", "综合执法局", "bureau"),
    ("agriculture", "示范县农业农村局", "农业农村局", "bureau"),
    ("hrss", "示范县人力资源和社会保障局", "人社局", "bureau"),
    ("culture-tourism", "示范县文化广播电视和旅游局", "文广旅局", "bureau"),
    ("petition", "示范县信访局", "信访局", "bureau"),
    ("power", "国网示范县供电公司", "供电公司", "enterprise"),
    ("water-supply", "示范县自来水公司", "自来水公司", "enterprise"),
]

# Townships with a people's tribunal (人民法庭) of the county court.
COURT_TOWNSHIPS = {"001", "002", "004", "006"}

# Demo accounts: (username, full name, what they do in Chinese, memberships, is_staff, superuser).
# A membership is (role, unit) where unit is "county", "township:001", "grid:grid01",
# "grid:grid02" or "department:transport".
DEMO_PASSWORD = "pingan-demo"  # noqa: S105 -- the published demo password
DEMO_ACCOUNTS = [
    ("admin", "系统管理员", "系统管理员（超级用户）", [("admin", "county")], True, True),
    ("center", "张建国", "县综治中心调度员", [("center", "county")], True, False),
    ("leader", "刘志强", "县领导（督查督办）", [("leader", "county")], False, False),
    ("town01", "陈丽", "城关街道综治中心调度员", [("center", "township:001")], False, False),
    (
        "grid01",
        "李晓燕",
        "网格员（城关街道社区网格）",
        [("grid_worker", "grid:grid01")],
        False,
        False,
    ),
    (
        "grid02",
        "泽仁多吉",
        "网格员（河口镇农村网格）",
        [("grid_worker", "grid:grid02")],
        False,
        False,
    ),
    (
        "police01",
        "赵刚",
        "网格警员（grid01 所在网格）",
        [("grid_police", "grid:grid01")],
        False,
        False,
    ),
    (
        "dept-transport",
        "周海",
        "交通运输局办理人员",
        [("department_handler", "department:transport")],
        False,
        False,
    ),
    (
        "dept-housing",
        "吴敏",
        "住建局办理人员",
        [("department_handler", "department:housing")],
        False,
        False,
    ),
    (
        "mediator01",
        "杨秀英",
        "人民调解员（城关街道）",
        [("mediator", "township:001")],
        False,
        False,
    ),
    (
        "resident01",
        "黄永福",
        "群众（居住在 grid01 所在网格）",
        [("resident", "grid:grid01")],
        False,
        False,
    ),
]
# Which base grids the grid accounts work in: (village name, grid number within the village).
DEMO_GRIDS = {"grid01": ("南门社区", 1), "grid02": ("大河坝村", 1)}

SURNAMES = (
    "王李张刘陈杨黄赵周吴徐孙马胡朱郭何罗高林郑梁谢唐许冯宋韩邓彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕"
    "丁任卢姚沈钟姜崔谭陆范汪廖石金贾夏付方邹熊白孟秦邱侯江尹薛段雷龙黎史陶贺毛郝顾龚邵万武严向汤康易"
)
GIVEN_NAMES = [
    "建国", "建华", "志强", "志明", "国强", "国华", "海燕", "秀英", "秀兰", "桂英", "玉兰", "丽华",
    "红梅", "晓燕", "晓东", "文杰", "俊", "伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋",
    "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平", "刚", "桂芳", "德明", "德华", "永福",
    "永红", "春梅", "春华", "小林", "家豪", "雨欣", "浩然", "思远", "宇航", "欣怡", "光荣", "继红",
    "学军", "淑芬", "玉珍", "成林", "世华", "正清", "兴旺", "长青",
]  # fmt: skip
TIBETAN_NAMES = [
    "扎西", "卓玛", "次仁", "泽仁", "格桑", "拉姆", "多吉", "央金", "尼玛", "益西", "降措", "曲珍",
    "四郎", "达瓦", "德吉", "贡布", "洛绒", "翁姆", "松吉", "呷绒",
]  # fmt: skip

# The admin group of the demo centre staff.
CENTRE_STAFF_GROUP = "综治中心管理员（演示）"
