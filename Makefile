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

.PHONY: all build toolchain test-deps example check test cross-check e2e initrd-test bench size install uninstall fuzz clean

all: example

# Debian packages the tests need beyond a Rust toolchain (the e2e, boot and bench
# scripts install their own).
TEST_DEBS := gcc gcc-multilib libc6-dev busybox-static util-linux passwd

build: toolchain
	$(CARGO) build --release --locked

toolchain:
	@rustup target list --installed 2>/dev/null | grep -qx $(TARGET) \
		|| rustup target add $(TARGET)

test-deps:
	@missing=$$(for p in $(TEST_DEBS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing $$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
		|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; }; \
	fi

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

test: build test-deps
	$(CARGO) test --release --locked

check: test cross-check e2e initrd-test

cross-check:
	for t in $(CROSS); do \
		rustup target list --installed | grep -qx $$t || rustup target add $$t; \
		$(CARGO) check --release --locked --target $$t || exit 1; \
	done

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

# The installed binary names its applets; only symlinks by those names are removed.
uninstall:
	if [ -x $(BINDIR)/mkosi-sandbox ]; then \
		for a in $$($(BINDIR)/mkosi-sandbox --list); do \
			if [ -L $(BINDIR)/$$a ]; then rm -f $(BINDIR)/$$a; fi; \
		done; \
	fi
	rm -f $(BINDIR)/mkosi-sandbox

fuzz:
	tests/fuzz/run.sh

clean:
	$(CARGO) clean
