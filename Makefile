# lmtp-iq - a Sendmail mailer that delivers over LMTP with IGNOREQUOTA.
# Plain GNU make.  make; make check; make install DESTDIR=... PREFIX=...

VERSION    = 0.1.0
PREFIX    ?= /usr
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR    ?= $(PREFIX)/share/man
SENDMAIL_CF ?= $(PREFIX)/share/sendmail/cf
DESTDIR   ?=

CC        ?= cc
PKG_CONFIG ?= pkg-config
BATS      ?= bats
# SUITES=tests/cyrus.bats: run only these suites.
SUITES    ?=

# SANITIZE=1: ASan + UBSan build, same tests.  WERROR=1: warnings fail.
SANITIZE  ?=
WERROR    ?=

SASL_CFLAGS := $(shell $(PKG_CONFIG) --cflags libsasl2 2>/dev/null)
SASL_LIBS   := $(shell $(PKG_CONFIG) --libs libsasl2 2>/dev/null)
SASL_FOUND  := $(shell $(PKG_CONFIG) --exists libsasl2 2>/dev/null && echo yes)

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

ALL_CFLAGS  = -std=c11 $(WARN) $(OPT) $(HARDEN) $(SASL_CFLAGS) \
              -DVERSION='"$(VERSION)"' $(CFLAGS)
ALL_LDFLAGS = $(LDHARDEN) $(LDFLAGS)

SRCS = mailer/main.c mailer/config.c mailer/transport.c mailer/lmtp.c \
       mailer/auth.c mailer/message.c mailer/status.c mailer/log.c \
       mailer/policy.c
OBJS = $(SRCS:.c=.o)
PROG = mailer/lmtp-iq

TOOLS = tests/tools/fakelmtp tests/tools/rawlmtp tests/tools/maxrss \
        tests/tools/faultmatrix
TOOLS_CFLAGS = -std=c11 $(WARN) $(OPT) $(HARDEN) $(CFLAGS)

.PHONY: all check bench install uninstall clean demo need-sasl

all: $(PROG)

need-sasl:
ifneq ($(SASL_FOUND),yes)
	@echo "libsasl2 not found by pkg-config: install it with" >&2
	@echo "  apt-get install libsasl2-dev pkg-config" >&2
	@exit 1
endif

# Objects depend on the flags, so SANITIZE=1 and back rebuild everything.
mailer/.flags: FORCE
	@echo '$(ALL_CFLAGS) $(ALL_LDFLAGS)' | cmp -s - $@ || \
	    echo '$(ALL_CFLAGS) $(ALL_LDFLAGS)' > $@
FORCE:

mailer/%.o: mailer/%.c mailer/*.h mailer/.flags | need-sasl
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(PROG): $(OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $(OBJS) $(ALL_LDFLAGS) $(SASL_LIBS)

tests/tools/%: tests/tools/%.c mailer/.flags
	$(CC) $(TOOLS_CFLAGS) -o $@ $< $(ALL_LDFLAGS)

check: $(PROG) $(TOOLS)
	BATS="$(BATS)" tests/run-suites $(SUITES)

bench: $(PROG) $(TOOLS)
	tests/bench/run

demo: $(PROG) $(TOOLS)
	tests/demo

install: $(PROG)
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(SENDMAIL_CF)/mailer $(DESTDIR)$(SENDMAIL_CF)/feature
	install -m 0755 $(PROG) $(DESTDIR)$(LIBEXECDIR)/lmtp-iq
	install -m 0644 docs/lmtp-iq.8 $(DESTDIR)$(MANDIR)/man8/lmtp-iq.8
	install -m 0644 m4/lmtp_iq.m4 $(DESTDIR)$(SENDMAIL_CF)/mailer/lmtp_iq.m4
	install -m 0644 m4/lmtp_iq_notices.m4 \
	    $(DESTDIR)$(SENDMAIL_CF)/feature/lmtp_iq_notices.m4

uninstall:
	rm -f $(DESTDIR)$(LIBEXECDIR)/lmtp-iq $(DESTDIR)$(MANDIR)/man8/lmtp-iq.8 \
	    $(DESTDIR)$(SENDMAIL_CF)/mailer/lmtp_iq.m4 \
	    $(DESTDIR)$(SENDMAIL_CF)/feature/lmtp_iq_notices.m4

clean:
	rm -f $(OBJS) $(PROG) $(TOOLS) mailer/.flags
