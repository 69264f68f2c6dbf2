"""The ``millet`` command: Django's management commands with Millet's settings preselected."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "millet.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["millet", *sys.argv[1:]])


if __name__ == "__main__":
    main()
