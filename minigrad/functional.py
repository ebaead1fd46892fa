"""Every differentiable op as a plain function: ``minigrad.functional.tanh(x)``.

The same functions are available as ``minigrad.tanh(x)`` and, where it reads
naturally, as tensor methods (``x.tanh()``).
"""

from minigrad.ops import *  # noqa: F403 - this module *is* the flat list of ops
from minigrad.ops import __all__  # noqa: F401
