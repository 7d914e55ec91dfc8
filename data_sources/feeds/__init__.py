"""Live feeds: HTTP fetching with the last good response kept, and the sources."""
