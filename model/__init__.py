"""The ground floor: typed contracts every other package speaks.

Imports nothing of ours. ``schema`` is the canonical data model the readers
produce; ``scenario`` the layers a situation is computed over; ``situation``
what a user asks for (``Filters``, ``Region``, ``Period``) and what every
renderer receives (``Summary``); ``ports`` the stores and raster sources the
upper floors depend on.
"""
