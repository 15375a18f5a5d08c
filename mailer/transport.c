/* SPDX-License-Identifier: ISC */
/*
 * transport.c - connect, buffered non-blocking I/O, timeouts.
 *
 * The socket is non-blocking from the start so that no read, write or
 * connect can outlive its timeout: a server that stops reading or stops
 * answering must end in a no-verdict failure, never a hang.
 */
#define _DEFAULT_SOURCE
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <limits.h>
#include <unistd.h>

/* A busy listener (EAGAIN on a UNIX socket whose backlog is full) is
 * tried again after this long, doubling up to the cap. */
#define CONNECT_RETRY_FIRST_MS 5
#define CONNECT_RETRY_MAX_MS 200

static int
vfail(struct transport *t, enum transport_fault fault, const char *fmt,
    va_list ap)
{
	t->fault = fault;
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	return -1;
}

static int
fail(struct transport *t, enum transport_fault fault, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(t, fault, fmt, ap);
	va_end(ap);
	return -1;
}

/* Every field as a transport not yet connected has it, named name.
 * The buffers are not cleared: rpos, rlen and wlen say nothing in them
 * is live, and clearing 72 KiB on every connect is work for nothing. */
static void
reset(struct transport *t, const char *name)
{
	memset(t, 0, offsetof(struct transport, rbuf));
	t->fd = t->wfd = -1;
	t->fault = TF_NONE;
	snprintf(t->peer, sizeof(t->peer), "%s", name);
	t->host[0] = '\0';
	t->err[0] = '\0';
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

/* Milliseconds left before until_ms, cut at the delivery deadline;
 * *by_deadline tells which of the two limits it is. */
static int
budget(const struct transport *t, long long until_ms, int *by_deadline)
{
	long long now = transport_now_ms(), left = until_ms - now;

	*by_deadline = 0;
	if (t->deadline_ms > 0 && t->deadline_ms < until_ms) {
		left = t->deadline_ms - now;
		*by_deadline = 1;
	}
	return left < 0 ? 0 : left > 86400000 ? 86400000 : (int)left;
}

/* The one wait: fd ready for events before until_ms or the delivery
 * deadline, whichever comes first (*by_deadline says which it was).
 * wait_fd's 1, 0 or -1.  Every wait of this file goes through it. */
static int
await(struct transport *t, int fd, short events, long long until_ms,
    int *by_deadline)
{
	return wait_fd(fd, events, budget(t, until_ms, by_deadline));
}

/* The one wording of a wait that ran out: the delivery deadline, or
 * the wait's own seconds, doing what with the peer. */
static int
timed_out(struct transport *t, int by_deadline, int seconds,
    const char *doing)
{
	if (by_deadline)
		return fail(t, TF_DEADLINE, "the delivery time limit was "
		    "reached %s %s", doing, t->peer);
	return fail(t, TF_TIMEOUT, "timeout after %d s %s %s", seconds, doing,
	    t->peer);
}

/* Why a wait (r: await's 0 or -1) ended without the peer ready: poll
 * failed, or the time ran out doing what, for the wait's seconds. */
static int
wait_ended(struct transport *t, int r, int by_deadline, int seconds,
    const char *doing)
{
	int e = errno;

	if (r < 0)
		return fail(t, TF_LOST, "poll: %s", strerror(e));
	return timed_out(t, by_deadline, seconds, doing);
}

int
transport_say_timeout(struct transport *t, int seconds, const char *doing)
{
	if (t->fault != TF_TIMEOUT && t->fault != TF_DEADLINE)
		return 0;
	(void)timed_out(t, t->fault == TF_DEADLINE, seconds, doing);
	return 1;
}

/* Non-blocking connect, done by until_ms.  A UNIX listener whose backlog
 * is full answers EAGAIN at once (Linux): that is a busy server, not a
 * refusal, so it is tried again with a short back-off.  0, or -1 with
 * errno (ETIMEDOUT when out of time, and *by_deadline set). */
static int
connect_fd(struct transport *t, int fd, const struct sockaddr *sa,
    socklen_t len, long long until_ms, int *by_deadline)
{
	int soerr = 0, backoff = CONNECT_RETRY_FIRST_MS, left, r;
	socklen_t sl = sizeof(soerr);

	*by_deadline = 0;
	if (set_nonblock(fd) < 0)
		return -1;
	for (;;) {
		if (connect(fd, sa, len) == 0)
			return 0;
		if (errno == EINPROGRESS || errno == EINTR)
			break;
		if (errno != EAGAIN || sa->sa_family != AF_UNIX)
			return -1;
		left = budget(t, until_ms, by_deadline);
		if (left == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		poll(NULL, 0, backoff < left ? backoff : left);
		if (backoff < CONNECT_RETRY_MAX_MS)
			backoff *= 2;
	}
	r = await(t, fd, POLLOUT, until_ms, by_deadline);
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

/* Why a connect failed, in words: a timeout names its limit; a failed
 * poll is a connect that failed (the next server may be tried). */
static int
connect_fail(struct transport *t, int e, int by_deadline)
{
	if (e == ETIMEDOUT)
		return timed_out(t, by_deadline, t->io_timeout_ms / 1000,
		    "connecting to");
	return fail(t, TF_CONNECT, "cannot connect to %s: %s", t->peer,
	    strerror(e));
}

static int
connect_unix(struct transport *t, const char *path, long long until_ms)
{
	struct sockaddr_un sun;
	int fd, by_deadline;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return fail(t, TF_CONNECT, "socket path too long: %s", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	snprintf(t->peer, sizeof(t->peer), "unix:%s", path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(t, TF_CONNECT, "socket: %s", strerror(errno));
	if (connect_fd(t, fd, (struct sockaddr *)&sun, sizeof(sun), until_ms,
	    &by_deadline) < 0) {
		int e = errno;

		close(fd);
		return connect_fail(t, e, by_deadline);
	}
	t->fd = t->wfd = fd;
	t->is_unix = 1;
	return 0;
}

/* Split "host", "host:port", "[v6]:port" and "[v6]" into host and port. */
int
transport_split_hostport(struct transport *t, const char *spec, char *host,
    size_t hcap, char *port, size_t pcap)
{
	const char *h = spec, *p = NULL, *colon;
	size_t hlen;

	if (*spec == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return fail(t, TF_CONNECT, "bad server address: %s", spec);
		h = spec + 1;
		hlen = (size_t)(close - h);
		if (close[1] == ':')
			p = close + 2;
	} else {
		colon = strchr(spec, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			return fail(t, TF_CONNECT, "IPv6 address needs brackets: %s",
			    spec);
		hlen = colon ? (size_t)(colon - spec) : strlen(spec);
		if (colon)
			p = colon + 1;
	}
	if (hlen == 0 || hlen >= hcap || (p && (*p == '\0' || strlen(p) >= pcap)))
		return fail(t, TF_CONNECT, "bad server address: %s", spec);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	snprintf(port, pcap, "%s", p ? p : TRANSPORT_DEFAULT_PORT);
	return 0;
}

/* 127.0.0.0/8, ::1 or ::ffff:127.x: traffic that never leaves the host. */
static int
is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	const unsigned char *a6 = s6->sin6_addr.s6_addr;

	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >>
		    24) == 127;
	if (sa->sa_family != AF_INET6)
		return 0;
	if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
		return 1;
	return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && a6[12] == 127;
}

static int
connect_tcp(struct transport *t, const char *spec, long long until_ms)
{
	struct addrinfo hints, *res, *ai;
	char host[256], port[32], why[200] = "no address";
	int fd, r, by_deadline = 0, e = 0;

	if (transport_split_hostport(t, spec, host, sizeof(host), port,
	    sizeof(port)) < 0)
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
		return fail(t, TF_CONNECT, "cannot resolve %s: %s", t->peer,
		    gai_strerror(r));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0) {
			snprintf(why, sizeof(why), "socket: %s", strerror(errno));
			continue;
		}
		if (connect_fd(t, fd, ai->ai_addr, ai->ai_addrlen, until_ms,
		    &by_deadline) == 0) {
			t->fd = t->wfd = fd;
			t->is_loopback = is_loopback(ai->ai_addr);
			t->port = (int)strtol(port, NULL, 10);
			freeaddrinfo(res);
			return 0;
		}
		e = errno;
		snprintf(why, sizeof(why), "%s", strerror(e));
		close(fd);
		if (e == ETIMEDOUT)
			break;	/* the connect time is used up */
	}
	freeaddrinfo(res);
	if (e == ETIMEDOUT)
		return connect_fail(t, e, by_deadline);
	return fail(t, TF_CONNECT, "cannot connect to %s: %s", t->peer, why);
}

int
transport_connect(struct transport *t, const char *spec, int timeout_ms,
    long long deadline_ms)
{
	long long until = transport_now_ms() + timeout_ms;

	/* Named as given until the connect names it more precisely. */
	reset(t, spec);
	t->io_timeout_ms = timeout_ms;
	t->deadline_ms = deadline_ms;
	if (strncmp(spec, "unix:", 5) == 0)
		return connect_unix(t, spec + 5, until);
	if (spec[0] == '/')
		return connect_unix(t, spec, until);
	return connect_tcp(t, spec, until);
}

/* Write what is buffered from off.  Sockets are non-blocking; stdin and
 * stdout stay as we found them (a terminal shared with a shell must not
 * be left non-blocking), so the caller waits first and we write no more
 * than a pipe takes without blocking. */
static ssize_t
put(struct transport *t, size_t off, short *events)
{
	size_t n = t->wlen - off;

	*events = POLLOUT;
	if (t->tls.ssl != NULL)
		return stls_write(&t->tls, t->wbuf + off, n, events);
	if (!t->stdio)
		return send(t->wfd, t->wbuf + off, n, MSG_NOSIGNAL);
	return write(t->wfd, t->wbuf + off, n > PIPE_BUF ? PIPE_BUF : n);
}

int
transport_flush(struct transport *t)
{
	size_t off = 0;
	ssize_t n;
	int r, by_deadline = 0;
	short events;

	if (t->wfd < 0)
		return fail(t, TF_LOST, "connection to %s is closed", t->peer);
	while (off < t->wlen) {
		r = 1;
		if (t->stdio)
			r = await(t, t->wfd, POLLOUT, transport_now_ms() +
			    t->io_timeout_ms, &by_deadline);
		if (r > 0) {
			n = put(t, off, &events);
			if (n > 0) {
				off += (size_t)n;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
				return fail(t, TF_LOST, "write to %s: %s", t->peer,
				    n == 0 ? "nothing written" : strerror(errno));
			r = await(t, t->wfd, events, transport_now_ms() +
			    t->io_timeout_ms, &by_deadline);
			if (r > 0)
				continue;
		}
		return wait_ended(t, r, by_deadline, t->io_timeout_ms / 1000,
		    "writing to");
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

/* Refill rbuf; 0 ok, -1 failure with t->err set.  A timeout here is
 * said with the transport's own limit; the layer above, which knows what
 * it waited for and for how long, says it again in the same words. */
static int
fill(struct transport *t, long long until_ms)
{
	ssize_t n;
	int r, by_deadline, seconds = t->io_timeout_ms / 1000;
	short events;

	if (t->fd < 0)
		return fail(t, TF_LOST, "connection to %s is closed", t->peer);
	if (t->rpos > 0) {
		memmove(t->rbuf, t->rbuf + t->rpos, t->rlen - t->rpos);
		t->rlen -= t->rpos;
		t->rpos = 0;
	}
	for (;;) {
		if (t->stdio && (r = await(t, t->fd, POLLIN, until_ms,
		    &by_deadline)) <= 0)
			return wait_ended(t, r, by_deadline, seconds,
			    "waiting for");
		events = POLLIN;
		if (t->tls.ssl != NULL)
			n = stls_read(&t->tls, t->rbuf + t->rlen, sizeof(t->rbuf) - t->rlen,
			    &events);
		else
			n = read(t->fd, t->rbuf + t->rlen, sizeof(t->rbuf) - t->rlen);
		if (n > 0) {
			t->rlen += (size_t)n;
			return 0;
		}
		if (n == 0)
			return fail(t, TF_LOST, "connection closed by %s", t->peer);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return fail(t, TF_LOST, "read from %s: %s", t->peer,
			    strerror(errno));
		r = await(t, t->fd, events, until_ms, &by_deadline);
		if (r <= 0)
			return wait_ended(t, r, by_deadline, seconds,
			    "waiting for");
	}
}

int
transport_read_line(struct transport *t, char *line, size_t cap,
    long long until_ms)
{
	char *nl;
	size_t len;

	for (;;) {
		nl = memchr(t->rbuf + t->rpos, '\n', t->rlen - t->rpos);
		if (nl != NULL)
			break;
		if (t->rlen - t->rpos > TRANSPORT_LINE_MAX + 1)
			return fail(t, TF_LONG_LINE, "line from %s longer "
			    "than %d bytes", t->peer, TRANSPORT_LINE_MAX);
		if (fill(t, until_ms) < 0)
			return -1;
	}
	len = (size_t)(nl - (t->rbuf + t->rpos));
	if (len > 0 && nl[-1] == '\r')
		len--;
	if (len > TRANSPORT_LINE_MAX || len >= cap)
		return fail(t, TF_LONG_LINE, "line from %s longer than %d "
		    "bytes", t->peer, TRANSPORT_LINE_MAX);
	if (memchr(t->rbuf + t->rpos, '\0', len) != NULL)
		return fail(t, TF_NUL, "NUL byte in a line from %s", t->peer);
	memcpy(line, t->rbuf + t->rpos, len);
	line[len] = '\0';
	t->rpos = (size_t)(nl - t->rbuf) + 1;
	return (int)len;
}

int
transport_pending(struct transport *t)
{
	struct pollfd p = { .fd = t->fd, .events = POLLIN };

	if (t->rpos < t->rlen)
		return 1;
	if (t->tls.ssl != NULL)
		return stls_pending(&t->tls);
	return t->fd >= 0 && poll(&p, 1, 0) > 0;
}

void
transport_close(struct transport *t)
{
	if (t->stdio) {
		/* stdin and stdout are not ours to close: we stop using them. */
		t->fd = t->wfd = -1;
		return;
	}
	if (t->tls.ssl != NULL || t->tls.ctx != NULL)
		stls_end(&t->tls);
	if (t->fd >= 0)
		close(t->fd);
	t->fd = t->wfd = -1;
}

int
transport_starttls(struct transport *t, const struct stls_settings *s)
{
	long long until = transport_now_ms() + t->io_timeout_ms;
	short events = POLLIN;
	int r, by_deadline = 0;

	if (t->fd < 0)
		return fail(t, TF_LOST, "connection to %s is closed", t->peer);
	/* Bytes that came after the 220 were sent before TLS: taking them
	 * as if protected is the STARTTLS injection attack (CVE-2011-0411). */
	if (t->rpos < t->rlen)
		return fail(t, TF_TLS, "%s sent more after its reply to "
		    "STARTTLS; not starting TLS on it", t->peer);
	if (stls_begin(&t->tls, t->fd, t->host, t->peer, s) < 0)
		return fail(t, TF_TLS, "%s", t->tls.err);
	while ((r = stls_handshake(&t->tls, &events)) == 0) {
		r = await(t, t->fd, events, until, &by_deadline);
		if (r <= 0)
			return wait_ended(t, r, by_deadline,
			    t->io_timeout_ms / 1000, "in the TLS handshake with");
	}
	return r < 0 ? fail(t, TF_TLS, "%s", t->tls.err) : 0;
}

const struct stls_info *
transport_tls_info(const struct transport *t)
{
	return t->tls.ctx != NULL || t->tls.info.name[0] ? &t->tls.info : NULL;
}

int
transport_tls_bits(const struct transport *t)
{
	return t->tls.info.up ? t->tls.info.bits : 0;
}

void
transport_attach(struct transport *t, int rfd, int wfd, const char *name,
    int timeout_ms)
{
	reset(t, name);
	t->fd = rfd;
	t->wfd = wfd;
	t->stdio = 1;
	t->io_timeout_ms = timeout_ms;
	snprintf(t->peer, sizeof(t->peer), "%s", name);
}

void
transport_set_deadline(struct transport *t, long long deadline_ms)
{
	t->deadline_ms = deadline_ms;
}

int
transport_peek(struct transport *t, const char **p, long long until_ms)
{
	if (t->rpos == t->rlen && fill(t, until_ms) < 0)
		return -1;
	*p = t->rbuf + t->rpos;
	return (int)(t->rlen - t->rpos);
}

void
transport_consume(struct transport *t, size_t n)
{
	t->rpos += n;
}

int
transport_skip_line(struct transport *t, long long until_ms)
{
	char *nl;

	while ((nl = memchr(t->rbuf + t->rpos, '\n', t->rlen - t->rpos)) == NULL) {
		t->rpos = t->rlen;
		if (fill(t, until_ms) < 0)
			return -1;
	}
	t->rpos = (size_t)(nl - t->rbuf) + 1;
	return 0;
}

int
transport_buffered(const struct transport *t)
{
	return t->rpos < t->rlen;
}

int
transport_protected(const struct transport *t, char *why, size_t cap)
{
	const struct stls_info *i = &t->tls.info;

	if (i->up && t->tls.verify && strcmp(i->verify, "ok") == 0) {
		snprintf(why, cap, "TLS, certificate verified for %s", i->name);
		return 1;
	}
	if (i->up) {
		snprintf(why, cap, "TLS that proves nothing (tls_verify = no): "
		    "any machine in the middle could have answered");
		return 0;
	}
	if (t->is_unix) {
		snprintf(why, cap, "a UNIX socket");
		return 1;
	}
	if (t->is_loopback && t->port > 0 && t->port < 1024) {
		snprintf(why, cap, "loopback to port %d, below 1024", t->port);
		return 1;
	}
	if (t->is_loopback) {
		snprintf(why, cap, "loopback to port %d, where any local user "
		    "can listen", t->port);
		return 0;
	}
	snprintf(why, cap, "TCP without TLS");
	return 0;
}

void
transport_wipe(struct transport *t)
{
	explicit_bzero(t->wbuf, sizeof(t->wbuf));
	t->wlen = 0;
}

void
transport_init(struct transport *t, const char *name)
{
	reset(t, name);
}
