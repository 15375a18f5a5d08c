/*
 * transport.c - connect, buffered non-blocking I/O, timeouts.
 *
 * The socket is non-blocking from the start so that no read, write or
 * connect can outlive its timeout: a server that stops reading or stops
 * answering must end in a no-verdict failure, never a hang.
 */
#define _POSIX_C_SOURCE 200809L
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int
fail(struct transport *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	return -1;
}

long long
transport_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for fd to become ready for events; 1 ready, 0 timed out, -1 error. */
static int
wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&p, 1, timeout_ms < 0 ? 0 : timeout_ms);
	while (n < 0 && errno == EINTR);
	return n;
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Non-blocking connect bounded by timeout_ms.  0, or -1 with errno. */
static int
connect_fd(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	int r;

	if (set_nonblock(fd) < 0)
		return -1;
	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR)
		return -1;
	r = wait_fd(fd, POLLOUT, timeout_ms);
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		return -1;
	if (soerr != 0) {
		errno = soerr;
		return -1;
	}
	return 0;
}

static int
connect_unix(struct transport *t, const char *path, int timeout_ms)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return fail(t, "socket path too long: %s", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	snprintf(t->peer, sizeof(t->peer), "unix:%s", path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(t, "socket: %s", strerror(errno));
	if (connect_fd(fd, (struct sockaddr *)&sun, sizeof(sun), timeout_ms) < 0) {
		int e = errno;

		close(fd);
		return fail(t, "cannot connect to %s: %s", t->peer, strerror(e));
	}
	t->fd = fd;
	return 0;
}

/* Split "host", "host:port", "[v6]:port" and "[v6]" into host and port. */
static int
split_hostport(struct transport *t, const char *spec, char *host, size_t hcap,
    char *port, size_t pcap)
{
	const char *h = spec, *p = NULL, *colon;
	size_t hlen;

	if (*spec == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return fail(t, "bad server address: %s", spec);
		h = spec + 1;
		hlen = (size_t)(close - h);
		if (close[1] == ':')
			p = close + 2;
	} else {
		colon = strchr(spec, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			return fail(t, "IPv6 address needs brackets: %s", spec);
		hlen = colon ? (size_t)(colon - spec) : strlen(spec);
		if (colon)
			p = colon + 1;
	}
	if (hlen == 0 || hlen >= hcap || (p && (*p == '\0' || strlen(p) >= pcap)))
		return fail(t, "bad server address: %s", spec);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	snprintf(port, pcap, "%s", p ? p : TRANSPORT_DEFAULT_PORT);
	return 0;
}

static int
connect_tcp(struct transport *t, const char *spec, int timeout_ms)
{
	struct addrinfo hints, *res, *ai;
	char host[256], port[32], why[200] = "no address";
	int fd, r;

	if (split_hostport(t, spec, host, sizeof(host), port, sizeof(port)) < 0)
		return -1;
	snprintf(t->host, sizeof(t->host), "%s", host);
	snprintf(t->peer, sizeof(t->peer), "%s%s%s:%s", strchr(host, ':') ? "[" : "",
	    host, strchr(host, ':') ? "]" : "", port);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0)
		return fail(t, "cannot resolve %s: %s", t->peer, gai_strerror(r));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0) {
			snprintf(why, sizeof(why), "socket: %s", strerror(errno));
			continue;
		}
		if (connect_fd(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms) == 0) {
			t->fd = fd;
			freeaddrinfo(res);
			return 0;
		}
		snprintf(why, sizeof(why), "%s", strerror(errno));
		close(fd);
	}
	freeaddrinfo(res);
	return fail(t, "cannot connect to %s: %s", t->peer, why);
}

