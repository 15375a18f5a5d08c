# SPDX-License-Identifier: ISC
# lmtp-iq - a Sendmail mailer that delivers over LMTP with IGNOREQUOTA.
# Plain GNU make.  make; make check; make install DESTDIR=... PREFIX=...

VERSION    = 0.1.0
PREFIX    ?= /usr
LIBEXECDIR ?= $(PREFIX)/libexec
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
SENDMAIL_CF ?= $(PREFIX)/share/sendmail/cf
# The sample refusal-notice template.  lmtp-iq looks for it in
# /usr/share/lmtp-iq unless refusal_notice_template says otherwise.
DATADIR   ?= $(PREFIX)/share/lmtp-iq
# The LMTP way for Postfix (docs/postfix.md): lmtp-iq.socket and
# lmtp-iq@.service.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR   ?=

CC        ?= cc
PKG_CONFIG ?= pkg-config
BATS      ?= bats
# SUITES=tests/cyrus.bats: run only these suites.
SUITES    ?=

# SANITIZE=1: ASan + UBSan build, same tests.  WERROR=1: warnings fail.
SANITIZE  ?=
WERROR    ?=

# The runtime libraries: libsasl2 (AUTH) and OpenSSL's libssl (STARTTLS).
# Neither is linked: mailer/sasl2.c and mailer/ossl.c load them with
# dlopen when a session first authenticates or starts TLS (their headers
# are still needed to build).  The program links libc alone.
LIB_CFLAGS := $(shell $(PKG_CONFIG) --cflags libsasl2 openssl 2>/dev/null)
SSL_LIBS   := $(shell $(PKG_CONFIG) --libs openssl 2>/dev/null)
LIB_FOUND  := $(shell $(PKG_CONFIG) --exists libsasl2 openssl 2>/dev/null && echo yes)

WARN      = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wpointer-arith -Wno-cast-function-type
HARDEN    = -fstack-protector-strong -fPIE -D_FORTIFY_SOURCE=2
LDHARDEN  = -pie -Wl,-z,relro -Wl,-z,now
OPT       = -O2 -g

ifeq ($(SANITIZE),1)
HARDEN    = -fPIE
OPT       = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
            -fno-sanitize-recover=all
LDHARDEN += -fsanitize=address,undefined
endif
ifeq ($(WERROR),1)
WARN     += -Werror
endif

# The mailer's switches over its own enums name every value: a new
# step, fault or kind is a warning wherever it is not handled yet.  The
# test tools' tables keep their defaults.
ALL_CFLAGS  = -std=c11 $(WARN) -Wswitch-enum $(OPT) $(HARDEN) $(LIB_CFLAGS) \
              -DVERSION='"$(VERSION)"' $(CFLAGS)
ALL_LDFLAGS = $(LDHARDEN) $(LDFLAGS)

SRCS = mailer/main.c mailer/config.c mailer/transport.c mailer/lmtp.c \
       mailer/auth.c mailer/message.c mailer/status.c mailer/log.c \
       mailer/policy.c mailer/address.c mailer/session.c mailer/lmtpd.c \
       mailer/relay.c mailer/tls.c mailer/file.c mailer/ossl.c \
       mailer/probe.c mailer/deliver.c mailer/refusal.c mailer/notice.c mailer/mailbox.c mailer/dynlib.c \
       mailer/sasl2.c mailer/sha256.c mailer/mimeword.c \
       mailer/options.c mailer/statename.c mailer/words.c
OBJS = $(SRCS:.c=.o)
LIB_OBJS = $(filter-out mailer/main.o,$(OBJS))
PROG = mailer/lmtp-iq
UNIT = tests/unit/unit
# The quota-warning job: its own program, sharing the config reader,
# the address check and the state file names with the mailer.
QW_SRCS = mailer/quotawarn.c mailer/quotajson.c mailer/config.c \
          mailer/file.c mailer/address.c mailer/statename.c mailer/sha256.c \
          mailer/words.c
QW_OBJS = $(QW_SRCS:.c=.o)
QW_PROG = mailer/lmtp-iq-quota-warn

