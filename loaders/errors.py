"""Errors every importer raises the same way, so the command line and the app treat them alike."""


class FileRefused(Exception):
    """The file cannot be read as a whole; nothing was written. The message is one sentence."""
