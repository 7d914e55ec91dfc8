"""The Streamlit app: pages, filters and state. Nothing heavy is computed here."""
