/* SPDX-License-Identifier: ISC */
/*
 * unit.c - tests of the pure parts: the body encoder across its 64 KiB
 * read boundary, read back by models of three receivers; reply and LHLO
 * parsing (through a socketpair), host:port splitting, the reply -> exit status table and the notice sender list.
 * Prints "ok N - name" / "not ok N - name", then "N passed, M failed".
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "../../mailer/config.h"
#include "../../mailer/lmtp.h"
#include "../../mailer/message.h"
#include "../../mailer/mimeword.h"
#include "../../mailer/policy.h"
#include "../../mailer/refusal.h"
#include "../../mailer/sha256.h"
#include "../../mailer/status.h"
#include "../../mailer/transport.h"
#include "encoder_ref.h"
#include "shown.h"

static int passed, failed, current_ok;
static const char *current;

static void
begin(const char *name)
{
	current = name;
	current_ok = 1;
}

static void
end(void)
{
	printf("%sok %d - %s%s\n", current_ok ? "" : "not ", passed + failed + 1,
	    current, message_force_plain ? " (plain copy path)" : "");
	if (current_ok)
		passed++;
	else
		failed++;
}

#define CHECK(cond) do { if (!(cond)) { current_ok = 0; \
	printf("#   %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)

/* Encode in with the streaming encoder, cut into the given pieces. */
static size_t
stream_encode(const unsigned char *in, size_t n, const size_t *cuts,
    size_t ncuts, char *out)
{
	struct message_encoder e;
	size_t pos = 0, o = 0, i, len, step;

	message_encoder_init(&e);
	for (i = 0; i <= ncuts; i++) {
		len = (i < ncuts ? cuts[i] : n) - pos;
		step = message_encode(&e, in + pos, len, out + o);
		CHECK(step <= MESSAGE_OUT_MAX(len));
		o += step;
		pos += len;
	}
	return o + message_encode_finish(&e, out + o);
}

/* The streaming encoder's output for in, cut at cut, equals the plain
 * reference's, and every reader model ends it at its end with the
 * normalised input as its data. */
static void
encoder_check(const char *in, size_t n, size_t cut)
{
	char *a = malloc(REF_OUT_MAX(n)), *b = malloc(REF_OUT_MAX(n));
	char *want = malloc(REF_OUT_MAX(n));
	size_t la, lb, lw, cuts[1] = { cut };
	const char *bad;

	la = ref_encode((const unsigned char *)in, n, a);
	lb = stream_encode((const unsigned char *)in, n, cuts, cut <= n, b);
	CHECK(la == lb && memcmp(a, b, la) == 0);
	lw = ref_normalise((const unsigned char *)in, n, want);
	bad = ref_readers_check(b, lb, want, lw);
	if (bad != NULL)
		printf("#   %s\n", bad);
	CHECK(bad == NULL);
	free(a);
	free(b);
	free(want);
}

static void
encoder_matches(const char *name, const char *in, size_t n, size_t cut)
{
	begin(name);
	encoder_check(in, n, cut);
	end();
}

/* The exact wire bytes for in, from the documented rules. */
static void
encoder_gives(const char *name, const char *in, const char *want)
{
	size_t n = strlen(in), cut;
	char *b = malloc(MESSAGE_OUT_MAX(n) + 2);
	size_t lb;

	begin(name);
	for (cut = 0; cut <= n; cut++) {
		size_t cuts[1] = { cut };

		lb = stream_encode((const unsigned char *)in, n, cuts, 1, b);
		CHECK(lb == strlen(want) && memcmp(b, want, lb) == 0);
	}
	free(b);
	end();
}

/* A body: a header, an empty line, then text with x repeated len times
 * and what follows, starting at offset at of the whole. */
static size_t
long_line(char *buf, size_t at, size_t len, const char *after)
{
	static const char head[] = "Subject: t\n\n";
	size_t n = 0;

	memset(buf, 'y', at);
	n = at;
	memcpy(buf + n, head, sizeof(head) - 1);
	n += sizeof(head) - 1;
	memset(buf + n, 'x', len);
	n += len;
	memcpy(buf + n, after, strlen(after));
	return n + strlen(after);
}