TOOLS = tests/tools/fakelmtp tests/tools/rawlmtp tests/tools/maxrss \
        tests/tools/faultmatrix
TOOLS_CFLAGS = -std=c11 $(WARN) $(OPT) $(HARDEN) $(CFLAGS)

# make fuzz: each libFuzzer target for FUZZ_SECONDS (clang, tests only).
FUZZ_SECONDS ?= 60
FUZZ_CC     ?= clang
FUZZ_TARGETS = reply config encoder lmtpd refusal quotajson
FUZZ_BINS    = $(FUZZ_TARGETS:%=tests/fuzz/bin/fuzz_%)
FUZZ_CFLAGS  = -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=all $(LIB_CFLAGS) -DVERSION='"fuzz"' \
               -DLMTPIQ_TEST_HOOKS

# make deb: the Debian package and its source package, made the Debian
# way (debian/: debhelper) by dpkg-buildpackage, in a copy of the
# source under build/deb so that the work tree's own build stays as it
# is; the results land in build/.
DEB_ARCH  := $(shell dpkg --print-architecture 2>/dev/null)
DEB_DIR    = build/deb
DEB        = build/lmtp-iq_$(VERSION)_$(DEB_ARCH).deb
DSC        = build/lmtp-iq_$(VERSION).dsc

.PHONY: all check check-in check-postfix bench-postfix bench install uninstall clean demo need-libs fuzz print-version lint deb deps

all: $(PROG) $(QW_PROG)

need-libs:
ifneq ($(LIB_FOUND),yes)
	@echo "libsasl2 or libssl not found by pkg-config: install them with" >&2
	@echo "  apt-get install libsasl2-dev libssl-dev pkg-config" >&2
	@exit 1
endif

# Objects depend on the flags, so SANITIZE=1 and back rebuild everything.
mailer/.flags: FORCE
	@echo '$(ALL_CFLAGS) $(ALL_LDFLAGS)' | cmp -s - $@ || \
	    echo '$(ALL_CFLAGS) $(ALL_LDFLAGS)' > $@
FORCE:

