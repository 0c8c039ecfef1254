"""The built-in example application used by ``align demo``: a dev/prod schema pair with drift."""
