"""Getting articles: outlet spiders, URL discovery, extraction and dedupe."""
