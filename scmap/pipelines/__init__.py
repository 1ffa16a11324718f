"""Item pipelines: `parquet_writer.ParquetWriterPipeline` stores the crawl as Parquet."""
