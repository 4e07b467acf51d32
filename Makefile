# sessionctl: build, test, demo, install.
PREFIX ?= /usr/local
DESTDIR ?=
SWIFT ?= swift
# The binary to install; by default the release build, made first.
BIN ?=
RELEASE_BIN = $(shell $(SWIFT) build -c release --show-bin-path)/sessionctl
INSTALL_BIN = $(if $(BIN),$(BIN),$(RELEASE_BIN))

.PHONY: all build test demo bench dist fuzz sanitize install uninstall completions clean format

all: build

build:
	$(SWIFT) build -c release --product sessionctl

test:
	scripts/test.sh

demo:
	scripts/demo.sh

# Benchmarks against the C floor and redis-cli (several minutes); see bench/bench.py.
bench:
	scripts/setup.sh
	python3 bench/bench.py

# A release binary with the Swift runtime linked in, and a Debian package (dist/); see scripts/dist.sh.
dist:
	scripts/setup.sh
	scripts/dist.sh

# libFuzzer over every target for FUZZ_SECONDS each (default 60); see scripts/fuzz.sh.
FUZZ_SECONDS ?= 60
fuzz:
	scripts/setup.sh
	scripts/fuzz.sh $(FUZZ_SECONDS)

# The unit and integration tests under AddressSanitizer, in a build folder of their own.
# Every sessionctl process the end-to-end tests start runs with leak detection on (a leak would
# exit 23 and fail its test); in the XCTest process itself it is off, since XCTest's and
# Foundation's weak-reference side tables are reported as leaked at its exit.
sanitize:
	scripts/setup.sh
	$(SWIFT) build --build-tests --scratch-path .build-asan -Xswiftc -sanitize=address
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --skip-build --scratch-path .build-asan --disable-swift-testing

# Formats the tree as .swift-format says (scripts/test.sh lints it with --strict).
format:
	$(SWIFT) format format --in-place --recursive --parallel Sources Tests fuzz/Targets Package.swift

# Regenerates the committed completion scripts from the option table.
completions:
	$(SWIFT) build --product sessionctl
	$$($(SWIFT) build --show-bin-path)/sessionctl completion bash > completions/bash/sessionctl
	$$($(SWIFT) build --show-bin-path)/sessionctl completion zsh > completions/zsh/_sessionctl
	$$($(SWIFT) build --show-bin-path)/sessionctl completion fish > completions/fish/sessionctl.fish

install: $(if $(BIN),,build)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	  $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(INSTALL_BIN) $(DESTDIR)$(PREFIX)/bin/sessionctl
	install -m 644 man/sessionctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/sessionctl.1
	install -m 644 completions/bash/sessionctl $(DESTDIR)$(PREFIX)/share/bash-completion/completions/sessionctl
	install -m 644 completions/zsh/_sessionctl $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_sessionctl
	install -m 644 completions/fish/sessionctl.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/sessionctl.fish

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/sessionctl $(DESTDIR)$(PREFIX)/share/man/man1/sessionctl.1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/sessionctl \
	  $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_sessionctl \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/sessionctl.fish

clean:
	rm -rf .build .build-dist .build-fuzz .build-asan dist
