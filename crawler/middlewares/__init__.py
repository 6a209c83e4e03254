"""Downloader middlewares of the crawler, one module each (as Scrapy's own are): robots.txt,
the outlets' origins, redirect and meta-refresh loops, Retry-After."""
