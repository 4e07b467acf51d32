#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, and runs every test
# (unit, integration against real redis-server processes, end to end through the binary).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# make dist's binary runs without the toolchain and its package installs (before the suite,
# so that the suite's summary is the last line).
scripts/test-dist.sh
# A short run of every fuzz target, so that the fuzz build never rots (make fuzz runs them long).
scripts/fuzz.sh 5
# The layout is swift format's (the toolchain's own; .swift-format): lint --strict fails on any drift.
swift format lint --strict --recursive --parallel Sources Tests fuzz/Targets Package.swift
# Warnings are errors: the build stays warning-free.
swift build --build-tests -Xswiftc -warnings-as-errors
swift test --skip-build --disable-swift-testing
