"""The Explore tab, split by concern: ``tab`` (the ExploreTab: current design, layout, wiring,
the ``PANELS`` extension point), ``view`` (pure rendering helpers), ``models`` (model references
resolved once per visitor), ``morph`` and ``board`` (panels)."""
from .tab import PANELS, ExploreTab

__all__ = ["ExploreTab", "PANELS"]
