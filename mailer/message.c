/* SPDX-License-Identifier: ISC */
/*
 * message.c - stdin to DATA body, one fixed chunk at a time.
 */
#define _POSIX_C_SOURCE 200809L
#include "message.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void
message_encoder_init(struct message_encoder *e)
{
	e->at_bol = 1;
	e->pending_cr = 0;
}

/* Convert in[0..n) into out, which must hold 2n + 2 bytes: every byte
 * yields at most two.  Returns the output length. */
size_t
message_encode(struct message_encoder *s, const unsigned char *in, size_t n,
    char *out)
{
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = in[i];
		if (s->pending_cr) {
			s->pending_cr = 0;
			out[o++] = '\r';
			if (c == '\n') {
				out[o++] = '\n';
				s->at_bol = 1;
				continue;
			}
			/* A bare CR is data; it does not end a line. */
			s->at_bol = 0;
		}
		if (c == '\r') {
			s->pending_cr = 1;
		} else if (c == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			s->at_bol = 1;
		} else {
			if (c == '.' && s->at_bol)
				out[o++] = '.';
			out[o++] = (char)c;
			s->at_bol = 0;
		}
	}
	return o;
}

/* What the end of input needs: the held CR and a final line end. */
size_t
message_encode_finish(struct message_encoder *s, char *out)
{
	size_t o = 0;

	if (s->pending_cr || !s->at_bol) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	s->pending_cr = 0;
	s->at_bol = 1;
	return o;
}

int
message_send(void *ctx, struct transport *t)
{
	struct message_src *src = ctx;
	struct message_encoder s;
	unsigned char in[MESSAGE_CHUNK];
	char out[2 * MESSAGE_CHUNK + 2];
	ssize_t n;
	size_t o;

	message_encoder_init(&s);
	for (;;) {
		n = read(src->fd, in, sizeof(in));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(src->err, sizeof(src->err), "%s", strerror(errno));
			return -2;
		}
		if (n == 0)
			break;
		o = message_encode(&s, in, (size_t)n, out);
		if (transport_write(t, out, o) < 0)
			return -1;
	}
	o = message_encode_finish(&s, out);
	return transport_write(t, out, o) < 0 ? -1 : 0;
}
