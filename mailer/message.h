/*
 * message.h - stream a message from a file descriptor into an LMTP DATA
 * body: line ends become CRLF, leading dots are doubled (RFC 5321
 * 4.5.2), a missing final line end is added.  Memory use is fixed.
 */
#ifndef LMTPIQ_MESSAGE_H
#define LMTPIQ_MESSAGE_H

#include "transport.h"

#define MESSAGE_CHUNK 16384

struct message_src {
	int fd;
	long long bytes_in;	/* bytes read from fd */
	char err[256];		/* why reading failed */
};

/* The lmtp_txn body callback: 0, -1 transport failure (t->err), -2 input
 * failure (src->err). */
int message_send(void *src, struct transport *t);

#endif
