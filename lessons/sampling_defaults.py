"""Defaults lesson 3 and ``minigrad generate`` share for sampling text.

They live outside ``charlm`` so that ``minigrad``'s argument parser, built for
every command, can show them without importing the whole character model
(``charlm/__init__`` loads training, checkpoints and data). ``charlm.prime``
re-exports them.
"""

#: What the generator reads first unless told otherwise (a name from Romeo and Juliet).
DEFAULT_PRIME = "ROMEO:\n"
#: The sampling temperature used unless told otherwise.
DEFAULT_TEMPERATURE = 0.8
#: The backslash escapes ``--prime`` reads, for help texts.
ESCAPES_HELP = r"\n newline, \t tab, \\ backslash, \xHH, \uHHHH, \N{NAME}"
