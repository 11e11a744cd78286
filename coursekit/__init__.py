"""Small helpers that the course labs import.

One job per module: the run size (`mode`), the device (`device`), seeding (`seed`), where the
shared course data lives (`paths`), loaders that fall back to offline data (`vision`, `text`,
`graphs`, `models`), and a wall-clock timer (`timer`). Importing this package is cheap: the heavy
libraries are imported inside the functions that need them.
"""

from coursekit.device import device
from coursekit.mode import mode
from coursekit.paths import data_dir, data_report
from coursekit.seed import seed_everything
from coursekit.timer import timer

__all__ = ["data_dir", "data_report", "device", "mode", "seed_everything", "timer"]