static void
test_encoder(void)
{
	static char buf[3 * MESSAGE_CHUNK + 20000];
	static const size_t lens[] = { 997, 998, 999, 1000, 1995, 1996, 1997,
	    8187, 8188, 8189, 8190, 8191, 20000 };
	static const char *const afters[] = { ".\n", "\r.\r\n", ".\r\n",
	    "\n.\n", "\r\n", "", "\r", ".", "\r\r\n.x\n" };
	size_t k, j, n;
	char name[128];

	/* A CR ending one read and its LF starting the next. */
	memset(buf, 'a', sizeof(buf));
	for (k = 0; k < 2 * MESSAGE_CHUNK; k += 900)
		buf[k] = '\n';	/* lines under the limit */
	buf[MESSAGE_CHUNK - 1] = '\r';
	buf[MESSAGE_CHUNK] = '\n';
	encoder_matches("encoder: CR at the end of a read, LF at the start of "
	    "the next", buf, 2 * MESSAGE_CHUNK, MESSAGE_CHUNK);
	/* A dot line starting a read. */
	buf[MESSAGE_CHUNK - 1] = '\n';
	buf[MESSAGE_CHUNK] = '.';
	encoder_matches("encoder: a line starting with a dot at the start of a "
	    "read", buf, 2 * MESSAGE_CHUNK, MESSAGE_CHUNK);
	/* A lone CR ending a read, a dot following. */
	buf[MESSAGE_CHUNK - 2] = '\n';
	buf[MESSAGE_CHUNK - 1] = '\r';
	buf[MESSAGE_CHUNK] = '.';
	buf[MESSAGE_CHUNK + 1] = '\n';
	encoder_matches("encoder: CR . LF across a read boundary ends nothing",
	    buf, 2 * MESSAGE_CHUNK, MESSAGE_CHUNK);
	encoder_gives("encoder: a lone CR is dropped", "a\rb\n", "ab\r\n");
	encoder_gives("encoder: CR . LF is a dot line, stuffed",
	    "x\n\r.\nMAIL FROM:<a>\n", "x\r\n..\r\nMAIL FROM:<a>\r\n");
	encoder_gives("encoder: CR . CR LF is a dot line, stuffed",
	    "x\r\n\r.\r\nRCPT TO:<b> IGNOREQUOTA\r\n",
	    "x\r\n..\r\nRCPT TO:<b> IGNOREQUOTA\r\n");
	encoder_gives("encoder: a CR at the very end is dropped, the line ended",
	    "a\r", "a\r\n");
	encoder_gives("encoder: CR CR LF is one line end", "x\r\r\ny",
	    "x\r\ny\r\n");
	encoder_gives("encoder: a lone CR alone is nothing", "\r", "");
	encoder_gives("encoder: an empty message", "", "");
	encoder_gives("encoder: a lone dot line is doubled", ".\n", "..\r\n");
	encoder_gives("encoder: control and 8-bit bytes pass", "\n\x01\xff z",
	    "\r\n\x01\xff z\r\n");
	/* Long lines: 998 stays, 999 is broken; in the header by CRLF SP. */
	for (k = 0; k < 2; k++) {
		char in[1100], want[1100];
		size_t len = 998 + k, w;

		in[0] = '\n';	/* an empty line first: the body */
		memset(in + 1, 'x', len);
		memcpy(in + 1 + len, "\n", 2);
		memcpy(want, "\r\n", 2);
		memset(want + 2, 'x', 998);
		w = 1000;
		if (k) {
			memcpy(want + w, "\r\nx", 3);
			w += 3;
		}
		memcpy(want + w, "\r\n", 3);
		snprintf(name, sizeof(name), "encoder: a body line of %zu", len);
		encoder_gives(name, in, want);
		/* the same line as the first header line */
		snprintf(name, sizeof(name), "encoder: a header line of %zu",
		    len);
		memset(want, 'x', 998);
		w = 998;
		if (k) {
			memcpy(want + w, "\r\n x", 4);
			w += 4;
		}
		memcpy(want + w, "\r\n", 3);
		encoder_gives(name, in + 1, want);
	}
	{
		char in[1100], want[1200];

		/* a body piece that starts with a dot after a break */
		memcpy(in, "\n", 1);
		memset(in + 1, 'x', 998);
		memcpy(in + 999, ".\n", 3);
		memcpy(want, "\r\n", 2);
		memset(want + 2, 'x', 998);
		memcpy(want + 1000, "\r\n..\r\n", 7);
		encoder_gives("encoder: a piece after a break that starts with "
		    "a dot is stuffed", in, want);
	}
	/* The two forms of the attack, and lines around both limits, each
	 * placed so that it crosses the read boundary, read by all three
	 * models. */
	begin("encoder: lines of 997-1000, 1995-1997, 8187-8191 and 20000 "
	    "bytes, each ending in a dot form, across a read boundary, "
	    "read back whole by every reader model");
	for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++)
		for (j = 0; j < sizeof(afters) / sizeof(afters[0]); j++) {
			n = long_line(buf, MESSAGE_CHUNK - 500, lens[k],
			    afters[j]);
			n += (size_t)snprintf(buf + n, 200, "MAIL FROM:<x@y>\r\n"
			    "RCPT TO:<bob> IGNOREQUOTA\r\nDATA\r\nsmuggled\r\n.\r\n");
			encoder_check(buf, n, MESSAGE_CHUNK);
			encoder_check(buf, n, MESSAGE_CHUNK - 500 + 12 + lens[k]);
		}
	end();
	/* Every cut around a dense mix of line ends and dots. */
	begin("encoder: every cut of a mixed input gives the same bytes");
	{
		const char *mix = ".a\r\n..\n\r.\r\r\n.\nend.\r";

		for (k = 0; k <= strlen(mix); k++)
			encoder_check(mix, strlen(mix), k);
	}
	end();
	begin("encoder: the output decodes to the input with CRLF line ends");
	{
		const char *in = "Subject: x\n\n.hidden\n..two\nlast";
		const char *want = "Subject: x\r\n\r\n.hidden\r\n..two\r\nlast\r\n";
		char enc[128], dec[128];
		size_t cuts[1] = { 7 }, len;
		size_t le = stream_encode((const unsigned char *)in, strlen(in),
		    cuts, 1, enc);
		long end = ref_read_rfc5321(enc, le, dec, &len);

		(void)end;
		CHECK(len == strlen(want) && memcmp(dec, want, len) == 0);
	}
	end();
	/* Random inputs over the bytes that matter, random cuts, some with
	 * long lines. */
	begin("encoder: 20000 random inputs in random pieces match the "
	    "reference and read back whole by every reader model");
	{
		static const unsigned char alphabet[] = ".\r\na\0\xff";
		static unsigned char in[3000];
		static char a[REF_OUT_MAX(sizeof(in))], b[REF_OUT_MAX(sizeof(in))],
		    want[REF_OUT_MAX(sizeof(in))];
		size_t cuts[4], i, la, lb, lw, ncuts, sparse;
		unsigned seed = 12345;
		const char *bad;

		for (k = 0; k < 20000 && current_ok; k++) {
			seed = seed * 1103515245u + 12345u;
			n = (seed >> 16) % (k % 10 == 0 ? sizeof(in) : 96);
			sparse = k % 3 == 0 ? 400 : 1;
			for (i = 0; i < n; i++) {
				seed = seed * 1103515245u + 12345u;
				in[i] = (seed >> 16) % sparse == 0 ?
				    alphabet[(seed >> 8) % 6] : 'a';
			}
			ncuts = 0;
			for (i = 0; i < 4; i++) {
				seed = seed * 1103515245u + 12345u;
				cuts[ncuts] = n ? (seed >> 16) % (n + 1) : 0;
				if (ncuts == 0 || cuts[ncuts] >= cuts[ncuts - 1])
					ncuts++;
			}
			la = ref_encode(in, n, a);
			lb = stream_encode(in, n, cuts, ncuts, b);
			CHECK(la == lb && memcmp(a, b, la) == 0);
			lw = ref_normalise(in, n, want);
			bad = ref_readers_check(b, lb, want, lw);
			if (bad != NULL)
				printf("#   %s\n", bad);
			CHECK(bad == NULL);
		}
	}
	end();
}

/* A transport on one end of a socketpair, the other end fed by us. */
static int
pair(struct transport *t, int *other)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	memset(t, 0, sizeof(*t));
	t->fd = t->wfd = sv[0];
	t->io_timeout_ms = 1000;
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	snprintf(t->peer, sizeof(t->peer), "unix:test");
	*other = sv[1];
	return 0;
}

