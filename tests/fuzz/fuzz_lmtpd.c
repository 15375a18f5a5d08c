/* SPDX-License-Identifier: ISC */
/*
 * fuzz_lmtpd - LMTP mode's server side on any bytes a client could send:
 * commands, envelopes and bodies.  Beyond no crash, no hang and no leak:
 * every address handed over at DATA is one address_problem accepts (so
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct transport t;
	struct lmtpd d;
	size_t i;
	int sv[2];

	if (size > 20000 || fuzz_pair(data, size, &t, sv) < 0)
		return 0;
	lmtpd_init(&d, &t, "fuzz.test", 100, 100, 0);
	if (lmtpd_greet(&d) == 0) {
		while (lmtpd_next(&d) == LMTPD_DATA) {
			if (address_problem(d.sender) != NULL)
				abort();
			for (i = 0; i < d.nrcpts; i++)
				if (d.rcpts[i][0] == '\0' ||
				    address_problem(d.rcpts[i]) != NULL)
					abort();
			if (lmtpd_data_start(&d) < 0)
				break;
			body(&d);
			for (i = 0; i < d.nrcpts; i++)
				(void)lmtpd_reply(&d, 250, "2.1.5", "ok");
			lmtpd_txn_end(&d);
		}
	}
	lmtpd_free(&d);
	transport_close(&t);
	close(sv[1]);
	return 0;
}
