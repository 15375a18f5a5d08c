/* SPDX-License-Identifier: ISC */
/*
 * encoder_ref.h - the DATA body rules written the plainest way, on a
 * whole buffer, for tests to hold the streaming encoder against, and
 * three models of the receiving end to read what it sends.
 *
 * The rules (docs/reference.md, "The message body"): LF and CRLF end a
 * line, sent as CRLF; a CR not followed by LF is dropped; a line longer
 * than 998 octets is broken after each 998 (CRLF SP in the header
 * section, before the first empty line; CRLF in the body); a missing
 * final line end is added; then a line that starts with '.' gets another.
 */
#ifndef ENCODER_REF_H
#define ENCODER_REF_H

#include <stdlib.h>
#include <string.h>

#define REF_LINE_MAX 998

/* Room for what ref_normalise or ref_encode makes of n bytes. */
#define REF_OUT_MAX(n) (3 * (n) + 8)

/* The message as every receiver must give it back. */
static size_t
ref_normalise(const unsigned char *in, size_t n, char *out)
{
	size_t i, o = 0, col = 0;
	int header = 1;

	for (i = 0; i < n; i++) {
		if (in[i] == '\r')
			continue;	/* lone: dropped; before LF: the LF ends it */
		if (in[i] == '\n') {
			if (col == 0)
				header = 0;
			out[o++] = '\r';
			out[o++] = '\n';
			col = 0;
			continue;
		}
		if (col == REF_LINE_MAX) {
			out[o++] = '\r';
			out[o++] = '\n';
			col = 0;
			if (header) {
				out[o++] = ' ';
				col = 1;
			}
		}
		out[o++] = (char)in[i];
		col++;
	}
	if (col > 0) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	return o;
}

/* The normalised message, dot-stuffed: what goes between 354 and the
 * final dot. */
static size_t
ref_encode(const unsigned char *in, size_t n, char *out)
{
	char *norm = malloc(REF_OUT_MAX(n));
	size_t i, o = 0, len = ref_normalise(in, n, norm);

	for (i = 0; i < len; i++) {
		if (norm[i] == '.' && (i == 0 || norm[i - 1] == '\n'))
			out[o++] = '.';
		out[o++] = norm[i];
	}
	free(norm);
	return o;
}

/* The wire rules every body must keep: each CR starts a CRLF, each LF
 * ends one, no line has more than REF_LINE_MAX octets of text (a doubled
 * leading dot not counted).  1 when kept. */
static int
ref_wire_ok(const char *in, size_t n)
{
	size_t i, start = 0, text;

	for (i = 0; i < n; i++) {
		if (in[i] == '\r' && (i + 1 == n || in[i + 1] != '\n'))
			return 0;
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			return 0;
		if (in[i] == '\n') {
			text = i - 1 - start;
			if (text > 0 && in[start] == '.')
				text--;
			if (text > REF_LINE_MAX)
				return 0;
			start = i + 1;
		}
	}
	return start == n;	/* nothing after the last line end */
}

/*
 * Three readers of a DATA stream (the body, then ".\r\n"), each as some
 * receiver reads it.  Each writes the data it takes from the stream to
 * out (room for n bytes; every line given back with CRLF) and returns
 * how many bytes of the stream it consumed up to and including the line
 * it took as the end, or -1 when it found no end.  *len gets the data's
 * length.  A body is safe when all three end exactly at the end of the
 * stream and give back the same data.
 */

/* One line's text (its end taken off) as a reader of the DATA stream
 * takes it: 1 when it is "." (the end of the data); else one leading
 * dot is removed and the text goes to out[*o] with CRLF. */
static int
ref_take_line(const char *text, size_t len, char *out, size_t *o)
{
	if (len == 1 && text[0] == '.')
		return 1;
	if (len > 0 && text[0] == '.') {
		text++;
		len--;
	}
	memcpy(out + *o, text, len);
	*o += len;
	out[(*o)++] = '\r';
	out[(*o)++] = '\n';
	return 0;
}

/* RFC 5321 4.5.2: lines end at CRLF; "." ends the data; one leading dot
 * of any other line is removed. */
static long
ref_read_rfc5321(const char *in, size_t n, char *out, size_t *len)
{
	size_t i = 0, o = 0, end;

	while (i < n) {
		for (end = i; end + 1 < n; end++)
			if (in[end] == '\r' && in[end + 1] == '\n')
				break;
		if (end + 1 >= n)
			break;	/* no CRLF: no complete line */
		if (ref_take_line(in + i, end - i, out, &o)) {
			*len = o;
			return (long)(end + 2);
		}
		i = end + 2;
	}
	*len = o;
	return -1;
}

