"""Mail written to files, privately: the quick start's default email backend.

Its messages carry sign-up confirmation and password-reset links, which are as good as a password
for a while, so each file is 0600 and the folder 0700 (core.private_files' rule for secrets).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.mail.backends import filebased

from millet.core.private_files import restrict


class PrivateFileEmailBackend(filebased.EmailBackend):
    """Django's file backend (one file per connection under ``EMAIL_FILE_PATH``), kept private."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        os.chmod(self.file_path, 0o700)

    def open(self) -> bool:
        opened = super().open()
        if opened:  # the file is still empty: private before the first message is written
            restrict(Path(self.stream.name))
        return opened
