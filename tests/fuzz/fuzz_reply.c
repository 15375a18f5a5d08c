/* SPDX-License-Identifier: ISC */
/*
 * fuzz_reply - the reply reader and LHLO parser on any bytes a server
 * could send: the greeting and LHLO, then a command's reply.  Whatever
 * comes, the result is a reply or a failure with a reason, never a
 * crash, a read past a buffer or a hang.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../mailer/lmtp.h"
#include "pair.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct transport t;
	struct lmtp l;
	struct lmtp_reply r;
	int sv[2];

	if (size > 200000 || fuzz_pair(data, size, &t, sv) < 0)
		return 0;
	strcpy(t.peer, "unix:fuzz");
	lmtp_init(&l, &t, &(struct lmtp_params){ .lhlo_name = "fuzz.test",
	    .timeout_ms = 100, .data_timeout_ms = 100 });
	if (lmtp_open(&l) == 0)
		while (lmtp_command(&l, LMTP_STEP_RSET, "NOOP", &r) == 0)
			;
	transport_close(&t);
	close(sv[1]);
	return 0;
}
