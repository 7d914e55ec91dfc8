"""Pure analysis on canonical tables and arrays: regions, borders, exposure, hotspots,
tracks. No Streamlit, no folium."""