static void
test_replies(void)
{
	struct transport t;
	struct lmtp l;
	struct lmtp_reply r;
	int other = -1;
	static const char lhlo[] = "220 test ready\r\n250-IGNOREQUOTA\r\n"
	    "250-pipelining\r\n250-AUTH PLAIN LOGIN\r\n250-SIZE 100\r\n"
	    "250 Ok\r\n";

	begin("LHLO: capabilities are read case-insensitively, the name line "
	    "is not one");
	CHECK(pair(&t, &other) == 0);
	lmtp_init(&l, &t, &(struct lmtp_params){ .lhlo_name = "client.test",
	    .timeout_ms = 1000, .data_timeout_ms = 1000 });
	CHECK(write(other, lhlo, sizeof(lhlo) - 1) == (ssize_t)sizeof(lhlo) - 1);
	CHECK(lmtp_open(&l) == 0);
	CHECK(!(l.conn.caps & LMTP_CAP_IGNOREQUOTA));
	CHECK(l.conn.caps & LMTP_CAP_PIPELINING);
	CHECK(l.conn.caps & LMTP_CAP_SIZE);
	CHECK(strcmp(l.conn.auth_mechs, "PLAIN LOGIN") == 0);
	CHECK(strcmp(l.conn.greeting, "220 test ready") == 0);
	end();

	begin("reply: a multi-line reply keeps the last line first and its "
	    "enhanced code");
	{
		static const char rep[] = "550-Mailbox unknown.\r\n550-Really.\r\n"
		    "550 5.1.1 User unknown\r\n";

		CHECK(write(other, rep, sizeof(rep) - 1) > 0);
		CHECK(lmtp_command(&l, LMTP_STEP_RCPT, "RCPT TO:<x>", &r) == 0);
		CHECK(r.code == 550);
		CHECK(strcmp(r.enh, "5.1.1") == 0);
		CHECK(strcmp(r.text, "550 5.1.1 User unknown (Mailbox unknown. "
		    "Really.)") == 0);
	}
	end();

	begin("reply: an enhanced code whose class disagrees is ignored; a bare "
	    "code is a reply");
	CHECK(write(other, "451 5.1.1 odd\r\n250\r\n", 20) == 20);
	CHECK(lmtp_command(&l, LMTP_STEP_RSET, "RSET", &r) == 0);
	CHECK(r.code == 451 && r.enh[0] == '\0');
	CHECK(lmtp_command(&l, LMTP_STEP_RSET, "NOOP", &r) == 0);
	CHECK(r.code == 250 && strcmp(r.text, "250") == 0);
	end();

	begin("reply: codes that change within a reply are garbage, with the "
	    "step named");
	CHECK(write(other, "250-a\r\n451 b\r\n", 14) == 14);
	CHECK(lmtp_command(&l, LMTP_STEP_MAIL, "MAIL FROM:<>", &r) < 0);
	CHECK(l.fault == LF_PROTOCOL);
	CHECK(strstr(l.err, "from unix:test waiting for the reply to MAIL FROM: \"") != NULL);
	end();

	begin("auth: a secret line is wiped from the write buffer once it is "
	    "sent; an ordinary one is not");
	{
		static const char secret[] = "AUTH PLAIN c2VjcmV0LWluLWJ1ZmZlcg==";
		char got[128], raw[64];

		CHECK(write(other, "235 ok\r\n250 ok\r\n", 16) == 16);
		CHECK(lmtp_auth_command(&l, secret, "AUTH PLAIN [redacted]", &r,
		    raw, sizeof(raw)) == 0);
		CHECK(strcmp(raw, "ok") == 0);
		CHECK(memmem(t.wbuf, sizeof(t.wbuf), "c2VjcmV0", 8) == NULL);
		CHECK(read(other, got, sizeof(got)) > 0);
		CHECK(memmem(got, sizeof(got), "c2VjcmV0", 8) != NULL);
		CHECK(lmtp_command(&l, LMTP_STEP_RSET, "NOOP", &r) == 0);
		CHECK(memmem(t.wbuf, sizeof(t.wbuf), "NOOP", 4) != NULL);
		CHECK(read(other, got, sizeof(got)) > 0);
	}
	end();

	begin("reply: a timeout names the command it waited for");
	CHECK(lmtp_command(&l, LMTP_STEP_DATA, "DATA", &r) < 0);
	CHECK(l.fault == LF_TIMEOUT);
	CHECK(strstr(l.err, "timeout after 1 s waiting for the reply to DATA "
	    "from unix:test") != NULL);
	end();
	close(other);
	transport_close(&t);
}

static void
split(const char *spec, int ok, const char *host, const char *port)
{
	struct transport t;
	char h[256], p[32];
	int r;

	memset(&t, 0, sizeof(t));
	r = transport_split_hostport(&t, spec, h, sizeof(h), p, sizeof(p));
	CHECK((r == 0) == ok);
	if (ok && r == 0)
		CHECK(strcmp(h, host) == 0 && strcmp(p, port) == 0);
}

static void
test_hostport(void)
{
	begin("host:port: names, ports, IPv6 in brackets, and what is refused");
	split("mail.example.org", 1, "mail.example.org", "24");
	split("mail.example.org:2003", 1, "mail.example.org", "2003");
	split("[::1]:2003", 1, "::1", "2003");
	split("[::1]", 1, "::1", "24");
	split("::1", 0, NULL, NULL);
	split("host:", 0, NULL, NULL);
	split(":24", 0, NULL, NULL);
	split("[::1", 0, NULL, NULL);
	split("[::1]x", 0, NULL, NULL);
	end();
}

static int
exit_for(enum lmtp_step step, int code, const char *enh)
{
	struct lmtp_rcpt rc = { .addr = "x", .have_verdict = 1, .step = step };

	rc.reply.code = code;
	snprintf(rc.reply.enh, sizeof(rc.reply.enh), "%s", enh);
	return status_for_rcpt(&rc);
}

static void
test_status(void)
{
	struct lmtp_rcpt two[2] = { { .have_verdict = 1 }, { .have_verdict = 0 } };

	begin("status: the reply to exit table, row by row");
	CHECK(exit_for(LMTP_STEP_DOT, 250, "2.1.5") == EX_OK);
	CHECK(exit_for(LMTP_STEP_RCPT, 452, "4.2.2") == EX_TEMPFAIL);
	CHECK(exit_for(LMTP_STEP_RCPT, 421, "") == EX_TEMPFAIL);
	CHECK(exit_for(LMTP_STEP_RCPT, 550, "5.1.1") == EX_NOUSER);
	CHECK(exit_for(LMTP_STEP_RCPT, 551, "5.1.6") == EX_NOUSER);
	CHECK(exit_for(LMTP_STEP_RCPT, 550, "") == EX_NOUSER);
	CHECK(exit_for(LMTP_STEP_DOT, 550, "") == EX_UNAVAILABLE);
	CHECK(exit_for(LMTP_STEP_RCPT, 550, "5.1.2") == EX_NOHOST);
	CHECK(exit_for(LMTP_STEP_MAIL, 553, "5.1.8") == EX_NOHOST);
	CHECK(exit_for(LMTP_STEP_RCPT, 553, "5.1.3") == EX_DATAERR);
	CHECK(exit_for(LMTP_STEP_RCPT, 501, "5.5.4") == EX_PROTOCOL);
	CHECK(exit_for(LMTP_STEP_DOT, 554, "5.7.1") == EX_NOPERM);
	CHECK(exit_for(LMTP_STEP_DOT, 552, "5.2.2") == EX_UNAVAILABLE);
	CHECK(exit_for(LMTP_STEP_DOT, 552, "5.3.4") == EX_UNAVAILABLE);
	two[0].reply.code = 250;
	CHECK(status_combine(two, 2) == EX_TEMPFAIL);
	CHECK(strcmp(status_fault_dsn(LF_CONNECT), "4.4.1") == 0);
	CHECK(strcmp(status_fault_dsn(LF_DEADLINE), "4.4.7") == 0);
	CHECK(strcmp(status_fault_dsn(LF_PROTOCOL), "4.5.0") == 0);
	end();
}

