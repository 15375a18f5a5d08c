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

#include "address.h"
#include "deliver.h"
#include "config.h"
#include "log.h"
#include "options.h"
#include "policy.h"
#include "probe.h"
#include "relay.h"

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
	log_setup_fail("config: %s%s", why, o->check ? "" :
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

	if (std_fds_open(&stdin_closed) < 0) {
		/* No stderr to speak on: syslog alone.  71 keeps the mail
		 * queued (Sendmail and Postfix take EX_OSERR as transient). */
		log_init(1);
		log_mail(LOG_ERR, "start: standard input, output or error is "
		    "closed and /dev/null cannot be opened; nothing sent; the "
		    "message stays queued");
		return EX_OSERR;
	}
	/* Until the config says otherwise, failures reach syslog too. */
	log_init(1);
	rc = options_parse(argc, argv, &o, &done);
	if (rc != 0 || done)
		return rc;
	config_defaults(&cfg);
	if (config_load(&cfg, o.config_file, o.config_required, err,
	    sizeof(err)) < 0)
		return config_failed(&o, &cfg, err);
	if (o.servers[0])
		snprintf(cfg.server, sizeof(cfg.server), "%s", o.servers);
	/* Checked by options.c through the same rows. */
	if (o.policy != NULL)
		(void)config_set(&cfg, "ignorequota", o.policy);
	if (o.timeout != NULL) {
		(void)config_set(&cfg, "timeout", o.timeout);
		(void)config_set(&cfg, "data_timeout", o.timeout);
	}
	if ((why = policy_config_problem(&cfg)) != NULL)
		return config_failed(&o, &cfg, why);
	log_init(cfg.syslog && !o.check);
	if (stdin_closed && !o.check) {
		/* Not an empty message: no message at all.  Keep it queued. */
		log_fail("no message on stdin (it is closed); nothing sent; the "
		    "message stays queued");
		return EX_TEMPFAIL;
	}
	if (!o.lmtp && (!o.check || o.sender != NULL) &&
	    (rc = deliver_check(o.sender, o.rcpts, o.nrcpts)) != 0)
		return rc;
	setup_signals();
	if (o.lmtp)
		return relay_serve(&cfg, o.verbose);
	return o.check ? probe_servers(&cfg, o.sender == NULL ? NULL :
	    address_envelope_sender(o.sender), o.verbose) :
	    deliver_argv(&cfg, o.sender, o.qid, o.rcpts, o.nrcpts, o.verbose);
}
