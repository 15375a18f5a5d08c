/* SPDX-License-Identifier: ISC */
/*
 * pair.h - a fuzz input as the peer of a transport: the bytes wait in a
 * socketpair with EOF after them (no waiting for more), while whatever
 * the code under test writes back still fits.
 */
#ifndef FUZZ_PAIR_H
#define FUZZ_PAIR_H

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../mailer/transport.h"

/* 0 with t ready on sv[0] (sv[1] to close afterwards), or -1. */
static int
fuzz_pair(const uint8_t *data, size_t size, struct transport *t, int sv[2])
{
	int buf = 1 << 20;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (size > 0 && write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	shutdown(sv[1], SHUT_WR);
	memset(t, 0, sizeof(*t));
	t->fd = t->wfd = sv[0];
	t->io_timeout_ms = 100;
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	strcpy(t->peer, "fuzz");
	return 0;
}

#endif