static void
test_policy(void)
{
	struct config c;

	begin("notice senders: whole addresses, any case, <> for the null "
	    "sender, unset means nobody; a config without a list, or with <>, "
	    "is refused unless ignorequota = off");
	config_defaults(&c);
	CHECK(!policy_notice_sender(&c, "anyone@example.org"));
	CHECK(!policy_notice_sender(&c, ""));
	CHECK(policy_config_problem(&c) != NULL);
	c.policy = IQ_OFF;
	CHECK(policy_config_problem(&c) == NULL);
	c.policy = IQ_REQUIRE;
	c.notice_senders_set = 1;
	snprintf(c.notice_senders, sizeof(c.notice_senders), "q@example.org  <>");
	CHECK(policy_notice_sender(&c, "Q@Example.ORG"));
	CHECK(policy_notice_sender(&c, ""));
	CHECK(policy_config_problem(&c) != NULL);
	CHECK(!policy_notice_sender(&c, "q@example.org.evil"));
	CHECK(!policy_notice_sender(&c, "q@example.or"));
	snprintf(c.notice_senders, sizeof(c.notice_senders), "q@example.org");
	CHECK(!policy_notice_sender(&c, ""));
	CHECK(policy_config_problem(&c) == NULL);
	end();
}

/* A copy of s in a buffer of exactly its length: ASan sees any read
 * past the end. */
static char *
exact(const char *s)
{
	size_t n = strlen(s);
	char *p = malloc(n ? n : 1);

	memcpy(p, s, n);
	return p;
}

static void
test_refusal(void)
{
	static const char *const bad[] = { "Subject: x\n", "S", "Sub",
		"Subject: x\nFrom: me\n\nbody", "To: x\nSubject: y\n\n",
		"X: y\n\nbody", "Subject: x\r\nmime-version: 1.0\r\n\r\n",
		"Subject: x\n%{subject}\n\nbody", "X-A: %{user}\nSubject: x\n\n",
		"Subject: x\nno colon here\n\nbody", "Subject: x\n\r y\n\nbody",
		": no name\nSubject: x\n\n", " t\xd0\xd0\nSubject: x\n\nbody" };
	char out[512], *t;
	struct notice_facts f = { .user = "alice" };
	size_t i, n;

	begin("refusal notices: the Subject is unfolded, escaped and cut; "
	    "none is (none)");
	t = exact("From: a\r\nsubject:  Lunch\r\n\t on\x1b Friday \r\n"
	    "X: y\r\n\r\nSubject: body");
	notice_subject(t, strlen("From: a\r\nsubject:  Lunch\r\n\t on\x1b "
	    "Friday \r\nX: y\r\n\r\nSubject: body"), out, sizeof(out));
	free(t);
	CHECK(strcmp(out, "Lunch on\\x1b Friday") == 0);
	notice_subject("From: a\n\nSubject: in the body\n",
	    strlen("From: a\n\nSubject: in the body\n"), out, sizeof(out));
	CHECK(strcmp(out, "(none)") == 0);
	t = malloc(300);
	memcpy(t, "Subject: ", 9);
	memset(t + 9, 'x', 291);
	notice_subject(t, 300, out, sizeof(out));
	CHECK(strlen(out) == 200 && strcmp(out + 197, "...") == 0);
	free(t);
	end();

	begin("refusal notices: a template needs a header with a Subject, "
	    "none of lmtp-iq's own fields, an empty line; short lines are "
	    "read within bounds");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = exact(bad[i]);
		CHECK(notice_template_problem(t, strlen(bad[i]), &n) != NULL);
		free(t);
	}
	t = exact("X-Note: a\nSubject: %{subject}\n\nbody\n");
	CHECK(notice_template_problem(t,
	    strlen("X-Note: a\nSubject: %{subject}\n\nbody\n"), &n) == NULL);
	free(t);
	end();

	begin("refusal notices: an unknown or unclosed placeholder is a "
	    "template error naming its line, in the header or the body");
	{
		static const struct { const char *t; size_t line; } unk[] = {
			{ "Subject: %{subjet}\n\nbody\n", 1 },
			{ "X-A: b\nSubject: x\n\nhi %{user}\nyou %{User}\n", 5 },
			{ "Subject: x\n\n\n\n%{reply\n", 5 },
			{ "Subject: x\n\nsee %{size} %{}", 3 },
		};
		const char *why;

		for (i = 0; i < sizeof(unk) / sizeof(unk[0]); i++) {
			t = exact(unk[i].t);
			why = notice_template_problem(t, strlen(unk[i].t), &n);
			CHECK(why != NULL && strstr(why, "unknown placeholder") !=
			    NULL && n == unk[i].line);
			if (n != unk[i].line)
				printf("#   line %zu, not %zu\n", n, unk[i].line);
			free(t);
		}
		t = exact("Subject: %{subject} 100%\n\n%{user} %{sender} "
		    "%{from} %{size} %{bytes} %{subject} %{reply} %{interval} "
		    "100% {x}\n");
		CHECK(notice_template_problem(t, strlen("Subject: %{subject} "
		    "100%\n\n%{user} %{sender} %{from} %{size} %{bytes} "
		    "%{subject} %{reply} %{interval} 100% {x}\n"), &n) == NULL);
		free(t);
	}
	end();

	begin("refusal notices: the interval in the largest unit that "
	    "divides it (h, min, s)");
	{
		static const struct { int n; const char *s; } iv[] = {
			{ 86400, "24 h" }, { 3600, "1 h" }, { 172800, "48 h" },
			{ 5400, "90 min" }, { 60, "1 min" }, { 90, "90 s" },
			{ 1, "1 s" }, { 86401, "86401 s" } };

		for (i = 0; i < sizeof(iv) / sizeof(iv[0]); i++) {
			notice_interval_text(iv[i].n, out, sizeof(out));
			if (strcmp(out, iv[i].s) != 0)
				printf("#   %d: %s, not %s\n", iv[i].n, out, iv[i].s);
			CHECK(strcmp(out, iv[i].s) == 0);
		}
	}
	end();

	begin("refusal notices: a size as a person reads it: bytes below "
	    "1000, then kB, MB, GB in powers of 1000 with one decimal");
	{
		static const struct { long long n; const char *s; } sz[] = {
			{ 0, "0 bytes" }, { 1, "1 byte" }, { 999, "999 bytes" },
			{ 1000, "1.0 kB" }, { 1049, "1.0 kB" }, { 1050, "1.1 kB" },
			{ 2345678, "2.3 MB" }, { 999949, "999.9 kB" },
			{ 999950, "1.0 MB" }, { 1049999, "1.0 MB" },
			{ 1000000000, "1.0 GB" },
			{ 12345678901234LL, "12345.7 GB" } };

		for (i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
			notice_size_text(sz[i].n, out, sizeof(out));
			if (strcmp(out, sz[i].s) != 0)
				printf("#   %lld: %s, not %s\n", sz[i].n, out, sz[i].s);
			CHECK(strcmp(out, sz[i].s) == 0);
		}
	}
	end();

	begin("refusal notices: placeholders filled, unknown ones kept, "
	    "too long refused");
	snprintf(f.sender, sizeof(f.sender), "bob@example.org");
	snprintf(f.size, sizeof(f.size), "12 bytes");
	snprintf(f.bytes, sizeof(f.bytes), "12");
	snprintf(f.subject, sizeof(f.subject), "Hi");
	snprintf(f.reply, sizeof(f.reply), "452 4.2.2 Over quota");
	t = exact("%{user} %{sender} %{size} %{bytes} %{subject} %{reply} "
	    "%{x} %{user");
	i = strlen("%{user} %{sender} %{size} %{bytes} %{subject} %{reply} "
	    "%{x} %{user");
	CHECK(notice_render(t, i, &f, out, sizeof(out), &n) == 0);
	CHECK(n == strlen("alice bob@example.org 12 bytes 12 Hi 452 4.2.2 Over "
	    "quota %{x} %{user") && memcmp(out, "alice bob@example.org 12 "
	    "bytes 12 Hi 452 4.2.2 Over quota %{x} %{user", n) == 0);
	CHECK(notice_render(t, i, &f, out, 20, &n) < 0);
	free(t);
	end();
}