int
transport_connect(struct transport *t, const char *spec, int timeout_ms)
{
	t->fd = -1;
	t->rpos = t->rlen = t->wlen = 0;
	t->io_timeout_ms = timeout_ms;
	t->err[0] = t->host[0] = '\0';
	if (strncmp(spec, "unix:", 5) == 0)
		return connect_unix(t, spec + 5, timeout_ms);
	if (spec[0] == '/')
		return connect_unix(t, spec, timeout_ms);
	return connect_tcp(t, spec, timeout_ms);
}

int
transport_flush(struct transport *t)
{
	size_t off = 0;
	ssize_t n;
	int r;

	if (t->fd < 0)
		return fail(t, "connection to %s is closed", t->peer);
	while (off < t->wlen) {
		n = send(t->fd, t->wbuf + off, t->wlen - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			r = wait_fd(t->fd, POLLOUT, t->io_timeout_ms);
			if (r > 0)
				continue;
			if (r == 0)
				return fail(t, "timeout writing to %s after %d s",
				    t->peer, t->io_timeout_ms / 1000);
		}
		return fail(t, "write to %s: %s", t->peer, strerror(errno));
	}
	t->wlen = 0;
	return 0;
}

int
transport_write(struct transport *t, const void *buf, size_t len)
{
	const char *p = buf;
	size_t room;

	while (len > 0) {
		if (t->wlen == sizeof(t->wbuf) && transport_flush(t) < 0)
			return -1;
		room = sizeof(t->wbuf) - t->wlen;
		if (room > len)
			room = len;
		memcpy(t->wbuf + t->wlen, p, room);
		t->wlen += room;
		p += room;
		len -= room;
	}
	return 0;
}

int
transport_puts(struct transport *t, const char *s)
{
	return transport_write(t, s, strlen(s));
}

/* Refill rbuf; 0 ok, -1 failure with t->err set. */
static int
fill(struct transport *t, long long deadline_ms)
{
	ssize_t n;
	int r;

	if (t->fd < 0)
		return fail(t, "connection to %s is closed", t->peer);
	if (t->rpos > 0) {
		memmove(t->rbuf, t->rbuf + t->rpos, t->rlen - t->rpos);
		t->rlen -= t->rpos;
		t->rpos = 0;
	}
	for (;;) {
		n = recv(t->fd, t->rbuf + t->rlen, sizeof(t->rbuf) - t->rlen, 0);
		if (n > 0) {
			t->rlen += (size_t)n;
			return 0;
		}
		if (n == 0)
			return fail(t, "connection closed by %s", t->peer);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return fail(t, "read from %s: %s", t->peer, strerror(errno));
		r = wait_fd(t->fd, POLLIN, (int)(deadline_ms - transport_now_ms()));
		if (r == 0)
			return fail(t, "timeout waiting for %s", t->peer);
		if (r < 0)
			return fail(t, "poll: %s", strerror(errno));
	}
}

int
transport_read_line(struct transport *t, char *line, size_t cap,
    long long deadline_ms)
{
	char *nl;
	size_t len;

	for (;;) {
		nl = memchr(t->rbuf + t->rpos, '\n', t->rlen - t->rpos);
		if (nl != NULL)
			break;
		if (t->rlen - t->rpos > TRANSPORT_LINE_MAX + 1)
			return fail(t, "reply line from %s longer than %d bytes",
			    t->peer, TRANSPORT_LINE_MAX);
		if (fill(t, deadline_ms) < 0)
			return -1;
	}
	len = (size_t)(nl - (t->rbuf + t->rpos));
	if (len > 0 && nl[-1] == '\r')
		len--;
	if (len > TRANSPORT_LINE_MAX || len >= cap)
		return fail(t, "reply line from %s longer than %d bytes",
		    t->peer, TRANSPORT_LINE_MAX);
	if (memchr(t->rbuf + t->rpos, '\0', len) != NULL)
		return fail(t, "NUL byte in reply from %s", t->peer);
	memcpy(line, t->rbuf + t->rpos, len);
	line[len] = '\0';
	t->rpos = (size_t)(nl - t->rbuf) + 1;
	return (int)len;
}

void
transport_close(struct transport *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}
