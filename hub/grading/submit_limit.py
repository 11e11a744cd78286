"""`nbgrader submit` through ngshare, refused up front with a clear message when too big.

ngshare (Tornado) drops a request body over 100 MB by closing the connection; ngshare_exchange
then logs a traceback and "Failed to submit.", and nbgrader still exits 0: the student cannot
tell that nothing arrived. Measuring first gives the reason, the biggest files and what to do.
Files are base64-encoded on the way (4/3 of their size), so the course's limit must stay under
75 MB (the course file's `submission_limit_mb`, passed by the spawner).
"""

from __future__ import annotations

import os

from ngshare_exchange.submit import ExchangeSubmit

from hub.grading.submission_size import DEFAULT_LIMIT_MB, LIMIT_ENV, submitted_files, too_big


class SizeLimitedSubmit(ExchangeSubmit):
    def post_submission(self, src_path):
        limit = float(os.environ.get(LIMIT_ENV) or DEFAULT_LIMIT_MB)
        problem = too_big(submitted_files(src_path, self.ignore_patterns()), limit)
        if problem:
            self.fail(problem)  # ExchangeError: nbgrader exits 1, the lab extension shows it
        return super().post_submission(src_path)
