/* SPDX-License-Identifier: ISC */
/*
 * fuzz_lmtpd - LMTP mode's server side on any bytes a client could send:
 * commands, envelopes and bodies, with the caller's replies owed and
 * given as relay.c gives them.  Beyond no crash, no hang and no leak:
 * the replies lmtpd counts as owed are the ones handed over, and
 * every address handed over is one address_problem accepts (so
 * the command it goes into upstream stays one well-formed line), and the
 * body, decoded and encoded again for upstream, never holds a line that
 * is a lone "." or starts with a single dot.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../mailer/address.h"
#include "../../mailer/lmtpd.h"
#include "../../mailer/message.h"
#include "pair.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where the output stands: at a line start, after a leading dot, or
 * inside a line. */
enum { OUT_BOL, OUT_DOT, OUT_MID };

static void
check_stuffed(const char *p, size_t n, int *st)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (*st == OUT_DOT && p[i] != '.')
			abort();	/* a line starts with one dot */
		if (p[i] == '\n')
			*st = OUT_BOL;
		else if (*st == OUT_BOL && p[i] == '.')
			*st = OUT_DOT;
		else
			*st = OUT_MID;
	}
}

static void
body(struct lmtpd *d)
{
	static char in[4096], out[2 * sizeof(in) + 2];
	struct message_encoder e;
	size_t o;
	int n, st = OUT_BOL;

	message_encoder_init(&e);
	while ((n = lmtpd_body_read(d, in, sizeof(in))) > 0) {
		o = message_encode(&e, (const unsigned char *)in, (size_t)n, out);
		check_stuffed(out, o, &st);
	}
	o = message_encode_finish(&e, out);
	check_stuffed(out, o, &st);
}

/* The replies a relay owes, answered as relay.c would: MAIL accepted,
 * or refused (an odd-length sender) with 503 for the recipients handed
 * over behind it. */
struct owed {
	int mail;		/* MAIL is among them */
	size_t rcpts;
};

static void
answer_owed(struct lmtpd *d, struct owed *o)
{
	int refuse = o->mail && strlen(d->sender) % 2 == 1;

	if (o->mail)
		(void)lmtpd_answer(d, refuse ? 550 : 250, refuse ? "5.1.8" :
		    "2.1.0", "mail");
	for (; o->rcpts > 0; o->rcpts--)
		(void)lmtpd_answer(d, refuse ? 503 : 250, refuse ? "5.5.1" :
		    "2.1.5", "rcpt");
	if (refuse)
		lmtpd_mail_refused(d);
	o->mail = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct transport t;
	struct lmtpd d;
	struct owed o = { 0, 0 };
	size_t i;
	int sv[2], done = 0;

	if (size > 20000 || fuzz_pair(data, size, &t, sv) < 0)
		return 0;
	lmtpd_init(&d, &t, "fuzz.test", 100, 100, 0);
	done = lmtpd_greet(&d) < 0;
	while (!done) {
		/* Waiting only when nothing is owed, as relay.c does. */
		switch (lmtpd_next(&d, o.mail == 0 && o.rcpts == 0)) {
		case LMTPD_MAIL:
			if (address_problem(d.sender) != NULL || o.mail ||
			    o.rcpts)
				abort();
			o.mail = 1;
			break;
		case LMTPD_RCPT:
			i = d.nrcpts - 1;
			if (d.rcpts[i][0] == '\0' ||
			    address_problem(d.rcpts[i]) != NULL)
				abort();
			o.rcpts++;
			break;
		case LMTPD_DATA:
			if (d.nrcpts == 0)
				abort();
			answer_owed(&d, &o);
			if (lmtpd_data_start(&d) < 0) {
				done = 1;
				break;
			}
			body(&d);
			for (i = 0; i < d.nrcpts; i++)
				(void)lmtpd_reply(&d, 250, "2.1.5", "ok");
			lmtpd_txn_end(&d);
			break;
		case LMTPD_WAIT:
			answer_owed(&d, &o);
			break;
		case LMTPD_RESET:
			if (o.mail || o.rcpts)
				abort();	/* out of order */
			break;
		case LMTPD_END:
		case LMTPD_FAIL:
			done = 1;
			break;
		}
		if (d.owed != (size_t)o.mail + o.rcpts)
			abort();
	}
	lmtpd_free(&d);
	transport_close(&t);
	close(sv[1]);
	return 0;
}