mailer/%.o: mailer/%.c mailer/*.h mailer/.flags | need-libs
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(PROG): $(OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $(OBJS) $(ALL_LDFLAGS)

$(QW_PROG): $(QW_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $(QW_OBJS) $(ALL_LDFLAGS)

tests/tools/%: tests/tools/%.c mailer/.flags
	$(CC) $(TOOLS_CFLAGS) -o $@ $< $(ALL_LDFLAGS)

# The fake server can speak TLS after STARTTLS (directive starttls).
tests/tools/fakelmtp: tests/tools/fakelmtp.c mailer/.flags
	$(CC) $(TOOLS_CFLAGS) $(LIB_CFLAGS) -o $@ $< $(ALL_LDFLAGS) $(SSL_LIBS)

# Unit tests of the pure parts, linked with the program's own objects,
# but for message.c, built again with the test hooks (LMTPIQ_TEST_HOOKS:
# the switch that forces the encoder's plain copy path), which the
# shipped binary never has.
UNIT_OBJS = $(filter-out mailer/message.o,$(LIB_OBJS)) tests/unit/message_hooks.o
tests/unit/message_hooks.o: mailer/message.c mailer/*.h mailer/.flags | need-libs
	$(CC) $(ALL_CFLAGS) -DLMTPIQ_TEST_HOOKS -c -o $@ mailer/message.c

# lmtp-iq built with the test hooks in refusal.c as well
# (LMTPIQ_TEST_COMPOSE_CRASH: composing a notice crashes), for the tests
# that prove a failed notice costs neither a verdict nor the session.
HOOKS_PROG = tests/tools/lmtp-iq-hooks
tests/unit/refusal_hooks.o: mailer/refusal.c mailer/*.h mailer/.flags | need-libs
	$(CC) $(ALL_CFLAGS) -DLMTPIQ_TEST_HOOKS -c -o $@ mailer/refusal.c
$(HOOKS_PROG): $(filter-out mailer/message.o mailer/refusal.o,$(OBJS)) \
    tests/unit/message_hooks.o tests/unit/refusal_hooks.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LDFLAGS)

$(UNIT): tests/unit/unit.c tests/unit/encoder_ref.h tests/unit/shown.h $(UNIT_OBJS)
	$(CC) $(ALL_CFLAGS) -DLMTPIQ_TEST_HOOKS -o $@ tests/unit/unit.c \
	    $(UNIT_OBJS) $(ALL_LDFLAGS)

# Both install what they lack first (as root; see tests/deps), then build
# in a fresh make, which sees the newly installed libsasl2.  Neither
# changes a live mail host: where installing would remove a package or
# land beside a running mail service (tests/deps --plan), they run in a
# throwaway Debian root of this host's release instead (check-in's,
# below; in there, LMTPIQ_INROOT, never again), and say so.
HOST_RELEASE := $(shell . /etc/os-release 2>/dev/null && echo $$VERSION_CODENAME)
ELSEWHERE = plan=$$(tests/deps --plan $(1)) || exit 1; \
	if [ "$$plan" != host ] && [ "$$(id -u)" -eq 0 ] && [ -z "$${LMTPIQ_INROOT:-}" ]; then \
	    echo "make $(1): this host is left as it was ($${plan\#root: }):"; \
	    echo "make $(1): running in a throwaway Debian $(HOST_RELEASE) root of its own"; \
	    exec $(MAKE) -s check-in RELEASE=$(HOST_RELEASE) CHECK_IN='$(2)'; \
	fi
check:
	@$(call ELSEWHERE,check,make check WERROR=$(WERROR) SANITIZE=$(SANITIZE) SUITES="$(SUITES)"); \
	tests/deps && $(MAKE) $(PROG) $(QW_PROG) $(TOOLS) $(UNIT) $(HOOKS_PROG) && \
	    BATS="$(BATS)" tests/run-suites $(SUITES)

FUZZ_SRCS = $(filter-out mailer/main.c,$(SRCS)) mailer/quotajson.c
tests/fuzz/bin/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRCS) \
    mailer/*.h tests/unit/encoder_ref.h tests/unit/shown.h tests/fuzz/pair.h | need-libs
	@mkdir -p tests/fuzz/bin
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS)

# fuzz_refusal's dictionary: every charset name this machine's iconv
# knows, as the start of an encoded word (a name the fuzzer would never
# guess reached the decoder's worst case: ISO-2022-CN-EXT).
tests/fuzz/bin/refusal.dict:
	@mkdir -p tests/fuzz/bin
	iconv -l | sed -e 's,/*$$,,' -e '/^$$/d' \
	    -e 's/.*/"=?&?B?"\n"=?&?Q?"/' > $@

fuzz: $(FUZZ_BINS) tests/fuzz/bin/refusal.dict
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p tests/fuzz/bin/corpus-$$t; \
	    echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	    dict=; [ ! -f tests/fuzz/bin/$$t.dict ] || \
	        dict=-dict=tests/fuzz/bin/$$t.dict; \
	    tests/fuzz/bin/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) $$dict \
	        -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
	        -artifact_prefix=tests/fuzz/bin/ \
	        tests/fuzz/bin/corpus-$$t tests/fuzz/seeds/$$t \
	        > tests/fuzz/bin/$$t.log 2>&1; rc=$$?; \
	    grep -E '^stat::number_of_executed_units' tests/fuzz/bin/$$t.log; \
	    if [ $$rc -ne 0 ]; then tail -40 tests/fuzz/bin/$$t.log; exit 1; fi; \
	done

# The encoder's speed test, linked with the program's own objects.
ENCSPEED = tests/bench/encspeed
$(ENCSPEED): tests/bench/encspeed.c $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ tests/bench/encspeed.c $(LIB_OBJS) \
	    $(ALL_LDFLAGS)

bench: $(PROG) $(TOOLS) $(ENCSPEED)
	tests/bench/run

