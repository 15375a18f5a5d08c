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

#include "address.h"
#include "mimeword.h"
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#endif

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

/* Copy in[0..max) to out up to the first CR or LF; returns how many
 * bytes were copied. */
static size_t
copy_plain(const unsigned char *in, size_t max, char *out)
{
	const unsigned char *lf = memchr(in, '\n', max), *cr;
	size_t n = lf != NULL ? (size_t)(lf - in) : max;

	if ((cr = memchr(in, '\r', n)) != NULL)
		n = (size_t)(cr - in);
	memcpy(out, in, n);
	return n;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_COPY_AVX2 1
/*
 * The same in one pass, 32 bytes at a time: looking for two bytes with
 * memchr reads each line twice, which cost 10-20% here.  Each 32 bytes
 * are stored before they are looked at: past a CR or LF they are
 * scratch that the next write covers, never beyond out + max.  The
 * last, partial 32 are taken as the 32 that end at max, overlapping
 * bytes already copied (stored again, the same).
 */
__attribute__((target("avx2"))) static size_t
copy_avx2(const unsigned char *in, size_t max, char *out)
{
	const __m256i cr = _mm256_set1_epi8('\r'), lf = _mm256_set1_epi8('\n');
	__m256i v;
	unsigned m;
	size_t i = 0;

	if (max < 32)
		return copy_plain(in, max, out);
	/* 64 bytes a round while they fit: one test for both halves. */
	for (; i + 64 <= max; i += 64) {
		__m256i w = _mm256_loadu_si256((const __m256i *)(const void *)
		    (in + i + 32));
		__m256i hv, hw;

		v = _mm256_loadu_si256((const __m256i *)(const void *)(in + i));
		_mm256_storeu_si256((__m256i *)(void *)(out + i), v);
		_mm256_storeu_si256((__m256i *)(void *)(out + i + 32), w);
		hv = _mm256_or_si256(_mm256_cmpeq_epi8(v, cr),
		    _mm256_cmpeq_epi8(v, lf));
		hw = _mm256_or_si256(_mm256_cmpeq_epi8(w, cr),
		    _mm256_cmpeq_epi8(w, lf));
		if (_mm256_testz_si256(_mm256_or_si256(hv, hw),
		    _mm256_or_si256(hv, hw)))
			continue;
		if ((m = (unsigned)_mm256_movemask_epi8(hv)) != 0)
			return i + (size_t)__builtin_ctz(m);
		return i + 32 + (size_t)__builtin_ctz((unsigned)
		    _mm256_movemask_epi8(hw));
	}
	if (i == max)
		return max;
	for (;;) {
		if (i + 32 > max)
			i = max - 32;	/* the last 32: no CR or LF before i */
		v = _mm256_loadu_si256((const __m256i *)(const void *)(in + i));
		_mm256_storeu_si256((__m256i *)(void *)(out + i), v);
		m = (unsigned)_mm256_movemask_epi8(_mm256_or_si256(
		    _mm256_cmpeq_epi8(v, cr), _mm256_cmpeq_epi8(v, lf)));
		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
		if (i + 32 == max)
			return max;
		i += 32;
	}
}
#endif

#ifdef LMTPIQ_TEST_HOOKS
int message_force_plain;
#endif

static size_t
copy_text(const unsigned char *in, size_t max, char *out)
{
#ifdef HAVE_COPY_AVX2
	static int avx2 = -1;

	if (avx2 < 0)
		avx2 = __builtin_cpu_supports("avx2") != 0;
#ifdef LMTPIQ_TEST_HOOKS
	if (message_force_plain)
		return copy_plain(in, max, out);
#endif
	if (avx2)
		return copy_avx2(in, max, out);
#endif
	return copy_plain(in, max, out);
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
 * A byte needs a decision only at a CR or LF, a leading dot or a break;
 * the text between is copied in runs (copy_text).
 */
size_t
message_encode(struct message_encoder *e, const unsigned char *in, size_t n,
    char *out)
{
	size_t i = 0, o = 0, run;

	if (n == 0)
		return 0;
	if (e->pending_cr) {
		e->pending_cr = 0;
		if (in[0] == '\n') {
			o += line_end(e, out);
			i = 1;
		}		/* else the CR was a lone one: dropped */
	}
	while (i < n) {
		if (in[i] == '\n') {
			o += line_end(e, out + o);
			i++;
			continue;
		}
		if (in[i] == '\r') {
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
		run = MESSAGE_LINE_MAX - e->col;
		if (run > n - i)
			run = n - i;
		run = copy_text(in + i, run, out + o);
		o += run;
		e->col += run;
		i += run;
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

enum lmtp_result
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
			return LMTP_EFAIL;
	}
	if (n < 0)
		return LMTP_EINPUT;
	o = message_encode_finish(&e, b->out);
	return transport_write(t, b->out, o) < 0 ? LMTP_EFAIL : LMTP_OK;
}

int
message_read_fd(void *ctx, unsigned char *buf, size_t cap)
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

void
message_tee_init(struct message_tee *tee, message_reader inner,
    void *inner_ctx)
{
	tee->inner = inner;
	tee->inner_ctx = inner_ctx;
	tee->headlen = 0;
	tee->size = 0;
	tee->ended = 0;
}

int
message_tee_read(void *ctx, unsigned char *buf, size_t cap)
{
	struct message_tee *tee = ctx;
	int n = tee->inner(tee->inner_ctx, buf, cap);
	size_t take;

	if (n == 0)
		tee->ended = 1;
	if (n <= 0)
		return n;
	take = sizeof(tee->head) - tee->headlen;
	if (take > (size_t)n)
		take = (size_t)n;
	memcpy(tee->head + tee->headlen, buf, take);
	tee->headlen += take;
	tee->size += n;
	return n;
}

int
message_tee_drain(struct message_tee *tee)
{
	unsigned char buf[8192];
	int n;

	while (!tee->ended && (n = message_tee_read(tee, buf, sizeof(buf))) != 0)
		if (n < 0)
			return -1;
	return 0;
}

enum lmtp_result
message_body_send(void *ctx, struct transport *t)
{
	struct message_body *b = ctx;

	return message_stream(b->buf, b->read, b->read_ctx, t);
}

void
message_tee_msgid(const struct message_tee *tee, char *out, size_t cap)
{
	char raw[1024];
	const char *lt, *gt;
	long n = mimeword_field(tee->head, tee->headlen, "Message-ID", raw,
	    sizeof(raw) - 1);
	size_t i, len;

	out[0] = '\0';
	if (n <= 0 || cap < 3)
		return;
	raw[n] = '\0';
	if ((lt = strchr(raw, '<')) == NULL || (gt = strchr(lt, '>')) == NULL)
		return;
	len = (size_t)(gt - lt) + 1;
	if (len >= cap)
		len = cap - 1;
	for (i = 0; i < len; i++)
		out[i] = lt[i] > 0x20 && lt[i] < 0x7f ? lt[i] : '?';
	out[len] = '\0';
}

void
message_tee_received_id(const struct message_tee *tee, char *out,
    size_t cap)
{
	char raw[2048];
	long n = mimeword_field(tee->head, tee->headlen, "Received", raw,
	    sizeof(raw) - 1);
	const char *p;
	size_t len;

	out[0] = '\0';
	if (n <= 0)
		return;
	raw[n] = '\0';
	for (p = raw; (p = strstr(p, " id ")) != NULL; p += 4) {
		len = strspn(p + 4, ADDRESS_QUEUE_ID_CHARS);
		/* The id ends at a space or ";", and is all it is. */
		if (len > 0 && len < cap && (p[4 + len] == '\0' ||
		    p[4 + len] == ' ' || p[4 + len] == ';')) {
			memcpy(out, p + 4, len);
			out[len] = '\0';
			return;
		}
	}
}
