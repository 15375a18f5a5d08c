/* SPDX-License-Identifier: ISC */
/*
 * deliver.c - argv mode: the envelope from the command line, the message
 * from stdin, one transaction, and the exit status that tells Sendmail
 * what happened to it.
 */
#define _DEFAULT_SOURCE
#include "deliver.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>

#include "address.h"
#include "log.h"
#include "message.h"
#include "refusal.h"
#include "session.h"
#include "status.h"

int
deliver_check(const char *sender, char **rcpts, int nrcpts)
{
	const char *bad;
	int i;

	if ((bad = address_problem(address_envelope_sender(sender))) != NULL) {
		log_fail_dsn("5.1.7", "sender: %s; nothing sent", bad);
		return EX_DATAERR;
	}
	for (i = 0; i < nrcpts; i++) {
		if (rcpts[i][0] == '\0')
			bad = "empty recipient";
		else
			bad = address_problem(rcpts[i]);
		if (bad != NULL) {
			log_fail_dsn("5.1.3", "recipient %d: %s; nothing sent",
			    i + 1, bad);
			return EX_DATAERR;
		}
	}
	return 0;
}

/* -1 when the size is unknown (a pipe, as from Sendmail). */
static long long
input_size(int fd)
{
	struct stat st;
	off_t pos;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	pos = lseek(fd, 0, SEEK_CUR);
	return pos < 0 || pos > st.st_size ? -1 : (long long)(st.st_size - pos);
}

/* The exit status is the reply to Sendmail, and nothing may delay it:
 * the notices go from a child of our own, with stdout and stderr on
 * /dev/null so that Sendmail is not left waiting on them.  It reads the
 * rest of the message (for its Subject and size) and opens its own
 * session. */
static void
notify_later(struct refusal *r, int verbose, const char *sender,
    struct message_tee *tee, const struct lmtp_rcpt *rcpts, size_t n)
{
	struct session s;
	pid_t pid;
	int fd;

	if ((pid = fork()) != 0) {
		if (pid < 0)
			log_mail(LOG_ERR, "refusal notice: not sent: fork: %s",
			    strerror(errno));
		return;
	}
	(void)setsid();
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		(void)dup2(fd, STDOUT_FILENO);
		(void)dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if (message_tee_drain(tee) < 0)
		log_mail(LOG_NOTICE, "refusal notice: the rest of the message "
		    "could not be read; its size is not known");
	session_init(&s, r->cfg, verbose, 0);
	refusal_send(r, &s, sender, tee, rcpts, n);
	session_close(&s);
	_exit(0);
}

int
deliver_argv(const struct config *cfg, const char *sender, const char *qid,
    char **addrs, int nrcpts, int verbose)
{
	struct session_trail trail = { .start_ms = transport_now_ms() };
	struct session s;
	struct message_buf buf;	/* not zeroed: a small message touches little */
	struct message_src src = { .fd = STDIN_FILENO };
	/* The body through a tee: its Subject and size, should a
	 * recipient be refused for quota. */
	struct message_tee tee;
	struct message_body body = { .buf = &buf, .read = message_tee_read,
		.read_ctx = &tee };
	struct refusal r;
	struct lmtp_rcpt *rcpts;
	struct lmtp_txn x;
	enum lmtp_result rc;
	int i, first, status;

	rcpts = calloc((size_t)nrcpts, sizeof(*rcpts));
	if (rcpts == NULL) {
		log_fail("out of memory; the message stays queued");
		return EX_TEMPFAIL;
	}
	for (i = 0; i < nrcpts; i++)
		rcpts[i].addr = addrs[i];
	session_init(&s, cfg, verbose, 0);
	message_tee_init(&tee, message_read_fd, &src);
	x = (struct lmtp_txn){ .sender = address_envelope_sender(sender),
		.size = input_size(STDIN_FILENO), .rcpts = rcpts,
		.nrcpts = (size_t)nrcpts, .body = message_body_send,
		.body_ctx = &body, .trace = qid };
	rc = session_deliver(&s, &x);
	if (rc == LMTP_EINPUT) {
		/* Sendmail queues on EX_IOERR; the leading 4.x.x makes
		 * Postfix (which would bounce it) defer too. */
		log_fail_dsn("4.3.0", "reading the message from standard "
		    "input: %s; nothing delivered", src.err);
		free(rcpts);
		return EX_IOERR;
	}
	session_close(&s);
	snprintf(trail.qid, sizeof(trail.qid), "%s", qid ? qid : "");
	trail.sender = x.sender;
	message_tee_msgid(&tee, trail.msgid, sizeof(trail.msgid));
	trail.size = tee.ended ? tee.size : x.size;
	for (i = 0; i < nrcpts; i++)
		session_report(&s, &rcpts[i], &trail);
	status = status_combine(rcpts, (size_t)nrcpts);
	/* The recipient whose outcome is the exit status speaks first:
	 * its status leads the output, as Postfix's pipe(8) reads it. */
	if ((first = status_deciding(rcpts, (size_t)nrcpts)) >= 0)
		session_tell(&s, &rcpts[first]);
	for (i = 0; i < nrcpts; i++)
		if (i != first)
			session_tell(&s, &rcpts[i]);
	refusal_init(&r, cfg);
	if (refusal_due(&r, x.sender, rcpts, (size_t)nrcpts))
		notify_later(&r, verbose, x.sender, &tee, rcpts,
		    (size_t)nrcpts);
	free(rcpts);
	return status;
}