# make check-in RELEASE=trixie: the same make check (warnings as errors)
# in a Debian RELEASE root of its own, built once with debootstrap and
# the packages tests/packages lists, then cached (tests/roots/mkroot);
# each run works in a throwaway overlay of it (tests/roots/inroot).
# As root.  CHECK_IN overrides the command run there.
RELEASE   ?= trixie
CHECK_IN  ?= make check WERROR=1 SUITES="$(SUITES)"
check-in:
	root=$$(tests/roots/mkroot $(RELEASE) $$(tests/deps --list check)) && \
	    tests/roots/inroot "$$root" sh -c '$(CHECK_IN)'

# make check-postfix: the Postfix suite (tests/postfix/) in a Debian 13
# root of its own with Postfix in place of Sendmail (the packages
# conflict): tests/packages' [postfix] set, built once and cached like
# check-in's; then tests/booted/ in such a root of Debian 13 and of
# Debian 12 booted with systemd as PID 1 (systemd-nspawn).  make
# bench-postfix: the Postfix bench there.  As root.
POSTFIX_IN = tests/roots/inroot "$$root" sh -c
BOOTED_RELEASES = trixie bookworm
check-postfix bench-postfix:
	root=$$(tests/roots/mkroot trixie $$(tests/deps --list postfix)) && \
	    $(POSTFIX_IN) 'make -s WERROR=1 $(PROG) $(QW_PROG) $(TOOLS) $(UNIT) && \
	    $(if $(filter bench-postfix,$@),tests/bench/postfix,BATS=bats tests/run-suites tests/postfix/*.bats)'
	$(if $(filter check-postfix,$@),for r in $(BOOTED_RELEASES); do \
	    echo "== the units under systemd: Debian $$r"; \
	    BOOT_RELEASE=$$r BATS=bats tests/run-suites tests/booted/postfix.bats || exit 1; done)

demo:
	@$(call ELSEWHERE,demo,make demo); \
	tests/deps --need demo && $(MAKE) $(PROG) $(TOOLS) && tests/demo

# The one version (VERSION above) goes into the binary (-DVERSION), and
# at install time into the man page and the m4 VERSIONIDs.
SUBST_VERSION = sed -e 's/@VERSION@/$(VERSION)/g'

deps:
	@tests/deps

print-version:
	@echo $(VERSION)

# The man pages, as mandoc and groff read them: no warnings; no bats
# assertion that cannot fail (tests/lint-negation).
MANPAGES = docs/lmtp-iq.8 docs/lmtp-iq.conf.5 docs/lmtp-iq-quota-warn.8
# The shell scripts the project ships and runs, through shellcheck; the
# helpers set variables that the suites read (SC2034 there is expected).
SHELL_SCRIPTS = .ci/run tests/deps tests/run-suites tests/lint-negation \
                tests/roots/mkroot tests/roots/inroot tests/demo tests/bench/run \
                tests/bench/postfix \
                debian/dlopen-depends debian/lmtp-iq.postinst \
                debian/lmtp-iq.prerm debian/lmtp-iq.postrm
