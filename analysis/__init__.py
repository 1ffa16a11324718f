"""Reads the Parquet edge dataset and turns it into a map. Never imports the crawler."""
