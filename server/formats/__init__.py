"""Pure conversions: CSV points, model export and import, PNG and Plotly."""
