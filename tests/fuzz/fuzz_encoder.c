/* SPDX-License-Identifier: ISC */
/*
 * fuzz_encoder - the body encoder, fed any bytes cut at any places:
 * each piece's output stays within MESSAGE_OUT_MAX, the whole is the
 * same through the AVX2 and the plain copy path and equals the plain
 * whole-buffer encoder's, it keeps the wire rules (no lone CR, no
 * bare LF, no line over 998 octets), and three receivers - RFC 5321's,
 * Cyrus lmtpd's (8189-byte reads, lone CRs removed before the dot is
 * looked for) and one that splits at bare LF - each find the end only at
 * the end and read back the input after the documented normalisation.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../mailer/message.h"
#include "../unit/encoder_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The encoder's output for data, in pieces cut as step says. */
static size_t
encode_cut(const uint8_t *data, size_t size, size_t step, char *b)
{
	struct message_encoder e;
	size_t pos = 0, o = 0, piece;

	message_encoder_init(&e);
	while (pos < size) {
		size_t len = size - pos < step ? size - pos : step;

		piece = message_encode(&e, data + pos, len, b + o);
		if (piece > MESSAGE_OUT_MAX(len))
			__builtin_trap();
		o += piece;
		pos += len;
		step = step * 7 % 997 + 1;
	}
	return o + message_encode_finish(&e, b + o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t o, op, la, lw, step;
	char *a, *b, *p, *want;

	if (size < 1 || size > 100000)
		return 0;
	step = data[0] + 1;	/* the first byte sets the cut pattern */
	data++;
	size--;
	a = malloc(REF_OUT_MAX(size));
	b = malloc(REF_OUT_MAX(size));
	p = malloc(REF_OUT_MAX(size));
	want = malloc(REF_OUT_MAX(size));
	o = encode_cut(data, size, step, b);
	/* The plain copy path (forced: a test-build switch) gives the same
	 * bytes as the AVX2 one the CPU may have. */
	message_force_plain = 1;
	op = encode_cut(data, size, step, p);
	message_force_plain = 0;
	if (op != o || memcmp(p, b, o) != 0)
		__builtin_trap();
	la = ref_encode(data, size, a);
	if (la != o || memcmp(a, b, o) != 0)
		__builtin_trap();
	lw = ref_normalise(data, size, want);
	if (ref_readers_check(b, o, want, lw) != NULL)
		__builtin_trap();
	free(a);
	free(b);
	free(p);
	free(want);
	return 0;
}
