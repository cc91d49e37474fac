"""Benchmark helpers (bench/run.sh, bench/soak.sh); never imported by the app itself."""
