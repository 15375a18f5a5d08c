/* SPDX-License-Identifier: ISC */
/*
 * fuzz_encoder - the body encoder, fed any bytes cut at any places:
 * its output equals the plain whole-buffer encoder's, and decoding it as
 * a receiver does (RFC 5321 4.5.2) gives back the input with CRLF line
 * ends, with no end-of-data line inside.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../mailer/message.h"
#include "../unit/encoder_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as the receiver must get it back: LF and CRLF become CRLF,
 * a CR at the very end becomes CRLF, a final line end is added. */
static size_t
canonical(const uint8_t *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = (char)in[i];
	}
	if (n > 0 && in[n - 1] == '\r')
		out[o++] = '\n';
	else if (n > 0 && in[n - 1] != '\n') {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct message_encoder e;
	size_t pos = 0, o = 0, la, lc, step;
	char *a, *b, *c, *d;
	long ld;

	if (size < 1 || size > 100000)
		return 0;
	step = data[0] + 1;	/* the first byte sets the cut pattern */
	data++;
	size--;
	a = malloc(2 * size + 2);
	b = malloc(2 * size + 2);
	c = malloc(2 * size + 2);
	d = malloc(2 * size + 2);
	message_encoder_init(&e);
	while (pos < size) {
		size_t len = size - pos < step ? size - pos : step;

		o += message_encode(&e, data + pos, len, b + o);
		pos += len;
		step = step * 7 % 97 + 1;
	}
	o += message_encode_finish(&e, b + o);
	la = ref_encode(data, size, a);
	if (la != o || memcmp(a, b, o) != 0)
		__builtin_trap();
	ld = ref_decode(b, o, d);
	lc = canonical(data, size, c);
	if (ld < 0 || (size_t)ld != lc || memcmp(c, d, lc) != 0)
		__builtin_trap();
	free(a);
	free(b);
	free(c);
	free(d);
	return 0;
}
