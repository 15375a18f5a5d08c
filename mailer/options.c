/* SPDX-License-Identifier: ISC */
/*
 * options.c - the command line, checked as the config checks the same
 * values; see options.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "options.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "address.h"

#ifndef VERSION
#define VERSION "unknown"
#endif

/* The options, as getopt takes them ('+': stop at the first recipient,
 * as POSIX getopt does); the one list the other checks read. */
#define OPTIONS "+C:s:f:i:q:t:vnlLVh"

/* Whether c is an option, and whether its value follows it. */
static const char *
option_spec(int c)
{
	return c != '+' && c != ':' && c != 0 ? strchr(OPTIONS, c) : NULL;
}

static int
takes_value(int c)
{
	const char *p = option_spec(c);

	return p != NULL && p[1] == ':';
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: lmtp-iq [-C config] [-s server] [-f sender] [-i queue-id] "
	    "[-q policy]\n"
	    "               [-t seconds] [-v] [-L] [--] recipient...\n"
	    "       lmtp-iq -l [-C config] [-s server] [-q policy] "
	    "[-t seconds] [-v] [-L]\n"
	    "       lmtp-iq -n [-C config] [-s server] [-f sender] [-q policy] "
	    "[-v] [-L]\n"
	    "       lmtp-iq -V | --version | -h | --help\n"
	    "  -C config   config file (default " CONFIG_DEFAULT_FILE ")\n"
	    "  -s server   /path, unix:/path, host, host:port or [v6addr]:port\n"
	    "  -f sender   envelope sender; missing, empty or <> is the null "
	    "sender\n"
	    "  -i queue-id the MTA's queue id, first on each log line "
	    "(Sendmail's $i)\n"
	    "  -q policy   IGNOREQUOTA: require (default), auto, force or off\n"
	    "  -t seconds  timeout for connect and each reply (default %d; "
	    "%d after the final dot)\n"
	    "  -v          trace the LMTP dialogue on stderr\n"
	    "  -l          LMTP mode: Sendmail speaks LMTP on stdin/stdout "
	    "(F=mz)\n"
	    "  -L          the local mailer (accepted; every mode gives "
	    "IGNOREQUOTA to notice_senders only)\n"
	    "  -n          check: connect, LHLO, report what the server offers\n"
	    "              (and, with -f, what that sender's mail would carry)\n"
	    "  -V          print the version\n",
	    CONFIG_DEFAULT_TIMEOUT, CONFIG_DEFAULT_DATA_TIMEOUT);
}

/* A command-line mistake.  In delivery mode it is the postmaster's (the
 * mailer's A= line): 75 keeps the mail queued until it is fixed, where
 * 64 would make Sendmail bounce every notice.  -n is run by hand: 64. */
static int
usage_error(const struct options *o, const char *what, const char *arg)
{
	char shown[256];

	/* In delivery mode the mistake is in the mailer's definition: it
	 * holds back every message (LOG_ERR).  -n is a person's. */
	(o->check ? log_fail : log_setup_fail)("%s%s%s; try lmtp-iq -h%s",
	    what, arg ? ": " : "", arg ? log_escape(arg, shown, sizeof(shown)) :
	    "", o->check ? "" : "; the message stays queued");
	return o->check ? EX_USAGE : EX_TEMPFAIL;
}

/* An option whose value is what a config key takes (config.c's table
 * says what that is). */
static int
expected_error(const struct options *o, char opt, const char *key,
    const char *arg)
{
	char want[128], what[160];

	config_expected(key, want, sizeof(want));
	snprintf(what, sizeof(what), "-%c takes %s, not", opt, want);
	return usage_error(o, what, arg);
}

/* The words before the recipients that are options: -n anywhere among
 * them makes errors a person's, not a mailer definition's; --help and
 * --version are the long forms of -h and -V.  *at is the index of the
 * first word starting with "--" (other than "--" itself), or 0. */
static int
scan_options(int argc, char **argv, int *at)
{
	const char *p;
	int i, check = 0;

	*at = 0;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (argv[i][1] == '-') {
			if (*at == 0)
				*at = i;
			continue;
		}
		for (p = argv[i] + 1; *p; p++) {
			if (*p == 'n')
				check = 1;
			if (takes_value(*p)) {
				i += p[1] == '\0';	/* its value follows */
				break;
			}
		}
	}
	return check;
}

