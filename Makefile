# mkosi-sandbox: build, try, test, measure.
#
#   make          build the static binary and run the man page's second example
#   make check    every test (unit, integration as root and unprivileged, e2e, initrd boot)

TARGET   := x86_64-unknown-linux-musl
BIN      := target/$(TARGET)/release/mkosi-sandbox
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   := $(DESTDIR)$(PREFIX)/bin
CARGO    ?= cargo

# Architectures whose syscall tables the build must get right (checked, not run).
CROSS    := aarch64-unknown-linux-musl riscv64gc-unknown-linux-gnu \
            powerpc64le-unknown-linux-gnu s390x-unknown-linux-gnu

.PHONY: all build example check test cross-check e2e initrd-test bench size install uninstall fuzz clean

all: example

build:
	$(CARGO) build --release --locked

# The man page's second example: only /usr from the host, the usual
# symlinks, a private /dev, /proc, a tmpfs /tmp, and the caller as root.
example: build
	$(BIN) \
		--ro-bind /usr /usr \
		--symlink usr/bin /bin \
		--symlink usr/lib /lib \
		--symlink usr/lib64 /lib64 \
		--symlink usr/sbin /sbin \
		--dev /dev \
		--proc /proc \
		--tmpfs /tmp \
		--become-root \
		id

test: build
	$(CARGO) test --release --locked -- --test-threads=2

check: test cross-check e2e initrd-test

cross-check:
	for t in $(CROSS); do $(CARGO) check --release --locked --target $$t || exit 1; done

e2e: build
	tests/e2e/run.sh $(BIN)

initrd-test: build
	tests/initrd/run.sh $(BIN)

bench: build
	tests/bench/run.sh $(BIN)

size: build
	@stat -c '%s bytes  %n' $(BIN)

install: build
	install -D -m 0755 $(BIN) $(BINDIR)/mkosi-sandbox
	$(BINDIR)/mkosi-sandbox --install $(BINDIR)

uninstall:
	for a in $$($(BIN) --list); do \
		if [ -L $(BINDIR)/$$a ]; then rm -f $(BINDIR)/$$a; fi; \
	done
	rm -f $(BINDIR)/mkosi-sandbox

fuzz:
	tests/fuzz/run.sh

clean:
	$(CARGO) clean
