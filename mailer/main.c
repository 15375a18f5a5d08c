/* SPDX-License-Identifier: ISC */
/*
 * main.c - lmtp-iq: a Sendmail mailer program that delivers to an LMTP
 * server (Cyrus lmtpd) with IGNOREQUOTA.  The envelope comes on argv,
 * the message on stdin, and the exit status (sysexits.h) is all Sendmail
 * reads: 0 only when every recipient got a 2xx after the final dot.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>

#include "deliver.h"
#include "config.h"
#include "log.h"
#include "policy.h"
#include "probe.h"
#include "relay.h"

#ifndef VERSION
#define VERSION "unknown"
#endif

struct options {
	const char *config_file;
	int config_required;
	char servers[CONFIG_VALUE_MAX];	/* each -s, in order */
	const char *sender;
	int policy;		/* -1 = not given */
	int timeout;		/* 0 = not given */
	int verbose;
	int check;
	int lmtp;		/* -l: speak LMTP on stdin and stdout */
	int local;		/* -L: Sendmail's local mailer */
	char **rcpts;
	int nrcpts;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: lmtp-iq [-C config] [-s server] [-f sender] [-q policy] "
	    "[-t seconds] [-v] [-L] [--] recipient...\n"
	    "       lmtp-iq -l [-C config] [-s server] [-q policy] "
	    "[-t seconds] [-v] [-L]\n"
	    "       lmtp-iq -n [-C config] [-s server] [-q policy] [-v] [-L]\n"
	    "       lmtp-iq -V | -h\n"
	    "  -C config   config file (default " CONFIG_DEFAULT_FILE ")\n"
	    "  -s server   /path, unix:/path, host, host:port or [v6addr]:port\n"
	    "  -f sender   envelope sender; missing, empty or <> is the null "
	    "sender\n"
	    "  -q policy   IGNOREQUOTA: require (default), auto, force or off\n"
	    "  -t seconds  timeout for connect and each reply (default %d; "
	    "%d after the final dot)\n"
	    "  -v          trace the LMTP dialogue on stderr\n"
	    "  -l          LMTP mode: Sendmail speaks LMTP on stdin/stdout "
	    "(F=mz)\n"
	    "  -L          the local mailer: IGNOREQUOTA for notice_senders "
	    "only\n"
	    "  -n          check: connect, LHLO, report what the server offers\n"
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

	log_fail("%s%s%s; try lmtp-iq -h%s", what, arg ? ": " : "",
	    arg ? log_escape(arg, shown, sizeof(shown)) : "",
	    o->check ? "" : "; the message stays queued");
	return o->check ? EX_USAGE : EX_TEMPFAIL;
}

/* -n anywhere among the options: errors then are a person's, not a
 * mailer definition's. */
static int
wants_check(int argc, char **argv)
{
	const char *p;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		for (p = argv[i] + 1; *p; p++) {
			if (*p == 'n')
				return 1;
			if (strchr("Csfqt", *p) != NULL) {
				i += p[1] == '\0';	/* its value follows */
				break;
			}
		}
	}
	return 0;
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
		return usage_error(o, "-s takes one server each, up to 16 in "
		    "all, not", spec);
	snprintf(o->servers + n, sizeof(o->servers) - n, "%s%s", n ? " " : "",
	    spec);
	return 0;
}

/* One option with its value: 0, or an exit status for main. */
static int
take_option(struct options *o, int c, char *arg)
{
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
	case 'q':
		if ((o->policy = config_policy(arg)) < 0)
			return usage_error(o, "-q takes require, auto, force or "
			    "off, not", arg);
		return 0;
	case 't':
		if ((o->timeout = config_timeout(arg)) < 0)
			return usage_error(o, "-t takes whole seconds from 1 to "
			    "86400, not", arg);
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
	if (o->lmtp && (o->nrcpts > 0 || o->sender != NULL))
		return usage_error(o, "-l takes the envelope over LMTP: no -f, "
		    "no recipients", NULL);
	if (!o->check && !o->lmtp && o->nrcpts == 0)
		return usage_error(o, "no recipients", NULL);
	return 0;
}

