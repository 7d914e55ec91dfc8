"""Map layers (folium) built from geo results, with legends and attribution."""