/* The encoder's two ways of copying text (AVX2 where the CPU has it,
 * memchr elsewhere) give the same bytes for the same input, whatever
 * the runs between line ends: random text, CR, LF and dots, runs from
 * 0 to 300 bytes, cut at a random place.  Where the CPU has no AVX2
 * both runs take the plain path and agree trivially. */
static void
test_copy_paths(void)
{
	static unsigned char in[6000];
	static char a[MESSAGE_OUT_MAX(sizeof(in)) + 4];
	static char b[MESSAGE_OUT_MAX(sizeof(in)) + 4];
	unsigned seed = 12345;
	size_t k, i, n, run, la, lb, cuts[1];
	int same = 1;

	begin("encoder: the AVX2 and the plain copy paths give the same bytes "
	    "(3,000 random inputs)");
	for (k = 0; k < 3000 && same; k++) {
		seed = seed * 1103515245 + 12345;
		n = (seed >> 8) % sizeof(in);
		for (i = 0; i < n; i += run + 1) {
			seed = seed * 1103515245 + 12345;
			run = (seed >> 8) % 301;
			if (i + run > n)
				run = n - i;
			memset(in + i, 'a' + (int)(k % 26), run);
			if (i + run < n)
				in[i + run] = "\r\n.\n\r"[(seed >> 20) % 5];
		}
		seed = seed * 1103515245 + 12345;
		cuts[0] = n ? (seed >> 8) % n : 0;
		message_force_plain = 0;
		la = stream_encode(in, n, cuts, 1, a);
		message_force_plain = 1;
		lb = stream_encode(in, n, cuts, 1, b);
		message_force_plain = 0;
		same = la == lb && memcmp(a, b, la) == 0;
	}
	CHECK(same);
	end();
}

/* decoded_as RAW WANT: the field value RAW, decoded, is WANT. */
static int
decoded_as(const char *raw, const char *want)
{
	static char out[4 * MIMEWORD_RAW_MAX];
	size_t n = mimeword_decode(raw, strlen(raw), out, sizeof(out));

	if (n == strlen(want) && memcmp(out, want, n) == 0)
		return 1;
	printf("#   %s: got %.*s, not %s\n", raw, (int)n, out, want);
	return 0;
}

static int
shown_as(const char *text, size_t max, const char *want)
{
	char out[2048];

	mimeword_display(text, strlen(text), max, out, sizeof(out));
	if (strcmp(out, want) == 0)
		return 1;
	printf("#   shown as %s, not %s\n", out, want);
	return 0;
}

