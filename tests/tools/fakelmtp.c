/* SPDX-License-Identifier: ISC */
/*
 * fakelmtp - a scripted LMTP server for tests: what a real server cannot
 * be made to do (odd replies, stalls, drops, garbage, partial lines).
 *
 *   fakelmtp -l unix:PATH|tcp:HOST:PORT -s SCRIPT -r RECORD [-p PORTFILE]
 *
 * Listens, writes PORTFILE (the bound TCP port, or "ready") once it can
 * accept, serves one connection per "accept" in the script (the first is
 * implicit), and records every byte it receives into RECORD.
 *
 * Script, one directive per line ('#' comments).  TEXT takes C escapes
 * \r \n \t \\ \xNN:
 *   send TEXT      send TEXT and CRLF
 *   raw TEXT       send TEXT as it is (partial lines, garbage)
 *   expect GLOB    read a line; it must match (fnmatch), else exit 1
 *   data           read a DATA body up to the line "."
 *   sleep MS       wait
 *   quiet MS       the client must send nothing for MS (it waits for us)
 *   stall          stop answering but keep reading until the client leaves
 *   hang           stop reading too, until the client leaves
 *   close          close the connection now
 *   accept         take the next connection
 *   starttls CERT KEY  the TLS handshake as a server (PEM files); from
 *                  then on every byte goes through TLS, and the record
 *                  holds the plaintext
 * After the last directive the connection is read until EOF.
 * Exit 0 when the script ran to its end, 1 on a mismatch, 2 on errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define IDLE_LIMIT_MS 30000	/* a test server never outlives its test */

static int conn = -1;
static SSL *ssl;		/* after "starttls" */
static FILE *record;
static char rbuf[65536];
static size_t rpos, rlen;	/* unread bytes are rbuf[rpos..rlen) */

static void
die(const char *what)
{
	fprintf(stderr, "fakelmtp: %s: %s\n", what, strerror(errno));
	exit(2);
}

static size_t
unescape(const char *in, char *out)
{
	size_t o = 0;
	unsigned v;

	while (*in) {
		if (*in != '\\' || in[1] == '\0') {
			out[o++] = *in++;
			continue;
		}
		in++;
		switch (*in) {
		case 'r': out[o++] = '\r'; in++; break;
		case 'n': out[o++] = '\n'; in++; break;
		case 't': out[o++] = '\t'; in++; break;
		case 'x':
			if (sscanf(in + 1, "%2x", &v) == 1) {
				out[o++] = (char)v;
				in += 3;
				break;
			}
			/* FALLTHROUGH */
		default: out[o++] = *in++; break;
		}
	}
	return o;
}

static void
send_bytes(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = ssl ? SSL_write(ssl, p, (int)n) : send(conn, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;	/* the client left; the test sees why */
		p += w;
		n -= (size_t)w;
	}
}

/* Read more into rbuf, recording it.  0 on EOF or idle limit. */
static int
fill(void)
{
	struct pollfd p = { .fd = conn, .events = POLLIN };
	ssize_t n;

	if (rpos > 0) {
		memmove(rbuf, rbuf + rpos, rlen - rpos);
		rlen -= rpos;
		rpos = 0;
	}
	if (rlen == sizeof(rbuf))
		rlen = 0;	/* a runaway line: keep recording */
	if ((!ssl || SSL_pending(ssl) == 0) && poll(&p, 1, IDLE_LIMIT_MS) <= 0)
		return 0;
	n = ssl ? SSL_read(ssl, rbuf + rlen, (int)(sizeof(rbuf) - rlen)) :
	    recv(conn, rbuf + rlen, sizeof(rbuf) - rlen, 0);
	if (n <= 0)
		return 0;
	fwrite(rbuf + rlen, 1, (size_t)n, record);
	fflush(record);
	rlen += (size_t)n;
	return 1;
}

/* One line without its CRLF into line; -1 at EOF. */
static int
read_line(char *line, size_t cap)
{
	char *nl;
	size_t len;

	while ((nl = memchr(rbuf + rpos, '\n', rlen - rpos)) == NULL)
		if (!fill())
			return -1;
	len = (size_t)(nl - (rbuf + rpos));
	if (len > 0 && nl[-1] == '\r')
		len--;
	if (len >= cap)
		len = cap - 1;
	memcpy(line, rbuf + rpos, len);
	line[len] = '\0';
	rpos = (size_t)(nl - rbuf) + 1;
	return 0;
}

static void
drain(void)
{
	rpos = rlen = 0;
	while (fill())
		rpos = rlen = 0;
}

static void
wait_hangup(void)
{
	struct pollfd p = { .fd = conn, .events = POLLRDHUP };

	(void)poll(&p, 1, IDLE_LIMIT_MS);
}

static int
listen_on(const char *spec, const char *portfile)
{
	int fd, one = 1;
	FILE *pf;

	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", spec + 5);
		unlink(sun.sun_path);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			die("bind");
	} else if (strncmp(spec, "tcp:", 4) == 0) {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
			.ai_flags = AI_PASSIVE | AI_NUMERICHOST }, *ai;
		char host[256];
		const char *port = strrchr(spec + 4, ':');

		if (port == NULL)
			die("tcp:HOST:PORT");
		snprintf(host, sizeof(host), "%.*s", (int)(port - spec - 4),
		    spec + 4);
		if (host[0] == '[') {
			memmove(host, host + 1, strlen(host));
			host[strcspn(host, "]")] = '\0';
		}
		if (getaddrinfo(host, port + 1, &hints, &ai) != 0)
			die("getaddrinfo");
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
			die("bind");
		freeaddrinfo(ai);
	} else {
		fprintf(stderr, "fakelmtp: listen on unix:PATH or tcp:HOST:PORT\n");
		exit(2);
	}
	if (listen(fd, 8) < 0)
		die("listen");
	pf = fopen(portfile, "w");
	if (pf == NULL)
		die(portfile);
	if (spec[0] == 't') {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char port[16];

		getsockname(fd, (struct sockaddr *)&ss, &sl);
		getnameinfo((struct sockaddr *)&ss, sl, NULL, 0, port,
		    sizeof(port), NI_NUMERICSERV);
		fprintf(pf, "%s\n", port);
	} else {
		fprintf(pf, "ready\n");
	}
	fclose(pf);
	return fd;
}

