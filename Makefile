# SPDX-License-Identifier: ISC
# lmtp-iq - a Sendmail mailer that delivers over LMTP with IGNOREQUOTA.
# Plain GNU make.  make; make check; make install DESTDIR=... PREFIX=...

VERSION    = 0.1.0
PREFIX    ?= /usr
LIBEXECDIR ?= $(PREFIX)/libexec
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

ALL_CFLAGS  = -std=c11 $(WARN) $(OPT) $(HARDEN) $(LIB_CFLAGS) \
              -DVERSION='"$(VERSION)"' $(CFLAGS)
ALL_LDFLAGS = $(LDHARDEN) $(LDFLAGS)

SRCS = mailer/main.c mailer/config.c mailer/transport.c mailer/lmtp.c \
       mailer/auth.c mailer/message.c mailer/status.c mailer/log.c \
       mailer/policy.c mailer/address.c mailer/session.c mailer/lmtpd.c \
       mailer/relay.c mailer/tls.c mailer/file.c mailer/ossl.c \
       mailer/probe.c mailer/deliver.c mailer/refusal.c mailer/notice.c mailer/dynlib.c \
       mailer/sasl2.c mailer/sha256.c mailer/mimeword.c \
       mailer/options.c
OBJS = $(SRCS:.c=.o)
LIB_OBJS = $(filter-out mailer/main.o,$(OBJS))
PROG = mailer/lmtp-iq
UNIT = tests/unit/unit

TOOLS = tests/tools/fakelmtp tests/tools/rawlmtp tests/tools/maxrss \
        tests/tools/faultmatrix
TOOLS_CFLAGS = -std=c11 $(WARN) $(OPT) $(HARDEN) $(CFLAGS)

# make fuzz: each libFuzzer target for FUZZ_SECONDS (clang, tests only).
FUZZ_SECONDS ?= 60
FUZZ_CC     ?= clang
FUZZ_TARGETS = reply config encoder lmtpd refusal
FUZZ_BINS    = $(FUZZ_TARGETS:%=tests/fuzz/bin/fuzz_%)
FUZZ_CFLAGS  = -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=all $(LIB_CFLAGS) -DVERSION='"fuzz"' \
               -DLMTPIQ_TEST_HOOKS

# make deb: a Debian package from a "make install DESTDIR=" staging tree,
# built with dpkg-deb.  Dependencies come from dpkg-shlibdeps.
DEB_ARCH  := $(shell dpkg --print-architecture 2>/dev/null)
DEB_DIR    = build/deb
DEB        = build/lmtp-iq_$(VERSION)_$(DEB_ARCH).deb
# libssl and libsasl2 are loaded with dlopen (mailer/ossl.c, sasl2.c):
# dpkg-shlibdeps cannot see them, so for each soname (name:version) the
# dependency that its package's shlibs file declares is taken from the
# build machine: libssl3 on Debian 12, libssl3t64 on Debian 13.
DEB_DLOPEN = libssl:3 libsasl2:2

.PHONY: all check check-in check-postfix bench-postfix bench install uninstall clean demo need-libs fuzz print-version lint deb deps

all: $(PROG)

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
	tests/deps && $(MAKE) $(PROG) $(TOOLS) $(UNIT) $(HOOKS_PROG) && \
	    BATS="$(BATS)" tests/run-suites $(SUITES)

