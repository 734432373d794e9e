"""Small Streamlit helpers the entry point and the pages share: database, viewer, cached reads."""