static void
test_mimeword(void)
{
	char out[1024], big[1200];
	long n;
	size_t i, len;

	begin("mimeword: RFC 2047 section 8's own examples");
	CHECK(decoded_as("(=?ISO-8859-1?Q?a?=)", "(a)"));
	CHECK(decoded_as("(=?ISO-8859-1?Q?a?= b)", "(a b)"));
	CHECK(decoded_as("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"));
	CHECK(decoded_as("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"));
	CHECK(decoded_as("(=?ISO-8859-1?Q?a_b?=)", "(a b)"));
	CHECK(decoded_as("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"));
	CHECK(decoded_as("=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>",
	    "Keith Moore <moore@cs.utk.edu>"));
	CHECK(decoded_as("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=",
	    "Keld J\xc3\xb8rn Simonsen"));
	CHECK(decoded_as("=?ISO-8859-1?Q?Andr=E9?= Pirard", "Andr\xc3\xa9 Pirard"));
	CHECK(decoded_as("=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?= "
	    "=?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
	    "If you can read this you understand the example."));
	end();

	begin("mimeword: UTF-8, ISO-8859-1, windows-1252, ISO-2022-JP, Big5; "
	    "bad base64 and an unknown charset kept as they came");
	CHECK(decoded_as("=?UTF-8?B?RMOpamV1bmVyIHZlbmRyZWRpIOKAlCDwn42V?=",
	    "D\xc3\xa9jeuner vendredi \xe2\x80\x94 \xf0\x9f\x8d\x95"));
	CHECK(decoded_as("=?utf-8?q?D=C3=A9jeuner?=", "D\xc3\xa9jeuner"));
	CHECK(decoded_as("=?iso-8859-1?q?caf=E9?=", "caf\xc3\xa9"));
	CHECK(decoded_as("=?windows-1252?Q?=80_caf=E9?=", "\xe2\x82\xac caf\xc3\xa9"));
	CHECK(decoded_as("=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=",
	    "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88"));
	CHECK(decoded_as("=?Big5?B?pKSk5Q==?=", "\xe4\xb8\xad\xe6\x96\x87"));
	CHECK(decoded_as("=?UTF-8*fr?Q?caf=C3=A9?=", "caf\xc3\xa9"));
	CHECK(decoded_as("=?UTF-8?B?###?=", "=?UTF-8?B?###?="));
	CHECK(decoded_as("=?UTF-8?B?QQ?=", "A"));	/* padding left out */
	CHECK(decoded_as("=?UTF-8?B?Q?=", "=?UTF-8?B?Q?="));
	CHECK(decoded_as("=?UTF-8?Q?a=Zb?=", "=?UTF-8?Q?a=Zb?="));
	CHECK(decoded_as("=?x-no-such-charset?Q?abc?= d",
	    "=?x-no-such-charset?Q?abc?= d"));
	CHECK(decoded_as("plain =? not a word ?= text", "plain =? not a word ?= text"));
	/* A byte the charset does not have goes on as it is. */
	CHECK(decoded_as("=?UTF-8?Q?a=FFb?=", "a\xff" "b"));
	end();

	begin("mimeword: a character split between two words is joined "
	    "before it is converted (Q and B, UTF-8 and Big5)");
	CHECK(decoded_as("=?UTF-8?Q?caf=C3?= =?UTF-8?Q?=A9?=", "caf\xc3\xa9"));
	/* E2 80 | 94: an em dash over two B words. */
	CHECK(decoded_as("=?UTF-8?B?4oA=?=\r\n =?UTF-8?B?lA==?=", "\xe2\x80\x94"));
	CHECK(decoded_as("=?Big5?B?pA==?= =?Big5?B?pKTl?=", "\xe4\xb8\xad\xe6\x96\x87"));
	end();

	begin("mimeword: a field is found by name, unfolded, outside the body");
	n = mimeword_field("From: a\r\nsubject:  Lunch\r\n\t on  Friday \r\nX: y\r\n"
	    "\r\nSubject: body", 62, "Subject", out, sizeof(out));
	CHECK(n == 15 && strcmp(out, "Lunch on Friday") == 0);
	n = mimeword_field("From: a\n\nSubject: in the body\n", 29, "Subject",
	    out, sizeof(out));
	CHECK(n == -1);
	n = mimeword_field("Subject:\n", 9, "Subject", out, sizeof(out));
	CHECK(n == 0);
	end();

	begin("mimeword: shown safely: UTF-8 as it is, controls, backslash, bad "
	    "UTF-8, C1, bidi and separators escaped; cut between characters");
	CHECK(shown_as("D\xc3\xa9jeuner \xf0\x9f\x8d\x95", 200,
	    "D\xc3\xa9jeuner \xf0\x9f\x8d\x95"));
	CHECK(shown_as("a\x1b[31mb\x7f\\", 200, "a\\x1b[31mb\\x7f\\x5c"));
	CHECK(shown_as("x\xff\xc3(\xed\xa0\x80\xc0\xaf", 200,
	    "x\\xff\\xc3(\\xed\\xa0\\x80\\xc0\\xaf"));
	CHECK(shown_as("abc\xe2\x80\xaegpj.exe", 200, "abc\\u{202E}gpj.exe"));
	/* Zero-width characters, the byte order mark, tags: unseen. */
	CHECK(shown_as("pay\xe2\x80\x8bpal\xe2\x80\x8d\xe2\x81\xa0\xef\xbb\xbf"
	    "\xf3\xa0\x80\x81\xf3\xa0\x81\xbf\xe1\xa0\x8e\xef\xbf\xb9", 200,
	    "pay\\u{200B}pal\\u{200D}\\u{2060}\\u{FEFF}\\u{E0001}\\u{E007F}"
	    "\\u{180E}\\u{FFF9}"));
	CHECK(shown_as("\xc2\x85\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f\xe2\x81\xa6"
	    "\xe2\x81\xa9\xe2\x80\xa8\xe2\x80\xa9", 200,
	    "\\u{0085}\\u{061C}\\u{200E}\\u{200F}\\u{2066}\\u{2069}\\u{2028}\\u{2029}"));
	for (i = 0, len = 0; i < 300; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len, "\xc3\xa9");
	mimeword_display(big, len, 200, out, sizeof(out));
	CHECK(strlen(out) == 197 * 2 + 3 && strcmp(out + 394, "...") == 0);
	CHECK(shown_as("\xc3\xa9\xc3\xa9\xc3\xa9", 3, "\xc3\xa9\xc3\xa9\xc3\xa9"));
	CHECK(shown_as("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3, "..."));
	CHECK(shown_as("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 4,
	    "\xc3\xa9..."));
	end();

	begin("mimeword: 8-bit header fields are encoded as RFC 2047 B words, "
	    "folded; ASCII fields and the body stay as they are");
	{
		const char *in = "Subject: Full: D\xc3\xa9jeuner vendredi \xe2\x80\x94 "
		    "\xf0\x9f\x8d\x95 and a long tail of words after it\nX-A: b\n"
		    "\nBody \xc3\xa9\n";
		char enc[1024], dec[1024];

		CHECK(mimeword_encode_header(in, strlen(in), NULL, enc, sizeof(enc),
		    &len) == 0);
		enc[len] = '\0';
		/* Every byte of the header is 7-bit. */
		for (i = 0; i < (size_t)(strstr(enc, "\n\n") - enc); i++)
			CHECK((unsigned char)enc[i] < 0x80);
		CHECK(strncmp(enc, "Subject: =?UTF-8?B?", 19) == 0);
		CHECK(strstr(enc, "?=\n =?UTF-8?B?") != NULL);
		CHECK(strstr(enc, "\nX-A: b\n\nBody \xc3\xa9\n") != NULL);
		n = mimeword_field(enc, len, "Subject", out, sizeof(out));
		CHECK(n > 0);
		i = mimeword_decode(out, (size_t)n, dec, sizeof(dec));
		CHECK(i == strlen(in + 9) - strlen("\nX-A: b\n\nBody \xc3\xa9\n") &&
		    memcmp(dec, in + 9, i) == 0);
	}
	end();

	begin("mimeword: the field named always is encoded even when 7-bit, "
	    "unfolded first: decoded once it is the text, encoded words in "
	    "it included");
	{
		const char *in = "Subject: Refused: =?UTF-8?Q?=E2=80=AE?=\r\n"
		    " \\u{202E} and more\nX-B: =?UTF-8?Q?=E2=80=AE?=\n\nBody\n";
		const char *want = "Refused: =?UTF-8?Q?=E2=80=AE?= \\u{202E} and "
		    "more";
		char enc[1024], dec[1024];

		CHECK(mimeword_encode_header(in, strlen(in), "subject", enc,
		    sizeof(enc), &len) == 0);
		enc[len] = '\0';
		CHECK(strncmp(enc, "Subject: =?UTF-8?B?", 19) == 0);
		CHECK(strstr(enc, "\nX-B: =?UTF-8?Q?=E2=80=AE?=\n\nBody\n") != NULL);
		CHECK(strstr(enc, "=E2") == strstr(enc, "X-B: ") + 15);
		n = mimeword_field(enc, len, "Subject", out, sizeof(out));
		CHECK(n > 0);
		i = mimeword_decode(out, (size_t)n, dec, sizeof(dec));
		CHECK(i == strlen(want) && memcmp(dec, want, i) == 0);
		if (i != strlen(want) || memcmp(dec, want, i) != 0)
			printf("#   decoded %.*s\n", (int)i, dec);
		/* Lines that continue no field: encoded all the same, still
		 * a continuation, nothing 8-bit left (found by fuzz_refusal). */
		in = " t\xd0\xd0l\n more\nX: y\n\nb\xd0\n";
		CHECK(mimeword_encode_header(in, strlen(in), NULL, enc,
		    sizeof(enc), &len) == 0);
		enc[len] = '\0';
		CHECK(strncmp(enc, " =?UTF-8?B?", 11) == 0);
		CHECK(strstr(enc, "?=\nX: y\n\nb\xd0\n") != NULL);
		for (i = 0; enc[i] != '\0' && enc[i] != 'X'; i++)
			CHECK((unsigned char)enc[i] < 0x80);
	}
	end();
}

/* One encoded word of b[0..n) in charset, B or Q, at out; its length. */
static size_t
word_in(const char *charset, int q, const unsigned char *b, size_t n,
    char *out, size_t cap)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o, i;

	o = (size_t)snprintf(out, cap, "=?%s?%c?", charset, q ? 'Q' : 'B');
	for (i = 0; i < n && o + 8 < cap; i += q ? 1 : 3) {
		if (q) {
			o += (size_t)snprintf(out + o, cap - o, "=%02X", b[i]);
			continue;
		}
		unsigned v = (unsigned)b[i] << 16 | (i + 1 < n ? (unsigned)b[i + 1]
		    << 8 : 0) | (i + 2 < n ? b[i + 2] : 0);

		out[o++] = b64[v >> 18];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	return o + (size_t)snprintf(out + o, cap - o, "?=");
}

/* A lone SO (0x0e) in the charset, decoded and shown: 1 when what is
 * shown is safe. */
static int
lone_so_safe(const char *charset, char *raw, char *dec, char *shown)
{
	size_t n;
	int len = snprintf(raw, 1024, "=?%s?B?Dg==?=", charset);

	n = mimeword_decode(raw, (size_t)len, dec, 4096);
	mimeword_display(dec, n, 1000, shown, 4096);
	if (shown_ok(shown, 1000))
		return 1;
	printf("#   %s shown as %s\n", raw, shown);
	return 0;
}
/* Every charset this machine's iconv knows (iconv -l), with random
 * encoded words in it: short runs of any byte, the shift and escape
 * bytes of the stateful charsets (SO, SI, ESC) often, B and Q, one to
 * three adjacent words.  Decoded and shown, each is what a person may
 * see (shown.h); nothing reads or writes out of bounds (ASan, in make
 * check SANITIZE=1).  ISO-2022-CN-EXT's lone SO (=?ISO-2022-CN-EXT?B?Dg==?=)
 * once made the decoder's count of bytes left wrap. */
static void
test_mimeword_charsets(void)
{
	static const unsigned char favour[] = { 0x0e, 0x0f, 0x1b, 0x24, 0x28,
		0x29, 0x2a, 0x2b, 0x41, 0x42, 0x4e, 0x4f, 0x8e, 0x8f, 0xa1, 0xff,
		0x00, 0x0a, 0x0d, 0x3d, 0x3f };
	static char raw[2048], dec[8192], shown[8192];
	char name[256];
	unsigned seed = 2047;
	size_t sets = 0, words = 0, o, n, k, w, j, len;
	int ok = 1;
	FILE *f = popen("iconv -l", "r");

	begin("mimeword: random encoded words in every charset iconv -l "
	    "lists, decoded and shown, are safe to show");
	CHECK(f != NULL);
	while (f != NULL && fgets(name, sizeof(name), f) != NULL) {
		len = strcspn(name, "\n");
		while (len > 0 && name[len - 1] == '/')
			len--;
		name[len] = '\0';
		if (len == 0)
			continue;
		sets++;
		CHECK(lone_so_safe(name, raw, dec, shown));
		for (k = 0; k < 40; k++) {
			o = 0;
			for (w = 1 + rand_r(&seed) % 3; w > 0; w--) {
				unsigned char b[16];
				int q = rand_r(&seed) % 2;

				n = (size_t)rand_r(&seed) % sizeof(b);
				for (j = 0; j < n; j++)
					b[j] = rand_r(&seed) % 2 ?
					    favour[rand_r(&seed) % sizeof(favour)] :
					    (unsigned char)rand_r(&seed);
				o += word_in(name, q, b, n, raw + o, sizeof(raw) - o);
				if (w > 1 && rand_r(&seed) % 2)
					raw[o++] = ' ';
			}
			raw[o] = '\0';
			n = mimeword_decode(raw, o, dec, sizeof(dec));
			mimeword_display(dec, n, 1000, shown, sizeof(shown));
			words++;
			if (!shown_ok(shown, 1000)) {
				ok = 0;
				printf("#   %s: %s shown as %s\n", name, raw, shown);
			}
		}
	}
	if (f != NULL)
		CHECK(pclose(f) == 0);
	printf("#   %zu charsets, %zu fields\n", sets, words);
	CHECK(ok && sets > 100);
	end();
}

/* Random text from several scripts, a hidden code point now and then,
 * encoded as B and Q words in a charset that has it, cut at random bytes
 * (inside characters too), folded: decoded and shown, it is the text
 * again, with only the hidden code points escaped. */
static void
test_mimeword_roundtrip(void)
{
	static const unsigned long pool[] = { 'a', 'Z', '7', ' ', '!', 0xe9,
		0xfc, 0xdf, 0x3b1, 0x416, 0x5d0, 0x627, 0x4e2d, 0x65e5, 0x3042,
		0x20ac, 0x1f355, 0x202e, 0x2028 };
	static const char *const sets[] = { "UTF-8", "UTF-8", "ISO-8859-1",
		"windows-1252", "Big5", "ISO-2022-JP" };
	static char text[400], want[1200], cs[600], raw[4000], dec[4000];
	static char shown[4000];
	unsigned seed = 4242;
	size_t k, t, nc, o, i, wl, cl, take;
	int ok = 1, tries = 0;

	begin("mimeword: 2,000 random texts round-trip through B and Q words "
	    "in six charsets, split anywhere; only hidden code points escaped");
	for (k = 0; k < 2000 && ok; k++) {
		const char *set;
		iconv_t cd;
		char *in, *to;
		size_t left, room;

		seed = seed * 1103515245 + 12345;
		set = sets[(seed >> 16) % 6];
		nc = 1 + (seed >> 8) % 40;
		t = wl = 0;
		for (i = 0; i < nc; i++) {
			unsigned long c;
			char u[8];
			int n;

			seed = seed * 1103515245 + 12345;
			c = pool[(seed >> 12) % (sizeof(pool) / sizeof(pool[0]))];
			if (c < 0x80)
				n = snprintf(u, sizeof(u), "%c", (int)c);
			else if (c < 0x800)
				n = snprintf(u, sizeof(u), "%c%c", (int)(0xc0 | c >> 6),
				    (int)(0x80 | (c & 0x3f)));
			else if (c < 0x10000)
				n = snprintf(u, sizeof(u), "%c%c%c", (int)(0xe0 | c >> 12),
				    (int)(0x80 | (c >> 6 & 0x3f)), (int)(0x80 | (c & 0x3f)));
			else
				n = snprintf(u, sizeof(u), "%c%c%c%c", (int)(0xf0 | c >> 18),
				    (int)(0x80 | (c >> 12 & 0x3f)),
				    (int)(0x80 | (c >> 6 & 0x3f)), (int)(0x80 | (c & 0x3f)));
			memcpy(text + t, u, (size_t)n);
			t += (size_t)n;
			if (c == 0x202e || c == 0x2028)
				wl += (size_t)snprintf(want + wl, sizeof(want) - wl,
				    "\\u{%04lX}", c);
			else {
				memcpy(want + wl, u, (size_t)n);
				wl += (size_t)n;
			}
		}
		want[wl] = '\0';
		/* Into the charset; a text it cannot hold is tried in UTF-8. */
		cd = iconv_open(set, "UTF-8");
		in = text;
		left = t;
		to = cs;
		room = sizeof(cs);
		if (cd == (iconv_t)-1 || iconv(cd, &in, &left, &to, &room) ==
		    (size_t)-1 || iconv(cd, NULL, NULL, &to, &room) == (size_t)-1) {
			set = "UTF-8";
			memcpy(cs, text, t);
			cl = t;
		} else {
			cl = (size_t)(to - cs);
		}
		if (cd != (iconv_t)-1)
			iconv_close(cd);
		/* Words of random sizes, B or Q, cut at any byte. */
		for (i = 0, o = 0; i < cl; i += take) {
			size_t j;
			int b;

			seed = seed * 1103515245 + 12345;
			take = 1 + (seed >> 10) % 12;
			if (take > cl - i)
				take = cl - i;
			b = (seed >> 20) & 1;
			if (o > 0)
				o += (size_t)snprintf(raw + o, sizeof(raw) - o,
				    (seed >> 22) & 1 ? "\r\n " : " ");
			o += (size_t)snprintf(raw + o, sizeof(raw) - o, "=?%s?%c?",
			    set, b ? 'B' : 'Q');
			if (b) {
				static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789+/";
				for (j = 0; j < take; j += 3) {
					const unsigned char *q = (const unsigned char *)cs + i + j;
					unsigned v = (unsigned)q[0] << 16 | (j + 1 < take ?
					    (unsigned)q[1] << 8 : 0) | (j + 2 < take ? q[2] : 0);

					raw[o++] = b64[v >> 18];
					raw[o++] = b64[v >> 12 & 63];
					raw[o++] = j + 1 < take ? b64[v >> 6 & 63] : '=';
					raw[o++] = j + 2 < take ? b64[v & 63] : '=';
				}
			} else {
				for (j = 0; j < take; j++) {
					unsigned char q = (unsigned char)cs[i + j];

					if (q == ' ')
						raw[o++] = '_';
					else if (isalnum(q))
						raw[o++] = (char)q;
					else
						o += (size_t)snprintf(raw + o, sizeof(raw) - o,
						    "=%02X", q);
				}
			}
			raw[o++] = '?';
			raw[o++] = '=';
		}
		raw[o] = '\0';
		/* As a field: unfolded, decoded, shown. */
		{
			char field[4100];
			long fl;

			snprintf(field, sizeof(field), "Subject: %s\n\n", raw);
			fl = mimeword_field(field, strlen(field), "Subject", raw,
			    sizeof(raw));
			i = mimeword_decode(raw, (size_t)fl, dec, sizeof(dec));
			mimeword_display(dec, i, 1000, shown, sizeof(shown));
		}
		tries++;
		/* The text's own spaces are inside the words: all kept. */
		ok = strcmp(shown, want) == 0;
		if (!ok)
			printf("#   %s: %s\n#   shown %s\n#   want %s\n", set, raw,
			    shown, want);
	}
	CHECK(ok && tries == 2000);
	end();
}

/* FIPS 180-4's own examples (and the empty string). */
static void
test_sha256(void)
{
	static const struct { const char *in; const char *hex; } v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	unsigned char d[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1], *m;
	size_t i, j;

	begin("sha256: FIPS 180-4 examples, one and two padding blocks, a "
	    "million bytes");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sha256(v[i].in, strlen(v[i].in), d);
		for (j = 0; j < SHA256_LEN; j++)
			snprintf(hex + 2 * j, 3, "%02x", d[j]);
		CHECK(strcmp(hex, v[i].hex) == 0);
	}
	m = malloc(1000000);
	memset(m, 'a', 1000000);
	sha256(m, 1000000, d);
	free(m);
	for (j = 0; j < SHA256_LEN; j++)
		snprintf(hex + 2 * j, 3, "%02x", d[j]);
	CHECK(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
	end();
}

/* The config rows' keys and defaults, a line each: "key<TAB>default"
 * (empty: none), for the test that holds the man page to them. */
static int
print_config_defaults(void)
{
	const char *name, *def;
	size_t i;

	for (i = 0; (name = config_key(i, &def)) != NULL; i++)
		printf("%s\t%s\n", name, def != NULL ? def : "");
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "config-defaults") == 0)
		return print_config_defaults();
	test_sha256();
	test_encoder();
	/* Every encoder case again through the plain copy path. */
	message_force_plain = 1;
	test_encoder();
	message_force_plain = 0;
	test_copy_paths();
	test_mimeword();
	test_mimeword_roundtrip();
	test_mimeword_charsets();
	test_replies();
	test_hostport();
	test_status();
	test_policy();
	test_refusal();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
