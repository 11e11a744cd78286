"""GPU slots for the course's servers: inventory, allocation, profiles, GPU-aware culling.

The spawner's entry points (see docs/gpus.md):
- `discover_inventory(course.gpus)` at hub start -> `Inventory` (.gpus);
- `allowed_profiles`, `options_form_html`, `options_from_form`, `resolve_profile` for the form;
- `holding_labels(containers)` + `allocate(profile, gpus, labels, allowed)` -> `Slot`
  (`.labels(user, server)`, `.device_request()`), or `NoGpuSlot` with the message to show.
"""

from hub.gpu.allocator import (
    HOLDING_STATES,
    LABEL_DEVICES,
    LABEL_MODE,
    LABEL_PROFILE,
    LABEL_SERVER,
    LABEL_USER,
    NoGpuSlot,
    Occupancy,
    Slot,
    allocate,
    capacity,
    free_places,
    holding_labels,
    occupancy_from_labels,
)
from hub.gpu.inventory import Inventory, discover_inventory
from hub.gpu.profiles import (
    ProfileNotAllowed,
    allowed_profiles,
    default_profile,
    options_form_html,
    options_from_form,
    resolve_profile,
    uses_gpus,
)

__all__ = [
    "HOLDING_STATES",
    "LABEL_DEVICES",
    "LABEL_MODE",
    "LABEL_PROFILE",
    "LABEL_SERVER",
    "LABEL_USER",
    "Inventory",
    "NoGpuSlot",
    "Occupancy",
    "ProfileNotAllowed",
    "Slot",
    "allocate",
    "allowed_profiles",
    "capacity",
    "default_profile",
    "discover_inventory",
    "free_places",
    "holding_labels",
    "occupancy_from_labels",
    "options_form_html",
    "options_from_form",
    "resolve_profile",
    "uses_gpus",
]
