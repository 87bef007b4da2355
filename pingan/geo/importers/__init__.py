"""Import the jurisdiction tree (CSV or Excel) and grids (GeoJSON).

Every good row is committed and every bad one is reported with the reason: each row runs in its
own savepoint inside one outer transaction, so a rejected row leaves nothing half-written and
never takes the good rows down with it. A file that cannot be read at all raises
``ImportFileError`` and imports nothing.
"""

from pingan.geo.importers.common import (
    ImportFileError,
    ImportReport,
    RowError,
    RowRejected,
    describe,
    duplicated,
    normalise_code,
)
from pingan.geo.importers.grids import KIND_WORDS, SUBKIND_WORDS, import_grids, read_features
from pingan.geo.importers.regions import (
    LEVEL_RANK,
    LEVEL_WORDS,
    PARENT_LEVELS,
    REGION_HEADERS,
    REQUIRED_REGION_COLUMNS,
    import_regions,
    read_region_rows,
)

__all__ = [
    "ImportFileError",
    "ImportReport",
    "KIND_WORDS",
    "LEVEL_RANK",
    "LEVEL_WORDS",
    "PARENT_LEVELS",
    "REGION_HEADERS",
    "REQUIRED_REGION_COLUMNS",
    "RowError",
    "RowRejected",
    "SUBKIND_WORDS",
    "describe",
    "duplicated",
    "import_grids",
    "import_regions",
    "normalise_code",
    "read_features",
    "read_region_rows",
]