/* Cyrus lmtpd (spool_copy_msg in imap/spool.c): reads of at most cap
 * bytes that stop after an LF; a read that filled up on a CR gives the
 * CR back; a bare LF becomes CRLF; lone CRs are removed; then a read
 * that is ".\r\n" ends the data and a leading dot is removed.  Cyrus
 * 3.6 reads 8189 bytes. */
static long
ref_read_cyrus(const char *in, size_t n, size_t cap, char *out, size_t *len)
{
	char *line = malloc(cap + 2);
	size_t i = 0, o = 0, take, l, k, m;

	while (i < n) {
		take = n - i < cap ? n - i : cap;
		for (l = 0; l < take; l++)
			if (in[i + l] == '\n')
				break;
		l = l < take ? l + 1 : take;
		memcpy(line, in + i, l);
		i += l;
		if (line[l - 1] == '\r') {
			i--;	/* given back: it may start a CRLF */
			l--;
		} else if (line[l - 1] == '\n' && (l == 1 || line[l - 2] != '\r')) {
			line[l - 1] = '\r';
			line[l++] = '\n';
		}
		for (k = 0, m = 0; k < l; k++)
			if (line[k] != '\r' || (k + 1 < l && line[k + 1] == '\n'))
				line[m++] = line[k];
		l = m;
		if (l == 3 && memcmp(line, ".\r\n", 3) == 0) {
			free(line);
			*len = o;
			return (long)i;
		}
		k = l > 0 && line[0] == '.';
		memcpy(out + o, line + k, l - k);
		o += l - k;
		if (l == 0)
			break;	/* a lone CR given back at the very end */
	}
	free(line);
	*len = o;
	return -1;
}

/* A reader that splits at every LF and drops the CR before it. */
static long
ref_read_lf(const char *in, size_t n, char *out, size_t *len)
{
	size_t i = 0, o = 0, end, stop;

	while (i < n) {
		const char *nl = memchr(in + i, '\n', n - i);

		if (nl == NULL)
			break;
		end = (size_t)(nl - in);
		stop = end > i && in[end - 1] == '\r' ? end - 1 : end;
		if (ref_take_line(in + i, stop - i, out, &o)) {
			*len = o;
			return (long)(end + 1);
		}
		i = end + 1;
	}
	*len = o;
	return -1;
}

/* A reader's result: it ended exactly at the end of the stream (n
 * bytes) and gave back want. */
static int
ref_read_back(long end, size_t n, const char *out, size_t len,
    const char *want, size_t wlen)
{
	return end == (long)n && len == wlen && memcmp(out, want, len) == 0;
}

/* The whole check: body (the encoder's output, n bytes) kept the wire
 * rules, and each reader of body + ".\r\n" ends at its end and gives
 * back want.  Returns NULL or which check failed. */
static const char *
ref_readers_check(const char *body, size_t n, const char *want, size_t wlen)
{
	char *in = malloc(n + 3), *out = malloc(n + 3);
	const char *bad = NULL;
	size_t len = 0;
	long end;

	memcpy(in, body, n);
	memcpy(in + n, ".\r\n", 3);
	if (!ref_wire_ok(body, n))
		bad = "a lone CR, a bare LF or a long line on the wire";
	if (bad == NULL) {
		end = ref_read_rfc5321(in, n + 3, out, &len);
		if (!ref_read_back(end, n + 3, out, len, want, wlen))
			bad = "the RFC 5321 reader";
	}
	if (bad == NULL) {
		end = ref_read_cyrus(in, n + 3, 8189, out, &len);
		if (!ref_read_back(end, n + 3, out, len, want, wlen))
			bad = "Cyrus's reader (8189)";
	}
	if (bad == NULL) {	/* the smallest read the line limit allows */
		end = ref_read_cyrus(in, n + 3, REF_LINE_MAX + 3, out, &len);
		if (!ref_read_back(end, n + 3, out, len, want, wlen))
			bad = "Cyrus's reader (1001)";
	}
	if (bad == NULL) {
		end = ref_read_lf(in, n + 3, out, &len);
		if (!ref_read_back(end, n + 3, out, len, want, wlen))
			bad = "the bare-LF reader";
	}
	free(in);
	free(out);
	return bad;
}

#endif
