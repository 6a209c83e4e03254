"""Adding an outlet from its home page (`add-outlet`) and trying one out (`try-outlet`)."""
