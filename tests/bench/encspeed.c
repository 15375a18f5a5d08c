/* SPDX-License-Identifier: ISC */
/*
 * encspeed.c - the body encoder's throughput against the encoder before
 * the wire rules (which let lone CRs and long lines through), on the
 * same input fed in MESSAGE_CHUNK reads as message_stream does.  Usage:
 * encspeed FILE.  Prints one line each: "now MB/s", "before MB/s",
 * "ratio" (now / before: 1.00 is as fast) and whether both outputs were
 * identical (they are for input without lone CRs or long lines).
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../mailer/message.h"

/* The encoder before the wire rules (lone CRs and long lines passed
 * through): memchr for each LF, memcpy of the line. */
struct before {
	int at_bol, last_cr;
};

static size_t
before_encode(struct before *e, const unsigned char *in, size_t n, char *out)
{
	const unsigned char *nl;
	size_t i = 0, o = 0, len;

	while (i < n) {
		if (e->at_bol && in[i] == '.')
			out[o++] = '.';
		nl = memchr(in + i, '\n', n - i);
		len = (nl != NULL ? (size_t)(nl - in) : n) - i;
		if (len > 0) {
			memcpy(out + o, in + i, len);
			o += len;
			e->last_cr = in[i + len - 1] == '\r';
			e->at_bol = 0;
		}
		if (nl == NULL)
			break;
		if (!e->last_cr)
			out[o++] = '\r';
		out[o++] = '\n';
		e->at_bol = 1;
		e->last_cr = 0;
		i += len + 1;
	}
	return o;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A cheap running digest so that both outputs can be compared without
 * keeping them, and the compiler cannot drop the work. */
static unsigned long long
digest(unsigned long long h, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i += 64)
		h = h * 1099511628211ULL ^ (unsigned char)p[i];
	return (h * 31 + n) ^ (n ? (unsigned char)p[n - 1] : 0);
}

/* The two encoders behind one signature. */
static struct message_encoder enc;
static struct before bf;

static size_t
encode_now(const unsigned char *in, size_t n, char *out)
{
	return message_encode(&enc, in, n, out);
}

static size_t
encode_before(const unsigned char *in, size_t n, char *out)
{
	return before_encode(&bf, in, n, out);
}

/* One timed pass over in[0..n) in MESSAGE_CHUNK reads: seconds, and the
 * output's length and digest. */
static double
timed(size_t (*encode)(const unsigned char *, size_t, char *),
    const unsigned char *in, size_t n, size_t *total, unsigned long long *h)
{
	static char out[MESSAGE_OUT_MAX(MESSAGE_CHUNK)];
	size_t off, len, o;
	double t0 = now();

	*total = 0;
	*h = 0;
	for (off = 0; off < n; off += len) {
		len = n - off < MESSAGE_CHUNK ? n - off : MESSAGE_CHUNK;
		o = encode(in + off, len, out);
		*total += o;
		*h = digest(*h, out, o);
	}
	return now() - t0;
}

/* Untimed: both encoders' whole output, compared byte for byte (the
 * timed digest depends on where the 64 KiB reads fall). */
static int
same_stream(const unsigned char *in, size_t n)
{
	char *a = malloc(2 * n + 64), *b = malloc(2 * n + 64);
	size_t off, len, la = 0, lb = 0;
	int same;

	if (a == NULL || b == NULL)
		return 0;
	message_encoder_init(&enc);
	bf.at_bol = 1;
	bf.last_cr = 0;
	for (off = 0; off < n; off += len) {
		len = n - off < MESSAGE_CHUNK ? n - off : MESSAGE_CHUNK;
		la += message_encode(&enc, in + off, len, a + la);
		lb += before_encode(&bf, in + off, len, b + lb);
	}
	same = la == lb && memcmp(a, b, la) == 0;
	free(a);
	free(b);
	return same;
}

int
main(int argc, char **argv)
{
	unsigned char *in;
	struct stat st;
	size_t n, total_a, total_b;
	unsigned long long ha, hb;
	double ta, tb;
	int fd;

	if (argc != 2 || (fd = open(argv[1], O_RDONLY)) < 0 ||
	    fstat(fd, &st) < 0) {
		fprintf(stderr, "usage: encspeed FILE\n");
		return 2;
	}
	n = (size_t)st.st_size;
	if ((in = malloc(n ? n : 1)) == NULL || read(fd, in, n) != (ssize_t)n) {
		fprintf(stderr, "encspeed: cannot read %s\n", argv[1]);
		return 2;
	}
	/* Warm the input and the caches with one untimed pass. */
	message_encoder_init(&enc);
	(void)timed(encode_now, in, n, &total_a, &ha);
	message_encoder_init(&enc);
	ta = timed(encode_now, in, n, &total_a, &ha);
	bf.at_bol = 1;
	(void)timed(encode_before, in, n, &total_b, &hb);
	bf.at_bol = 1;
	tb = timed(encode_before, in, n, &total_b, &hb);
	printf("now %.0f\nbefore %.0f\nratio %.2f\nidentical %s\n",
	    (double)n / ta / 1e6, (double)n / tb / 1e6, tb / ta,
	    total_a == total_b && same_stream(in, n) ? "yes" : "no");
	free(in);
	close(fd);
	return 0;
}
