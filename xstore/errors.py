"""The one exception type for mistakes a user can make: the CLI prints its message and exits 2."""


class UserError(Exception):
    """A problem the user can fix (bad spec, unknown name, missing file, locked database).

    The message is the whole story: the CLI prints it on one line, without a traceback.
    """

    exit_code = 2


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a fill, carrying the one line to print: what this run stored and how to go on."""

    exit_code = 130  # 128 + SIGINT, as shells report it
