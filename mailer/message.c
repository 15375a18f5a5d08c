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
	e->last_cr = 0;
}

/*
 * Convert in[0..n) into out, which must hold 2n + 2 bytes: every byte
 * yields at most two.  Returns the output length.
 *
 * A line's bytes are copied in one run up to its LF: only the LF (which
 * needs a CR before it unless it has one) and a leading dot need a
 * decision, so memchr and memcpy do the rest.  A bare CR is data and is
 * copied with its line; whether an LF follows is known only later, so
 * the encoder remembers that the last byte out was a CR.
 */
size_t
message_encode(struct message_encoder *e, const unsigned char *in, size_t n,
    char *out)
{
	const unsigned char *nl;
	size_t i = 0, o = 0, len;

	while (i < n) {
		if (e->at_bol && in[i] == '.')
			out[o++] = '.';
		nl = memchr(in + i, '\n', n - i);
		len = (nl != NULL ? (size_t)(nl - in) : n) - i;
		if (len > 0) {
			memcpy(out + o, in + i, len);
			o += len;
			e->last_cr = in[i + len - 1] == '\r';
			e->at_bol = 0;
		}
		if (nl == NULL)
			break;
		if (!e->last_cr)
			out[o++] = '\r';
		out[o++] = '\n';
		e->at_bol = 1;
		e->last_cr = 0;
		i += len + 1;
	}
	return o;
}

/* What the end of input needs: a final line end (completing a CR that
 * was the last byte). */
size_t
message_encode_finish(struct message_encoder *e, char *out)
{
	size_t o = 0;

	if (!e->at_bol) {
		if (!e->last_cr)
			out[o++] = '\r';
		out[o++] = '\n';
	}
	e->at_bol = 1;
	e->last_cr = 0;
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
