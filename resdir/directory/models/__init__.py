"""The directory, in Open Referral HSDS 3.0 vocabulary.

Table and column names follow HSDS 3.0 so that import and export are lossless. What HSDS
lacks is marked "resdir extension": structured eligibility, capacity, confidential
locations, typed service areas, holiday closures and source keys for idempotent imports.

The tables live in four modules (listings, details, taxonomy, index_log); this package hands
them all on, so callers write `from resdir.directory import models as m` and `m.Service`.
"""

from resdir.directory.models.details import (
    INSURANCE_TYPES,
    PHONE_ORDER,
    WEEKDAYS,
    Contact,
    CostOption,
    Eligibility,
    Language,
    Phone,
    RequiredDocument,
    Schedule,
    ServiceArea,
)
from resdir.directory.models.index_log import IndexChange, IndexLogState, IndexOutbox
from resdir.directory.models.listings import (
    CAPACITY_STATUSES,
    SERVICE_STATUSES,
    Address,
    Location,
    Organization,
    Service,
    ServiceAtLocation,
)
from resdir.directory.models.taxonomy import (
    CATEGORY_TAXONOMY_ID,
    Attribute,
    Taxonomy,
    TaxonomyTerm,
)

__all__ = [
    "CAPACITY_STATUSES", "CATEGORY_TAXONOMY_ID", "INSURANCE_TYPES", "PHONE_ORDER",
    "SERVICE_STATUSES",
    "WEEKDAYS", "Address", "Attribute", "Contact", "CostOption", "Eligibility", "IndexChange",
    "IndexLogState", "IndexOutbox", "Language", "Location", "Organization", "Phone",
    "RequiredDocument", "Schedule", "Service", "ServiceArea", "ServiceAtLocation", "Taxonomy",
    "TaxonomyTerm",
]
