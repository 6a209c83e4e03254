"""Running newsradar in the open: outlet health, the status table, metrics, logging, notices."""
