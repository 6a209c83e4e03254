"""newsradar benchmarks; `bench/run` runs the suite (bench/suite.py)."""
