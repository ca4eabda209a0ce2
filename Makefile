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

# The whole job side by side with the old one (BENCHMARKS.md), then each stage
# against its own baselines. BENCH_ARGS: e.g. --scale, --latency-ms 20.
BENCH_ARGS ?=
bench: deps release
	scripts/netns.sh scripts/bench.sh $(BENCH_ARGS)
	scripts/bench-ids.sh
	scripts/bench-lay.sh
	scripts/bench-find.sh

# Whole-pipeline fault runs against a local Orthanc (FAULTS.md); as root for
# the network and mount namespaces. CI runs FAULTS_ARGS=--small.
FAULTS_ARGS ?=
faults: deps release
	scripts/netns.sh scripts/faults.sh $(FAULTS_ARGS)

# Man pages and completions are printed by the installed binaries themselves
# (a hidden --generate KIND), so they always match the tools' --help.
# parse-all-patients.sh needs lib.sh beside it: both stay in the scripts
# folder, and bin/ gets a two-line wrapper that runs it from there with the
# installed tools first on PATH (cron's PATH is only /usr/bin:/bin).
BINDIR := $(PREFIX)/bin
MAN1DIR := $(PREFIX)/share/man/man1
BASHDIR := $(PREFIX)/share/bash-completion/completions
ZSHDIR := $(PREFIX)/share/zsh/site-functions
FISHDIR := $(PREFIX)/share/fish/vendor_completions.d
SHAREDIR := $(PREFIX)/share/dcm-tools
DOCDIR := $(PREFIX)/share/doc/dcm-tools

install: release
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN1DIR) $(DESTDIR)$(BASHDIR) \
		$(DESTDIR)$(ZSHDIR) $(DESTDIR)$(FISHDIR) $(DESTDIR)$(SHAREDIR)/scripts \
		$(DESTDIR)$(DOCDIR)/docs
	set -e; for t in $(TOOLS); do \
		install -m 755 target/release/$$t $(DESTDIR)$(BINDIR)/; \
		target/release/$$t --generate man > $(DESTDIR)$(MAN1DIR)/$$t.1; \
		target/release/$$t --generate complete-bash > $(DESTDIR)$(BASHDIR)/$$t; \
		target/release/$$t --generate complete-zsh > $(DESTDIR)$(ZSHDIR)/_$$t; \
		target/release/$$t --generate complete-fish > $(DESTDIR)$(FISHDIR)/$$t.fish; \
	done
	install -m 755 scripts/*.sh scripts/*.py $(DESTDIR)$(SHAREDIR)/scripts/
	printf '#!/bin/sh\nPATH=%s:$$PATH exec %s "$$@"\n' '$(BINDIR)' \
		'$(SHAREDIR)/scripts/parse-all-patients.sh' > $(DESTDIR)$(BINDIR)/parse-all-patients.sh
	chmod 755 $(DESTDIR)$(BINDIR)/parse-all-patients.sh
	install -m 644 README.md $(DESTDIR)$(DOCDIR)/
	install -m 644 docs/*.md $(DESTDIR)$(DOCDIR)/docs/

uninstall:
	for t in $(TOOLS); do \
		rm -f $(DESTDIR)$(BINDIR)/$$t $(DESTDIR)$(MAN1DIR)/$$t.1 $(DESTDIR)$(BASHDIR)/$$t \
			$(DESTDIR)$(ZSHDIR)/_$$t $(DESTDIR)$(FISHDIR)/$$t.fish; \
	done
	rm -f $(DESTDIR)$(BINDIR)/parse-all-patients.sh
	rm -rf $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(DOCDIR)

clean:
	$(CARGO) clean