static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* -s may be repeated: the servers in the order given, each checked as
 * the config's server key checks it. */
static int
add_server(struct options *o, const char *spec)
{
	size_t n = strlen(o->servers);
	const char *bad;

	if ((bad = config_server_problem(spec)) != NULL)
		return usage_error(o, bad, spec);
	if (n + strlen(spec) + 2 > sizeof(o->servers) ||
	    config_count_servers(o->servers) >= CONFIG_SERVERS_MAX)
		return usage_error(o, "-s takes one server each, up to "
		    CONFIG_SERVERS_MAX_TEXT " in all, not", spec);
	snprintf(o->servers + n, sizeof(o->servers) - n, "%s%s", n ? " " : "",
	    spec);
	return 0;
}

/* One option with its value: 0, or an exit status for main. */
static int
take_option(struct options *o, int c, char *arg)
{
	struct config scratch;	/* where a value is tried by its row */

	switch (c) {
	case 'C':
		if (has_control(arg))
			return usage_error(o, "-C takes a file name without "
			    "control characters, not", arg);
		o->config_file = arg;
		o->config_required = 1;
		return 0;
	case 's':
		return add_server(o, arg);
	case 'f':
		o->sender = arg;
		return 0;
	case 'i':
		if (!address_queue_id_ok(arg))
			return usage_error(o, "-i takes a queue id (letters, "
			    "digits, -, _ and ., up to 255), not", arg);
		o->qid = arg;
		return 0;
	case 'q':
		if (config_set(&scratch, "ignorequota", arg) < 0)
			return expected_error(o, 'q', "ignorequota", arg);
		o->policy = arg;
		return 0;
	case 't':
		if (config_set(&scratch, "timeout", arg) < 0)
			return expected_error(o, 't', "timeout", arg);
		o->timeout = arg;
		return 0;
	case 'v':
		o->verbose = 1;
		return 0;
	case 'n':
		o->check = 1;
		return 0;
	case 'L':
		o->local = 1;
		return 0;
	default:	/* 'l' */
		o->lmtp = 1;
		return 0;
	}
}

/* The options that exclude each other, and the recipients. */
static int
check_combination(const struct options *o)
{
	if (o->check && o->lmtp)
		return usage_error(o, "-n and -l do not go together", NULL);
	if (o->check && o->nrcpts > 0)
		return usage_error(o, "-n takes no recipients", NULL);
	if (o->lmtp && (o->nrcpts > 0 || o->sender != NULL || o->qid != NULL))
		return usage_error(o, "-l takes the envelope over LMTP: no -f, "
		    "no -i, no recipients", NULL);
	if (!o->check && !o->lmtp && o->nrcpts == 0)
		return usage_error(o, "no recipients", NULL);
	return 0;
}

/* -h or -V: print, and nothing more to do. */
static int
print_and_done(int c, int *done)
{
	if (c == 'V')
		printf("lmtp-iq %s\n", VERSION);
	else
		usage(stdout);
	*done = 1;
	return EX_OK;
}

int
options_parse(int argc, char **argv, struct options *o, int *done)
{
	char opt[3] = "-?";
	int c, rc, at;

	memset(o, 0, sizeof(*o));
	o->config_file = CONFIG_DEFAULT_FILE;
	o->check = scan_options(argc, argv, &at);
	*done = 0;
	if (at > 0) {
		if (strcmp(argv[at], "--help") == 0)
			c = 'h';
		else if (strcmp(argv[at], "--version") == 0)
			c = 'V';
		else
			return usage_error(o, "unknown option", argv[at]);
		return print_and_done(c, done);
	}
	opterr = 0;
	while ((c = getopt(argc, argv, OPTIONS)) != -1) {
		if (c == 'V' || c == 'h')
			return print_and_done(c, done);
		if (c == '?') {
			/* The option itself: getopt may still be inside the
			 * word (-vx), so argv[optind - 1] need not be it. */
			opt[1] = (char)optopt;
			if (option_spec(optopt) == NULL)
				return usage_error(o, "unknown option", opt);
			return usage_error(o, "option needs a value", opt);
		}
		if ((rc = take_option(o, c, optarg)) != 0)
			return rc;
	}
	o->rcpts = argv + optind;
	o->nrcpts = argc - optind;
	return check_combination(o);
}

