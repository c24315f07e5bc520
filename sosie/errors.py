"""One exception type for everything a user can fix; the CLI prints it as one line."""


class SosieError(Exception):
    """A problem the user can act on. ``str(error)`` is a complete one-line message."""


class UnknownPersona(SosieError):
    pass


class NotBuilt(SosieError):
    pass


class BadSource(SosieError):
    """A file that cannot be ingested; the message names the file and what to do."""
