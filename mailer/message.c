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
	e->col = 0;
	e->pending_cr = 0;
	e->in_header = 1;
}

/* The end of a line of the input. */
static size_t
line_end(struct message_encoder *e, char *out)
{
	if (e->col == 0)
		e->in_header = 0;	/* the empty line after the header */
	e->col = 0;
	out[0] = '\r';
	out[1] = '\n';
	return 2;
}

/* A line that reached MESSAGE_LINE_MAX and goes on.  In the header
 * section the rest becomes a continuation line (CRLF SP: the header
 * stays one folded header, RFC 5322 2.2.3); in the body a plain CRLF
 * adds no byte of its own. */
static size_t
line_break(struct message_encoder *e, char *out)
{
	out[0] = '\r';
	out[1] = '\n';
	e->col = 0;
	if (!e->in_header)
		return 2;
	out[2] = ' ';
	e->col = 1;
	return 3;
}

/* Where c next occurs in in[from..n), or n. */
static size_t
next(const unsigned char *in, size_t n, size_t from, int c)
{
	const unsigned char *p = memchr(in + from, c, n - from);

	return p != NULL ? (size_t)(p - in) : n;
}

/*
 * Convert in[0..n) into out.  Returns the output length.
 *
 * Receivers do not agree on what ends a line: RFC 5321 says CRLF, a
 * reader may split at a bare LF, and Cyrus's lmtpd reads at most 8189
 * bytes at a time and removes lone CRs before it looks for the final
 * dot.  So nothing is sent that any of them could read two ways: no CR
 * that is not part of a CRLF (dropped: it is what Cyrus would store),
 * no bare LF, no line longer than MESSAGE_LINE_MAX.  Then every reader
 * finds the same lines, and dot-stuffing each of them is enough.
 *
 * The text between line ends is copied in runs (memchr for the next LF
 * and the next CR, each remembered until it is passed, then memcpy): a
 * byte needs a decision only at a line end, a CR, a leading dot or a
 * break.  A single loop that looks for both bytes while it copies was
 * slower here than glibc's vectorised memchr twice.
 */
size_t
message_encode(struct message_encoder *e, const unsigned char *in, size_t n,
    char *out)
{
	size_t i = 0, o = 0, nl = 0, cr = 0, stop;

	if (n == 0)
		return 0;
	if (e->pending_cr) {
		e->pending_cr = 0;
		if (in[0] == '\n') {
			o += line_end(e, out);
			i = 1;
		}		/* else the CR was a lone one: dropped */
	}
	nl = next(in, n, i, '\n');
	cr = next(in, n, i, '\r');
	while (i < n) {
		if (nl < i)
			nl = next(in, n, i, '\n');
		if (cr < i)
			cr = next(in, n, i, '\r');
		if (i == nl) {
			o += line_end(e, out + o);
			i++;
			continue;
		}
		if (i == cr) {
			if (i + 1 == n)
				e->pending_cr = 1;
			else if (in[i + 1] == '\n') {
				o += line_end(e, out + o);
				i++;
			}
			i++;
			continue;
		}
		if (e->col == MESSAGE_LINE_MAX)
			o += line_break(e, out + o);
		if (e->col == 0 && in[i] == '.')
			out[o++] = '.';
		stop = i + (MESSAGE_LINE_MAX - e->col);
		if (stop > nl)
			stop = nl;
		if (stop > cr)
			stop = cr;
		memcpy(out + o, in + i, stop - i);
		o += stop - i;
		e->col += stop - i;
		i = stop;
	}
	return o;
}

/* What the end of input needs: a final line end.  A CR that was the
 * last byte is a lone one. */
size_t
message_encode_finish(struct message_encoder *e, char *out)
{
	size_t o = 0;

	e->pending_cr = 0;
	if (e->col > 0)
		o = line_end(e, out);
	return o;
}

int
message_stream(struct message_buf *b, message_reader read_fn, void *ctx,
    struct transport *t)
{
	struct message_encoder e;
	size_t o;
	int n;

	message_encoder_init(&e);
	while ((n = read_fn(ctx, b->in, sizeof(b->in))) > 0) {
		o = message_encode(&e, b->in, (size_t)n, b->out);
		if (transport_write(t, b->out, o) < 0)
			return -1;
	}
	if (n < 0)
		return -2;
	o = message_encode_finish(&e, b->out);
	return transport_write(t, b->out, o) < 0 ? -1 : 0;
}

/* read(2), EINTR retried, the reason kept. */
static int
read_fd(void *ctx, unsigned char *buf, size_t cap)
{
	struct message_src *src = ctx;
	ssize_t n;

	do
		n = read(src->fd, buf, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		snprintf(src->err, sizeof(src->err), "%s", strerror(errno));
	return (int)n;
}

int
message_send(void *ctx, struct transport *t)
{
	struct message_src *src = ctx;

	return message_stream(src->buf, read_fd, src, t);
}
