/* SPDX-License-Identifier: ISC */
/*
 * rawlmtp - the least an LMTP client can do, as a yardstick and a probe.
 *
 *   rawlmtp -s SERVER [-n COUNT] [-f FILE] RCPT   deliver FILE COUNT times
 *   rawlmtp -s SERVER -w SECONDS                  wait for a 220 banner
 *
 * SERVER is unix:PATH or HOST:PORT.  One connection per message, pipelined
 * MAIL/RCPT IGNOREQUOTA/DATA, FILE sent as it is (it must already be CRLF
 * and dot-safe).  No error handling beyond "it worked" (exit 0) or not.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static char rbuf[8192];
static size_t rlen;

static int
dial(const char *spec)
{
	int fd;

	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", spec + 5);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			close(fd);
			return -1;
		}
		return fd;
	}
	char host[256];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;

	if (colon == NULL)
		return -1;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* Read one whole reply; returns its code or -1. */
static int
reply(int fd)
{
	char *nl;
	ssize_t n;
	int code;

	for (;;) {
		while ((nl = memchr(rbuf, '\n', rlen)) == NULL) {
			n = read(fd, rbuf + rlen, sizeof(rbuf) - rlen);
			if (n <= 0)
				return -1;
			rlen += (size_t)n;
		}
		code = atoi(rbuf);
		int last = rbuf[3] != '-';

		rlen -= (size_t)(nl - rbuf) + 1;
		memmove(rbuf, nl + 1, rlen);
		if (last)
			return code;
	}
}

static int
put(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, s, n)) <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
deliver(const char *server, const char *msg, size_t len, const char *rcpt)
{
	char env[1024];
	int fd = dial(server), ok;

	rlen = 0;
	if (fd < 0)
		return -1;
	snprintf(env, sizeof(env), "MAIL FROM:<>\r\nRCPT TO:<%s> IGNOREQUOTA"
	    "\r\nDATA\r\n", rcpt);
	ok = reply(fd) == 220 && put(fd, "LHLO raw\r\n", 10) == 0 &&
	    reply(fd) == 250 && put(fd, env, strlen(env)) == 0 &&
	    reply(fd) == 250 && reply(fd) == 250 && reply(fd) == 354 &&
	    put(fd, msg, len) == 0 && put(fd, ".\r\nQUIT\r\n", 9) == 0 &&
	    reply(fd) == 250;
	close(fd);
	return ok ? 0 : -1;
}

int
main(int argc, char **argv)
{
	const char *server = NULL, *file = NULL;
	int c, count = 1, wait_s = -1, i, fd;
	char *msg = NULL;
	size_t len = 0;

	while ((c = getopt(argc, argv, "s:n:f:w:")) != -1) {
		switch (c) {
		case 's': server = optarg; break;
		case 'n': count = atoi(optarg); break;
		case 'f': file = optarg; break;
		case 'w': wait_s = atoi(optarg); break;
		default: return 2;
		}
	}
	if (server == NULL)
		return 2;
	if (wait_s >= 0) {
		struct timespec ts = { 0, 20 * 1000000L };

		for (i = 0; i < wait_s * 50; i++) {
			rlen = 0;
			if ((fd = dial(server)) >= 0) {
				c = reply(fd);
				close(fd);
				if (c == 220)
					return 0;
			}
			nanosleep(&ts, NULL);
		}
		return 1;
	}
	if (optind >= argc || file == NULL)
		return 2;
	FILE *f = fopen(file, "rb");
	struct stat st;

	if (f == NULL || fstat(fileno(f), &st) != 0)
		return 2;
	len = (size_t)st.st_size;
	msg = malloc(len + 1);
	if (msg == NULL || fread(msg, 1, len, f) != len)
		return 2;
	fclose(f);
	for (i = 0; i < count; i++)
		if (deliver(server, msg, len, argv[optind]) < 0) {
			fprintf(stderr, "rawlmtp: delivery %d failed\n", i + 1);
			free(msg);
			return 1;
		}
	free(msg);
	return 0;
}
