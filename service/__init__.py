"""The one door: every entrance (the dashboard, ``python -m reports``,
``python -m geo``, later the node API) asks the situation service for a
scenario, a region and a summary. Nothing below this package imports it."""

from .situation import SituationService

__all__ = ["SituationService"]
