# Build, test and run the dcm-ids | dcm-find | dcm-lay toolkit.
# `make demo` runs the main job on a local PACS; `make test` runs every test.

PREFIX ?= /usr/local
DESTDIR ?=
CARGO ?= cargo
TOOLS := dcm-ids dcm-find dcm-lay

.PHONY: all build release deps test unit lint demo bench faults install uninstall clean

all: build

build:
	$(CARGO) build --workspace

release:
	$(CARGO) build --workspace --release

# Debian and PyPI packages the demo, the tests and the benchmarks need.
deps:
	scripts/install-deps.sh

# Unit tests need nothing outside the workspace.
unit:
	$(CARGO) test --workspace --lib --bins

# Everything is built before the private network namespace is entered:
# no package registry is reachable from inside it.
test: deps
	$(CARGO) build --workspace --all-targets
	scripts/netns.sh scripts/with-pacs.sh $(CARGO) test --workspace --offline

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

demo: deps release
	scripts/netns.sh scripts/demo.sh

bench: deps release
	scripts/netns.sh scripts/bench.sh

# Whole-pipeline fault runs against a local Orthanc (FAULTS.md); as root for
# the network and mount namespaces. CI runs FAULTS_ARGS=--small.
FAULTS_ARGS ?=
faults: deps release
	scripts/netns.sh scripts/faults.sh $(FAULTS_ARGS)

install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/dcm-tools/scripts
	for t in $(TOOLS); do install -m 755 target/release/$$t $(DESTDIR)$(PREFIX)/bin/; done
	install -m 755 scripts/parse-all-patients.sh $(DESTDIR)$(PREFIX)/bin/
	install -m 755 scripts/*.sh scripts/*.py $(DESTDIR)$(PREFIX)/share/dcm-tools/scripts/

uninstall:
	for t in $(TOOLS) parse-all-patients.sh; do rm -f $(DESTDIR)$(PREFIX)/bin/$$t; done
	rm -rf $(DESTDIR)$(PREFIX)/share/dcm-tools

clean:
	$(CARGO) clean
