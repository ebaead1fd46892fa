"""minigrad-mgu: the Minimal Gated Unit (Zhou et al. 2016) as a minigrad cell plugin.

Installing this package is all it takes: minigrad finds the cell through the
entry point in the group ``minigrad`` and lists it as ``mgu``::

    import minigrad as mg
    cell = mg.cells.create("mgu", input_size=3, hidden_size=4)
"""

from minigrad_mgu.cell import MGUCell

__version__ = "0.1.0"

__all__ = ["MGUCell"]
