"""shgeo — geospatial compliance screening for Shanghai."""

from ._version import __version__

__all__ = ["__version__"]