static void
accept_next(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	if (ssl) {
		SSL_free(ssl);
		ssl = NULL;
	}
	if (conn >= 0)
		close(conn);
	rpos = rlen = 0;
	if (poll(&p, 1, IDLE_LIMIT_MS) <= 0) {
		fprintf(stderr, "fakelmtp: nobody connected\n");
		exit(2);
	}
	conn = accept(lfd, NULL, NULL);
	if (conn < 0)
		die("accept");
}

/* "starttls CERT KEY": a blocking TLS handshake as the server.  1 when
 * it failed (the client refused our certificate, as a test may want). */
static int
start_tls(char *arg)
{
	char *key = strchr(arg, ' ');
	SSL_CTX *ctx;

	if (key == NULL) {
		fprintf(stderr, "fakelmtp: starttls CERT KEY\n");
		exit(2);
	}
	*key++ = '\0';
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate_chain_file(ctx, arg) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    (ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, conn) != 1) {
		ERR_print_errors_fp(stderr);
		exit(2);
	}
	if (rlen > rpos) {
		fprintf(stderr, "fakelmtp: bytes before the handshake\n");
		return 1;
	}
	if (SSL_accept(ssl) != 1) {
		fprintf(stderr, "fakelmtp: TLS handshake failed\n");
		SSL_free(ssl);
		ssl = NULL;
		return 1;
	}
	return 0;
}

/* Run one directive; returns 1 on a mismatch. */
static int
step(int lfd, char *cmd, char *arg)
{
	char line[8192], buf[8192];
	size_t n;

	if (strcmp(cmd, "send") == 0 || strcmp(cmd, "raw") == 0) {
		n = unescape(arg, buf);
		if (cmd[0] == 's') {
			buf[n++] = '\r';
			buf[n++] = '\n';
		}
		send_bytes(buf, n);
	} else if (strcmp(cmd, "expect") == 0) {
		if (read_line(line, sizeof(line)) < 0) {
			fprintf(stderr, "fakelmtp: expected '%s', got EOF\n", arg);
			return 1;
		}
		if (fnmatch(arg, line, 0) != 0) {
			fprintf(stderr, "fakelmtp: expected '%s', got '%s'\n",
			    arg, line);
			return 1;
		}
	} else if (strcmp(cmd, "data") == 0) {
		do {
			if (read_line(line, sizeof(line)) < 0) {
				fprintf(stderr, "fakelmtp: EOF in DATA\n");
				return 1;
			}
		} while (strcmp(line, ".") != 0);
	} else if (strcmp(cmd, "sleep") == 0) {
		struct timespec ts = { atoi(arg) / 1000,
			(atoi(arg) % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	} else if (strcmp(cmd, "quiet") == 0) {
		struct pollfd p = { .fd = conn, .events = POLLIN };

		if (rlen > rpos || poll(&p, 1, atoi(arg)) > 0) {
			fprintf(stderr, "fakelmtp: the client did not wait\n");
			return 1;
		}
	} else if (strcmp(cmd, "stall") == 0) {
		drain();
	} else if (strcmp(cmd, "hang") == 0) {
		wait_hangup();
	} else if (strcmp(cmd, "close") == 0) {
		if (ssl) {
			SSL_free(ssl);
			ssl = NULL;
		}
		close(conn);
		conn = -1;
	} else if (strcmp(cmd, "accept") == 0) {
		accept_next(lfd);
	} else if (strcmp(cmd, "starttls") == 0) {
		return start_tls(arg);
	} else {
		fprintf(stderr, "fakelmtp: unknown directive '%s'\n", cmd);
		exit(2);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *listen_spec = NULL, *script = NULL, *rec = NULL;
	const char *portfile = NULL;
	char line[8192], *cmd, *arg;
	FILE *sf;
	int c, lfd, failed = 0;

	while ((c = getopt(argc, argv, "l:s:r:p:")) != -1) {
		switch (c) {
		case 'l': listen_spec = optarg; break;
		case 's': script = optarg; break;
		case 'r': rec = optarg; break;
		case 'p': portfile = optarg; break;
		default: exit(2);
		}
	}
	if (!listen_spec || !script || !rec || !portfile) {
		fprintf(stderr, "usage: fakelmtp -l LISTEN -s SCRIPT -r RECORD "
		    "-p PORTFILE\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((sf = fopen(script, "r")) == NULL)
		die(script);
	if ((record = fopen(rec, "w")) == NULL)
		die(rec);
	lfd = listen_on(listen_spec, portfile);
	accept_next(lfd);
	while (!failed && fgets(line, sizeof(line), sf) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		cmd = line + strspn(line, " \t");
		if (*cmd == '\0' || *cmd == '#')
			continue;
		arg = cmd + strcspn(cmd, " ");
		if (*arg)
			*arg++ = '\0';
		if (conn < 0 && strcmp(cmd, "accept") != 0)
			break;
		failed = step(lfd, cmd, arg);
	}
	if (conn >= 0)
		drain();
	fclose(sf);
	fclose(record);
	return failed;
}
