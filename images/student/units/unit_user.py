"""The server runs as the non-root user jovyan (uid 1000) with its home writable."""

import os
import pwd

assert os.getuid() == 1000, f"running as uid {os.getuid()}, expected 1000"
assert pwd.getpwuid(os.getuid()).pw_name == "jovyan"
home = os.path.expanduser("~")
assert home == "/home/jovyan" and os.access(home, os.W_OK)
print("ok: uid 1000 (jovyan), home writable")
