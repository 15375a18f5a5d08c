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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct transport t;
	struct lmtp l;
	struct reply r;
	int sv[2], buf = 1 << 20;

	if (size > 200000 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (size > 0 && write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	/* EOF after the data (no waiting for more), while our commands
	 * can still be written. */
	shutdown(sv[1], SHUT_WR);
	memset(&t, 0, sizeof(t));
	memset(&l, 0, sizeof(l));
	t.fd = t.wfd = sv[0];
	t.io_timeout_ms = 100;
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	strcpy(t.peer, "unix:fuzz");
	l.timeout_ms = 100;
	l.data_timeout_ms = 100;
	if (lmtp_open(&l, &t, "fuzz.test") == 0)
		while (lmtp_command(&l, "NOOP", NULL, &r) == 0)
			;
	transport_close(&t);
	close(sv[1]);
	return 0;
}
