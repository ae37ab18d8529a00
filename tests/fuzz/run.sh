#!/bin/sh
# Random command lines against the parser and planner for ten minutes (or
# MKOSI_SANDBOX_FUZZ_SECONDS); any panic fails with the smallest input found.
set -eu
cd "$(dirname "$0")/../.."
MKOSI_SANDBOX_FUZZ_SECONDS=${MKOSI_SANDBOX_FUZZ_SECONDS:-600} \
	exec cargo test --release --locked --test fuzz_parser -- --nocapture