/* 0, or an exit status for main to return (-V and -h return EX_OK). */
static int
parse_args(int argc, char **argv, struct options *o, int *done)
{
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->config_file = CONFIG_DEFAULT_FILE;
	o->policy = -1;
	o->check = wants_check(argc, argv);
	*done = 0;
	opterr = 0;
	/* '+': stop at the first recipient, as POSIX getopt does. */
	while ((c = getopt(argc, argv, "+C:s:f:q:t:vnlLVh")) != -1) {
		if (c == 'V' || c == 'h') {
			if (c == 'V')
				printf("lmtp-iq %s\n", VERSION);
			else
				usage(stdout);
			*done = 1;
			return EX_OK;
		}
		if (c == '?') {
			if (optopt == 0 || strchr("CsfqtvnlLVh", optopt) == NULL)
				return usage_error(o, "unknown option",
				    argv[optind - 1]);
			return usage_error(o, "option needs a value",
			    argv[optind - 1]);
		}
		if ((rc = take_option(o, c, optarg)) != 0)
			return rc;
	}
	o->rcpts = argv + optind;
	o->nrcpts = argc - optind;
	return check_combination(o);
}

static void
on_fatal_signal(int sig)
{
	static const char msg[] = LOG_PROGNAME ": interrupted; the message "
	    "stays queued\n";

	(void)sig;
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(EX_TEMPFAIL);
}

static void
setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);	/* a write error is a no-verdict */
	sa.sa_handler = on_fatal_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* Sendmail may start us with fd 0, 1 or 2 closed; the next socket would
 * then take its number, and the -v trace (fd 2) would go into the LMTP
 * connection.  Each closed one is opened on /dev/null; *stdin_closed
 * says whether fd 0 was, since /dev/null would read as an empty message.
 * 0 or -1. */
static int
std_fds_open(int *stdin_closed)
{
	int fd;

	*stdin_closed = 0;
	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		if (fd == 0)
			*stdin_closed = 1;
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			return -1;
	}
	return 0;
}

/* A configuration that cannot be used.  Sendmail bounces EX_CONFIG: a
 * broken config must keep the mail queued until the postmaster fixes
 * it.  In LMTP mode Sendmail is greeted with 421 and the reason, which
 * its own log then shows. */
static int
config_failed(const struct options *o, const struct config *cfg,
    const char *why)
{
	char text[CONFIG_ERR_MAX + 32];

	if (o->lmtp) {
		log_mail(LOG_ERR, "config: %s; nothing served, the mail stays "
		    "queued", why);
		snprintf(text, sizeof(text), "lmtp-iq: config: %s", why);
		return relay_refuse(cfg, text);
	}
	log_fail("config: %s%s", why, o->check ? "" :
	    "; the message stays queued");
	return o->check ? EX_CONFIG : EX_TEMPFAIL;
}

int
main(int argc, char **argv)
{
	struct options o;
	struct config cfg;
	char err[CONFIG_ERR_MAX];
	const char *why;
	int done, rc, stdin_closed;

	if (std_fds_open(&stdin_closed) < 0)
		return EX_OSERR;
	/* Until the config says otherwise, failures reach syslog too. */
	log_init(1);
	rc = parse_args(argc, argv, &o, &done);
	if (rc != 0 || done)
		return rc;
	config_defaults(&cfg);
	if (config_load(&cfg, o.config_file, o.config_required, err,
	    sizeof(err)) < 0)
		return config_failed(&o, &cfg, err);
	if (o.servers[0])
		snprintf(cfg.server, sizeof(cfg.server), "%s", o.servers);
	if (o.policy >= 0)
		cfg.policy = (enum iq_policy)o.policy;
	if (o.timeout > 0)
		cfg.timeout = cfg.data_timeout = o.timeout;
	if (o.local && (why = policy_local_problem(&cfg)) != NULL)
		return config_failed(&o, &cfg, why);
	log_init(cfg.syslog && !o.check);
	if (stdin_closed && !o.check) {
		/* Not an empty message: no message at all.  Keep it queued. */
		log_fail("no message on stdin (it is closed); nothing sent; the "
		    "message stays queued");
		return EX_TEMPFAIL;
	}
	if (!o.check && !o.lmtp &&
	    (rc = deliver_check(o.sender, o.rcpts, o.nrcpts)) != 0)
		return rc;
	setup_signals();
	if (o.lmtp)
		return relay_serve(&cfg, o.verbose);
	return o.check ? probe_servers(&cfg, o.verbose) :
	    deliver_argv(&cfg, o.sender, o.rcpts, o.nrcpts, o.verbose);
}