lint:
	@command -v shellcheck >/dev/null || { echo "shellcheck is missing: apt-get install shellcheck" >&2; exit 1; }
	shellcheck -S warning -x $(SHELL_SCRIPTS)
	shellcheck -S warning -s bash -e SC2034 tests/helpers/*.bash
	tests/lint-negation
	@command -v mandoc >/dev/null || { echo "mandoc is missing: apt-get install mandoc" >&2; exit 1; }
	mandoc -Tlint -W warning $(MANPAGES)
	@for m in $(MANPAGES); do \
	    out=$$(groff -t -man -ww -z $$m 2>&1); \
	    if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; \
	done
	@echo "man pages: no warnings"

install: $(PROG) $(QW_PROG)
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DATADIR) \
	    $(DESTDIR)$(SENDMAIL_CF)/mailer $(DESTDIR)$(SENDMAIL_CF)/feature \
	    $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0755 $(PROG) $(DESTDIR)$(LIBEXECDIR)/lmtp-iq
	install -d $(DESTDIR)$(SBINDIR)
	install -m 0755 $(QW_PROG) $(DESTDIR)$(SBINDIR)/lmtp-iq-quota-warn
	$(SUBST_VERSION) docs/lmtp-iq-quota-warn.8 \
	    > $(DESTDIR)$(MANDIR)/man8/lmtp-iq-quota-warn.8
	chmod 0644 $(DESTDIR)$(MANDIR)/man8/lmtp-iq-quota-warn.8
	install -m 0644 systemd/lmtp-iq.socket systemd/lmtp-iq@.service \
	    systemd/lmtp-iq-quota-warn.service systemd/lmtp-iq-quota-warn.timer \
	    $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0644 docs/examples/refusal-notice $(DESTDIR)$(DATADIR)/refusal-notice
	$(SUBST_VERSION) docs/lmtp-iq.8 > $(DESTDIR)$(MANDIR)/man8/lmtp-iq.8
	$(SUBST_VERSION) docs/lmtp-iq.conf.5 \
	    > $(DESTDIR)$(MANDIR)/man5/lmtp-iq.conf.5
	$(SUBST_VERSION) m4/lmtp_iq.m4 > $(DESTDIR)$(SENDMAIL_CF)/mailer/lmtp_iq.m4
	$(SUBST_VERSION) m4/lmtp_iq_notices.m4 \
	    > $(DESTDIR)$(SENDMAIL_CF)/feature/lmtp_iq_notices.m4
	chmod 0644 $(DESTDIR)$(MANDIR)/man8/lmtp-iq.8 \
	    $(DESTDIR)$(MANDIR)/man5/lmtp-iq.conf.5 \
	    $(DESTDIR)$(SENDMAIL_CF)/mailer/lmtp_iq.m4 \
	    $(DESTDIR)$(SENDMAIL_CF)/feature/lmtp_iq_notices.m4

deb:
	@command -v dh >/dev/null || { echo "make deb needs debhelper: apt-get install debhelper" >&2; exit 1; }
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version); [ "$$v" = "$(VERSION)" ] || \
	    { echo "make deb: debian/changelog says $$v, the Makefile $(VERSION)" >&2; exit 1; }
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/lmtp-iq-$(VERSION)
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	    git ls-files -z -c -o --exclude-standard | tar --null -T - -cf -; \
	else tar --exclude=./build -cf - .; fi | tar -xf - -C $(DEB_DIR)/lmtp-iq-$(VERSION)
	cd $(DEB_DIR)/lmtp-iq-$(VERSION) && dpkg-buildpackage -us -uc --build=full \
	    > ../build.log 2>&1 || { tail -40 ../build.log; exit 1; }
	mv $(DEB_DIR)/lmtp-iq_$(VERSION)* build/
	@echo "built $(DEB) and $(DSC)"

uninstall:
	rm -f $(DESTDIR)$(LIBEXECDIR)/lmtp-iq $(DESTDIR)$(MANDIR)/man8/lmtp-iq.8 \
	    $(DESTDIR)$(SBINDIR)/lmtp-iq-quota-warn \
	    $(DESTDIR)$(MANDIR)/man8/lmtp-iq-quota-warn.8 \
	    $(DESTDIR)$(MANDIR)/man5/lmtp-iq.conf.5 \
	    $(DESTDIR)$(SENDMAIL_CF)/mailer/lmtp_iq.m4 \
	    $(DESTDIR)$(SENDMAIL_CF)/feature/lmtp_iq_notices.m4 \
	    $(DESTDIR)$(DATADIR)/refusal-notice \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/lmtp-iq.socket \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/lmtp-iq@.service \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/lmtp-iq-quota-warn.service \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/lmtp-iq-quota-warn.timer
	-rmdir $(DESTDIR)$(DATADIR) 2>/dev/null

clean:
	rm -f $(OBJS) $(PROG) $(QW_OBJS) $(QW_PROG) $(TOOLS) $(UNIT) tests/unit/message_hooks.o \
	    $(HOOKS_PROG) tests/unit/refusal_hooks.o \
	    $(ENCSPEED) mailer/.flags
	rm -rf tests/fuzz/bin build
