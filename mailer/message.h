/* SPDX-License-Identifier: ISC */
/*
 * message.h - stream a message from a file descriptor into an LMTP DATA
 * body: line ends become CRLF, leading dots are doubled (RFC 5321
 * 4.5.2), a missing final line end is added.  Memory use is fixed.
 */
#ifndef LMTPIQ_MESSAGE_H
#define LMTPIQ_MESSAGE_H

#include "transport.h"

#define MESSAGE_CHUNK 65536

struct message_src {
	int fd;
	char err[256];		/* why reading failed */
};

/* The encoder alone, for tests and fuzzing: feed any pieces, then
 * finish.  out must hold 2 * n + 2 bytes for n bytes in. */
struct message_encoder {
	int at_bol;		/* next byte starts a line */
	int last_cr;		/* the last byte out was a CR; an LF may follow */
};

void message_encoder_init(struct message_encoder *e);
size_t message_encode(struct message_encoder *e, const unsigned char *in,
    size_t n, char *out);
size_t message_encode_finish(struct message_encoder *e, char *out);

/* The lmtp_txn body callback: 0, -1 transport failure (t->err), -2 input
 * failure (src->err). */
int message_send(void *src, struct transport *t);

#endif
