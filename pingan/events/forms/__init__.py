"""Forms of the event pages: reports (grid worker, hotline, one-key call), the moves of the
action panel, and routing rules.

The forms check the shape of the input; the rules (which channel, where, which move now) are
the services' (``pingan.events.services``). A ``ValidationError`` the service raises is put
back on the form's fields with :meth:`PinganForm.apply_service_errors`, so the page shows it
next to what the user typed.
"""

from pingan.events.forms.actions import (
    ActionForm,
    DepartmentChoiceField,
    DepartmentMultipleChoiceField,
    handling_departments,
)
from pingan.events.forms.common import (
    ERROR_FIELDS,
    MultipleFileInput,
    MultiplePhotoField,
    PinganForm,
    category_choices,
    new_client_key,
    report_regions,
    village_choices,
)
from pingan.events.forms.intake import HOTLINE_CHANNELS, HotlineForm, OneKeyForm, ReportForm
from pingan.events.forms.routing import RouteTestForm, RoutingRuleForm

__all__ = [
    "ActionForm",
    "DepartmentChoiceField",
    "DepartmentMultipleChoiceField",
    "ERROR_FIELDS",
    "HOTLINE_CHANNELS",
    "HotlineForm",
    "MultipleFileInput",
    "MultiplePhotoField",
    "OneKeyForm",
    "PinganForm",
    "ReportForm",
    "RouteTestForm",
    "RoutingRuleForm",
    "category_choices",
    "handling_departments",
    "new_client_key",
    "report_regions",
    "village_choices",
]
