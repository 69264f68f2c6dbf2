"""Django's SQLite backend with an owner's reset for append-only tables (see ``base``)."""
