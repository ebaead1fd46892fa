"""The exceptions minigrad raises.

Every error derives from ``MinigradError`` and from the built-in exception a
Python user would expect (a shape problem is also a ``ValueError``), so both
``except MinigradError`` and ``except ValueError`` work. Messages name the op,
cell, plugin or file involved, the shapes or values, and what to do about it.
"""

from __future__ import annotations


class MinigradError(Exception):
    """Base class of every error minigrad raises on purpose."""


class ShapeError(MinigradError, ValueError):
    """Shapes that do not fit an op, a cell or a state dict."""


class DTypeError(MinigradError, TypeError):
    """A dtype that an op does not accept, or two dtypes mixed silently."""


class OptionError(MinigradError, ValueError):
    """An option or hyper-parameter outside the values it may take (lr < 0, dropout p = 1)."""


class ArgumentError(MinigradError, TypeError):
    """An argument of a kind a function does not take (a Tensor where a number is needed)."""


class DeviceError(MinigradError, RuntimeError):
    """Arrays on different devices in one op, or a device that is not usable."""


class GraphError(MinigradError, RuntimeError):
    """Misuse of the autograd graph (backward twice, non-scalar backward...)."""


class NumericalError(MinigradError, FloatingPointError):
    """A NaN or Inf produced by an op while debug mode is on."""


class GradcheckError(MinigradError, AssertionError):
    """Analytic and numeric gradients disagree."""


class CheckpointError(MinigradError, ValueError):
    """A checkpoint that cannot be written or read safely."""


class StateDictError(MinigradError, KeyError):
    """A state dict with missing, unexpected or mis-shaped entries."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


class PluginError(MinigradError, RuntimeError):
    """A cell plugin that fails to load, register or behave."""


class CellError(MinigradError, ValueError):
    """A cell called or configured wrongly (unknown name or option, bad input)."""


class DataError(MinigradError, ValueError):
    """A corpus or data file that is missing, empty, binary or too short."""
