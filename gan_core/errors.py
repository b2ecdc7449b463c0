"""The one exception type for mistakes a user can fix.

The CLI prints a UserError as one line and exits 2; the studio shows its
message in the page. Anything else is a bug and keeps its traceback.
"""


class UserError(ValueError):
    """A problem with the user's input; the message says what is wrong and what to do."""
