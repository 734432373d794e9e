"""Plain figure builders: a DataFrame in, a plotly Figure out, and no Streamlit."""
