"""Demo data shaped like the Sacramento joint-use partnership: the City, the seven
school districts within it, a few charter schools, their school sites, the City's
facilities and the community groups that use them.

The partnership's activity too: its agreements (blanket, long-term, a site
development project), the school-year programs (START, Passages, 4th R) as booking
series, community groups' and owners' one-off bookings, and shared cost items.

Built in two steps: `build_demo_data` makes plain values (no database, no clock but
the `today` it is given), then `write_demo_data` stores them in the caller's
transaction: the catalog as rows, the activity through the services the API calls,
each as of its own past `now`, so every rule, quote, history row and custodial charge
is the API's own. `load_demo_data` is the `jointuse demo-data` command.

- `seeds`: the plain values (`DemoData` and its parts)
- `catalog`: parties, sites and their spaces; `calendar`: school years, recesses,
  closures, Sacramento time
- `agreements`: the partnership's agreements
- `planner`: what the API would decide of a planned booking (its own rules and
  agreement choice)
- `programs`, `uses`, `examples`: the bookings planned (series, one-off uses, an
  example of every rule); `costs`: the shared cost items
- `build`: `build_demo_data`; `load`: writing it to a database, `load_demo_data`
"""

from app.demo.build import build_demo_data, sacramento_today
from app.demo.load import (
    DatabaseNotEmpty,
    DatabaseNotMigrated,
    DemoDataRefused,
    load_demo_data,
    write_demo_data,
)
from app.demo.seeds import (
    AgreementSeed,
    BookingAction,
    BookingSeed,
    CalendarExceptionSeed,
    CostItemSeed,
    DemoData,
    PartySeed,
    SeriesSeed,
    SiteSeed,
    SpaceSeed,
)

__all__ = [
    "AgreementSeed",
    "BookingAction",
    "BookingSeed",
    "CalendarExceptionSeed",
    "CostItemSeed",
    "DatabaseNotEmpty",
    "DatabaseNotMigrated",
    "DemoData",
    "DemoDataRefused",
    "PartySeed",
    "SeriesSeed",
    "SiteSeed",
    "SpaceSeed",
    "build_demo_data",
    "load_demo_data",
    "sacramento_today",
    "write_demo_data",
]