tests/fuzz/bin/fuzz_%: tests/fuzz/fuzz_%.c $(filter-out mailer/main.c,$(SRCS)) \
    mailer/*.h tests/unit/encoder_ref.h tests/unit/shown.h tests/fuzz/pair.h | need-libs
	@mkdir -p tests/fuzz/bin
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(filter-out mailer/main.c,$(SRCS))

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
# check-in's.  make bench-postfix: the Postfix bench there.  As root.
POSTFIX_IN = tests/roots/inroot "$$root" sh -c
check-postfix bench-postfix:
	root=$$(tests/roots/mkroot trixie $$(tests/deps --list postfix)) && \
	    $(POSTFIX_IN) 'make -s WERROR=1 $(PROG) $(TOOLS) && \
	    $(if $(filter bench-postfix,$@),tests/bench/postfix,BATS=bats tests/run-suites tests/postfix/*.bats)'

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
MANPAGES = docs/lmtp-iq.8 docs/lmtp-iq.conf.5
# The shell scripts the project ships and runs, through shellcheck; the
# helpers set variables that the suites read (SC2034 there is expected).
SHELL_SCRIPTS = .ci/run tests/deps tests/run-suites tests/lint-negation \
                tests/roots/mkroot tests/roots/inroot tests/demo tests/bench/run \
                tests/bench/postfix docs/examples/quota-warn
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

install: $(PROG)
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DATADIR) \
	    $(DESTDIR)$(SENDMAIL_CF)/mailer $(DESTDIR)$(SENDMAIL_CF)/feature \
	    $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0755 $(PROG) $(DESTDIR)$(LIBEXECDIR)/lmtp-iq
	install -m 0644 systemd/lmtp-iq.socket systemd/lmtp-iq@.service \
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

# The guides a postmaster reads, shipped in /usr/share/doc/lmtp-iq.
USER_DOCS  = docs/sendmail.md docs/postfix.md docs/reference.md \
             docs/auth.md docs/murder.md
deb: $(PROG)
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/root/DEBIAN $(DEB_DIR)/debian
	$(MAKE) -s install DESTDIR=$(CURDIR)/$(DEB_DIR)/root PREFIX=/usr
	strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	    $(DEB_DIR)/root/usr/libexec/lmtp-iq
	gzip -9n $(DEB_DIR)/root/usr/share/man/man8/lmtp-iq.8 \
	    $(DEB_DIR)/root/usr/share/man/man5/lmtp-iq.conf.5
	install -d $(DEB_DIR)/root/etc/mail $(DEB_DIR)/root/usr/share/doc/lmtp-iq
	install -m 0644 docs/lmtp-iq.conf.example $(DEB_DIR)/root/etc/mail/lmtp-iq.conf
	{ echo 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/'; \
	  echo 'Upstream-Name: lmtp-iq'; echo; \
	  echo 'Files: *'; echo 'Copyright: 2026 The lmtp-iq authors'; \
	  echo 'License: ISC'; sed -e '1,4d' -e 's/^$$/./' -e 's/^/ /' LICENSE; } \
	    > $(DEB_DIR)/root/usr/share/doc/lmtp-iq/copyright
	{ echo "lmtp-iq ($(VERSION)) unstable; urgency=medium"; echo; \
	  echo '  * Release $(VERSION).'; echo; \
	  echo " -- lmtp-iq maintainers <lmtp-iq@example.org>  $$(date -R -d @$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || date +%s)})"; } \
	    | gzip -9n > $(DEB_DIR)/root/usr/share/doc/lmtp-iq/changelog.gz
	for d in README.md $(USER_DOCS); do \
	    gzip -9n < $$d > $(DEB_DIR)/root/usr/share/doc/lmtp-iq/$${d##*/}.gz; done
	chmod 0644 $(DEB_DIR)/root/usr/share/doc/lmtp-iq/*
	echo /etc/mail/lmtp-iq.conf > $(DEB_DIR)/root/DEBIAN/conffiles
	printf 'Source: lmtp-iq\nPackage: lmtp-iq\n' > $(DEB_DIR)/debian/control
	cd $(DEB_DIR) && dpkg-shlibdeps -O root/usr/libexec/lmtp-iq \
	    | sed -n 's/^shlibs:Depends=//p' > depends
	for l in $(DEB_DLOPEN); do n=$${l%:*}; v=$${l#*:}; \
	    p=$$(dpkg-query -S "*/$$n.so.$$v" | sed -n '1s/: .*//p'); \
	    d=$$(dpkg-query --control-show "$$p" shlibs 2>/dev/null | awk -v n=$$n \
	        -v v=$$v '$$1 == n && $$2 == v && NF > 2 { $$1 = $$2 = ""; \
	        sub(/^ +/, ""); print; exit }'); \
	    [ -n "$$d" ] || { echo "make deb: no package declares $$n.so.$$v" >&2; \
	        exit 1; }; \
	    printf ', %s' "$$d" >> $(DEB_DIR)/depends; \
	done
	{ echo 'Package: lmtp-iq'; echo 'Version: $(VERSION)'; \
	  echo 'Architecture: $(DEB_ARCH)'; \
	  echo 'Maintainer: lmtp-iq maintainers <lmtp-iq@example.org>'; \
	  echo "Installed-Size: $$(du -ks $(DEB_DIR)/root | cut -f1)"; \
	  echo "Depends: $$(tr -d '\n' < $(DEB_DIR)/depends)"; \
	  echo 'Recommends: sendmail-cf'; echo 'Suggests: cyrus-imapd'; \
	  echo 'Section: mail'; echo 'Priority: optional'; \
	  echo 'Description: Sendmail mailer that delivers over LMTP with IGNOREQUOTA'; \
	  echo ' lmtp-iq lets a stock Sendmail deliver over-quota notices into'; \
	  echo ' Cyrus IMAP mailboxes that are over quota: it is a mailer program'; \
	  echo ' that speaks LMTP to Cyrus lmtpd and adds IGNOREQUOTA, with m4'; \
	  echo ' files for sendmail.mc that route only a notice domain to it.'; \
	  echo ' For Postfix it runs as a pipe(8) transport, or in LMTP mode behind'; \
	  echo ' the systemd socket it ships (/usr/share/doc/lmtp-iq/postfix.md.gz).'; } \
	    > $(DEB_DIR)/root/DEBIAN/control
	cd $(DEB_DIR)/root && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' \
	    -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums
	dpkg-deb --root-owner-group --build -Zxz $(DEB_DIR)/root $(DEB)
	@echo "built $(DEB)"

uninstall:
	rm -f $(DESTDIR)$(LIBEXECDIR)/lmtp-iq $(DESTDIR)$(MANDIR)/man8/lmtp-iq.8 \
	    $(DESTDIR)$(MANDIR)/man5/lmtp-iq.conf.5 \
	    $(DESTDIR)$(SENDMAIL_CF)/mailer/lmtp_iq.m4 \
	    $(DESTDIR)$(SENDMAIL_CF)/feature/lmtp_iq_notices.m4 \
	    $(DESTDIR)$(DATADIR)/refusal-notice \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/lmtp-iq.socket \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/lmtp-iq@.service
	-rmdir $(DESTDIR)$(DATADIR) 2>/dev/null

clean:
	rm -f $(OBJS) $(PROG) $(TOOLS) $(UNIT) tests/unit/message_hooks.o \
	    $(HOOKS_PROG) tests/unit/refusal_hooks.o \
	    $(ENCSPEED) mailer/.flags
	rm -rf tests/fuzz/bin build
