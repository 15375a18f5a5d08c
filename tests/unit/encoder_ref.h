/* SPDX-License-Identifier: ISC */
/*
 * encoder_ref.h - the DATA body rules written the plainest way, on a
 * whole buffer, for tests to hold the streaming encoder against:
 * LF and CRLF end a line (sent as CRLF), a bare CR is data, a line that
 * starts with '.' gets another, a missing final line end is added (a CR
 * at the very end becomes it).  And the receiver's side (RFC 5321
 * 4.5.2): lines split at CRLF, one leading dot removed.
 */
#ifndef ENCODER_REF_H
#define ENCODER_REF_H

#include <stdlib.h>
#include <string.h>

/* out must hold 2 * n + 2 bytes.  Returns the output length. */
static size_t
ref_encode(const unsigned char *in, size_t n, char *out)
{
	size_t i, o = 0;
	int bol = 1;

	for (i = 0; i < n; i++) {
		if (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n')
			continue;	/* the LF that follows ends the line */
		if (in[i] == '\n' || (in[i] == '\r' && i + 1 == n)) {
			out[o++] = '\r';
			out[o++] = '\n';
			bol = 1;
			continue;
		}
		if (bol && in[i] == '.')
			out[o++] = '.';
		out[o++] = (char)in[i];
		bol = 0;
	}
	if (!bol) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	return o;
}

/* Undo the transfer encoding: CRLF-separated lines, dots unstuffed,
 * each line end given back as CRLF.  out holds n bytes.  -1 when a line
 * is not CRLF-terminated or a lone "." line would end the data early. */
static long
ref_decode(const char *in, size_t n, char *out)
{
	size_t i = 0, o = 0, end;

	while (i < n) {
		const char *crlf = NULL;

		for (end = i; end + 1 < n; end++)
			if (in[end] == '\r' && in[end + 1] == '\n') {
				crlf = in + end;
				break;
			}
		if (crlf == NULL)
			return -1;
		if (end - i == 1 && in[i] == '.')
			return -1;	/* the terminator, inside the body */
		if (in[i] == '.')
			i++;
		memcpy(out + o, in + i, end - i);
		o += end - i;
		out[o++] = '\r';
		out[o++] = '\n';
		i = end + 2;
	}
	return (long)o;
}

#endif
