# banpipe: logmatch | bancount | fwban
#
#   make demo    build, then run the pipeline over testdata/demo/auth.log (dry-run firewall)
#   make test    go vet, gofmt check, go test -race (firewall tests run as root in namespaces),
#                then one line listing the skipped tests (CI=true: a missing tool fails)

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -s -w -X github.com/banpipe/banpipe/internal/clirun.Version=$(VERSION)
# urfave_cli_no_docs: no Markdown/man generation from the CLI (unused: the
# man pages are written by hand), so no blackfriday in the binaries: about
# 1 ms of package init and 80 page faults less at every start
BUILD   := CGO_ENABLED=0 $(GO) build -trimpath -tags urfave_cli_no_docs -ldflags "$(LDFLAGS)"
CMDS    := logmatch bancount fwban banreport

.PHONY: all build test vet fmt-check lint demo bench man install clean fuzz report-screenshot deb

all: build

build:
	@mkdir -p bin
	$(BUILD) -o bin/ ./cmd/...

vet:
	$(GO) vet ./...

# staticcheck, pinned; the first run downloads and builds it.
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint:
	$(STATICCHECK) ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The end-to-end tests (real binaries, real kernel) run after the others,
# alone, so that the rest of the suite does not load the machine under them.
# internal/testsummary runs go test and ends with one line naming the skipped
# tests; under CI=true a test whose tool is missing fails instead of skipping
# (internal/testenv). The allocation tests skip under -race: they run again
# without it (make test selects them by name: Allocs or CostNothing).
GOTEST := $(GO) run ./internal/testsummary
test: vet fmt-check lint build
	$(GOTEST) -race -count=1 -timeout 15m $$($(GO) list ./... | grep -v /internal/e2e$$)
	$(GOTEST) -race -count=1 -p 1 -timeout 10m ./internal/e2e
	$(GOTEST) -count=1 -run 'Allocs|CostNothing' $$(grep -rl --include='*_test.go' 'AllocsPerRun' . | xargs -n1 dirname | sort -u)

demo: build
	@sh scripts/demo.sh

bench: build
	@sh scripts/bench.sh

# The README's screenshot: banreport over the demo log, opened in headless
# Chromium by the same test that checks the page (internal/app/banreport).
report-screenshot:
	TZ=UTC $(GO) test -count=1 -run '^TestBrowser$$' ./internal/app/banreport -args -screenshot=$(CURDIR)/docs/banreport.png

# Every fuzz target (func FuzzXxx in any _test.go), FUZZTIME each.
FUZZTIME ?= 30s
fuzz:
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' .); do \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "fuzz $$(dirname $$f) $$t ($(FUZZTIME))"; \
			$(GO) test $$(dirname $$f) -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME); \
		done; \
	done

man:
	@for m in man/*.[18]; do man --warnings -l $$m >/dev/null || exit 1; done; echo "man pages render cleanly"

install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 bin/logmatch bin/bancount bin/banreport $(DESTDIR)$(BINDIR)/
	install -m 0755 bin/fwban $(DESTDIR)$(SBINDIR)/
	install -m 0644 man/logmatch.1 man/bancount.1 man/banreport.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/fwban.8 $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/share/doc/banpipe/examples
	for u in dist/systemd/*.service; do \
		sed -e 's#@BINDIR@#$(BINDIR)#g' -e 's#@SBINDIR@#$(SBINDIR)#g' $$u > $(DESTDIR)$(UNITDIR)/$$(basename $$u); \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$u); done
	install -m 0644 dist/examples/* $(DESTDIR)$(PREFIX)/share/doc/banpipe/examples/
	@if [ -d dist/completion ]; then \
		install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions; \
		for c in $(CMDS); do \
			install -m 0644 dist/completion/bash/$$c $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$c; \
			install -m 0644 dist/completion/zsh/_$$c $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_$$c; \
		done; fi

# The Debian package banpipe_$(DEB_VERSION)_$(ARCH).deb, in DEBDIR: `make
# install PREFIX=/usr` staged in DEBROOT, packed by nfpm (pinned, run with
# go run: nothing added to go.mod). DEB_VERSION is the tag without its v
# (v1.2.3 -> 1.2.3, 1.2.3+4.gabcdef after it), else 0~gitN.HASH.
NFPM        := github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0
ARCH        ?= $(shell $(GO) env GOARCH)
DEB_VERSION ?= $(shell v=$$(git describe --tags --match 'v[0-9]*' 2>/dev/null | sed -e 's/^v//' -e 's/-\([0-9]*\)-g/+\1.g/'); \
	[ -n "$$v" ] || v=0~git$$(git rev-list --count HEAD 2>/dev/null || echo 0).$$(git rev-parse --short HEAD 2>/dev/null || echo unknown); echo $$v)
DEBDIR      ?= .
DEBROOT     ?= build/deb
deb:
	rm -rf $(DEBROOT) && mkdir -p $(DEBROOT) $(DEBDIR)
	$(MAKE) install DESTDIR=$(abspath $(DEBROOT))/root PREFIX=/usr
	gzip -9n $(DEBROOT)/root/usr/share/man/man*/*
	sed 's#@ROOT@#$(abspath $(DEBROOT))/root#' dist/deb/nfpm.yaml > $(DEBROOT)/nfpm.yaml
	ARCH=$(ARCH) DEB_VERSION=$(DEB_VERSION) $(GO) run $(NFPM) package -f $(DEBROOT)/nfpm.yaml -p deb \
		-t $(DEBDIR)/banpipe_$(DEB_VERSION)_$(ARCH).deb

clean:
	rm -rf bin build
