/* SPDX-License-Identifier: ISC */
/*
 * faultmatrix - the delivery core under every fault at every stage.
 *
 *   faultmatrix [-v] [-e N] LMTP_IQ TMPDIR
 *
 * For each stage of a session (greeting, LHLO, AUTH, MAIL, each of two
 * RCPTs, DATA, during the body, each reply after the dot, QUIT) and each
 * fault (close, stall, garbage, partial line then close, a 1 MiB line,
 * mixed codes in one reply, code only, 4xx, 5xx, 421, NUL, early reply),
 * with and without PIPELINING, it runs LMTP_IQ against a server that
 * behaves like Cyrus lmtpd except for that one fault, and checks:
 *
 *   - the exit status is the one docs/reference.md's rules give
 *     (expected() below: written from the rules, not from the program);
 *   - every command the client sent is well formed (one of the commands
 *     this session can need, byte for byte);
 *   - at most one message body was sent, and only after a 354.
 *
 * Prints TAP ("ok N - stage fault mode"), then "N cases, M failed".
 * -v prints the client's stderr for failures; -e N runs only every Nth
 * case (a sample, for slow runs under valgrind).  LMTP_IQ may be a
 * wrapper script.  Exit 0 when every case run passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum stage { S_GREETING, S_LHLO, S_AUTH, S_MAIL, S_RCPT1, S_RCPT2, S_DATA,
	S_BODY, S_DOT1, S_DOT2, S_QUIT, S_NSTAGES };
enum fault { F_CLOSE, F_STALL, F_GARBAGE, F_PARTIAL, F_BIGLINE, F_MIXED,
	F_CODEONLY, F_4XX, F_5XX, F_421, F_NUL, F_EARLY, F_NFAULTS };

static const char *stage_name[] = { "greeting", "LHLO", "AUTH", "MAIL",
	"RCPT-1", "RCPT-2", "DATA", "body", "dot-reply-1", "dot-reply-2",
	"QUIT" };
static const char *fault_name[] = { "close", "stall", "garbage",
	"partial-line", "1MiB-line", "mixed-codes", "code-only", "4xx", "5xx",
	"421", "NUL", "early-reply" };

#define CASE_LIMIT_MS 15000
#define BODY_BYTES (4 * 1024 * 1024)	/* more than the socket buffers */

/*
 * The expected exit status, from docs/reference.md:
 *  - no verdict (connection closed, timeout, garbage, a line over 4096
 *    bytes, codes that change within a reply, NUL, a greeting other than
 *    220, LHLO or AUTH refused) is 75;
 *  - a reply is the verdict for the recipients it covers: 4xx is 75,
 *    5.1.1 is 67, 5.7.x is 77, 5.2.x and 5.6.x are 69; several
 *    recipients: 75 if any is 75, else the first failure's code;
 *  - anything from the server between the 354 and the final dot is a
 *    protocol failure: 75, and no final dot;
 *  - QUIT must be answered 2xx: a 4xx or 5xx there is a reply meant for
 *    the message, so the replies were out of step and no verdict is
 *    trusted: 75 (a retry may deliver twice); anything else QUIT meets
 *    (no answer, garbage, a close) leaves the verdicts standing;
 *  - a bare code is a complete reply.
 * An early reply is the right reply, sent before its command: harmless
 * before DATA, fatal (75) between the 354 and the final dot.
 */
static int
expected(enum stage s, enum fault f)
{
	if (s == S_QUIT)
		return f == F_4XX || f == F_5XX || f == F_421 ? 75 : 0;
	if (s == S_BODY)
		return 75;
	switch (f) {
	case F_CODEONLY:
		return 0;
	case F_EARLY:
		return (s == S_DOT1 || s == S_DOT2) ? 75 : 0;
	case F_5XX:
		switch (s) {
		case S_MAIL:
			return 77;	/* 550 5.7.1 */
		case S_RCPT1:
		case S_RCPT2:
			return 67;	/* 550 5.1.1 */
		case S_DATA:
			return 69;	/* 554 5.6.0 */
		case S_DOT1:
		case S_DOT2:
			return 69;	/* 552 5.2.2 */
		default:
			return 75;	/* greeting, LHLO, AUTH: no verdict */
		}
	default:
		return 75;
	}
}

/* The reply a stage gets when nothing goes wrong. */
static const char *
normal_reply(enum stage s)
{
	switch (s) {
	case S_GREETING: return "220 fault.test LMTP ready";
	case S_AUTH: return "235 2.7.0 ok";
	case S_MAIL: return "250 2.1.0 ok";
	case S_RCPT1: case S_RCPT2: return "250 2.1.5 ok";
	case S_DATA: return "354 go ahead";
	case S_DOT1: case S_DOT2: return "250 2.1.5 delivered";
	case S_QUIT: return "221 2.0.0 bye";
	default: return "250 ok";
	}
}

static const char *
fault_reply(enum stage s)
{
	switch (s) {
	case S_GREETING: return "554 5.3.2 no service";
	case S_LHLO: return "500 5.5.1 what";
	case S_AUTH: return "535 5.7.8 bad credentials";
	case S_MAIL: return "550 5.7.1 refused";
	case S_RCPT1: case S_RCPT2: return "550 5.1.1 User unknown";
	case S_DATA: return "554 5.6.0 bad content";
	case S_DOT1: case S_DOT2: return "552 5.2.2 Over quota";
	default: return "500 5.5.1 no";
	}
}

static const char *
code_only(enum stage s)
{
	switch (s) {
	case S_GREETING: return "220";
	case S_AUTH: return "235";
	case S_DATA: return "354";
	case S_QUIT: return "221";
	default: return "250";
	}
}

struct server {
	int fd;
	int pipelining, auth;
	enum stage fstage;
	enum fault fault;
	int dead;		/* connection closed by us */
	int stalled;		/* no more replies */
	int mail_ok, accepted, rcpts_seen, bodies, in_body;
	int bad;		/* a malformed command was seen */
	char badline[200];
	char rbuf[65536];
	size_t rlen;
	char early[200];	/* an early reply already sent for this stage */
	enum stage early_for;
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
out(struct server *sv, const char *buf, size_t n)
{
	size_t off = 0;
	ssize_t w;

	while (!sv->dead && off < n) {
		w = send(sv->fd, buf + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			sv->dead = 1;
			return;
		}
		off += (size_t)w;
	}
}

static void
say(struct server *sv, const char *line)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s\r\n", line);

	out(sv, buf, (size_t)n);
}

static void
hangup(struct server *sv)
{
	shutdown(sv->fd, SHUT_RDWR);
	sv->dead = 1;
}

/* The reply for stage s, with the fault if s is the faulty stage. */
static void
reply(struct server *sv, enum stage s, const char *normal)
{
	static char big[1024 * 1024 + 8];

	if (sv->stalled || sv->dead)
		return;
	if (s == sv->early_for && sv->early[0]) {
		sv->early[0] = '\0';	/* already sent, ahead of time */
		return;
	}
	if (s != sv->fstage || sv->fault == F_EARLY) {
		say(sv, normal);
		return;
	}
	switch (sv->fault) {
	case F_CLOSE:
		hangup(sv);
		break;
	case F_STALL:
		sv->stalled = 1;
		break;
	case F_GARBAGE:
		say(sv, "hello? this is not a reply");
		break;
	case F_PARTIAL:
		out(sv, "25", 2);
		hangup(sv);
		break;
	case F_BIGLINE:
		memcpy(big, "250 ", 4);
		memset(big + 4, 'a', sizeof(big) - 8);
		memcpy(big + sizeof(big) - 4, "\r\n", 2);
		out(sv, big, sizeof(big) - 2);
		break;
	case F_MIXED:
		out(sv, "250-first line\r\n451 4.3.0 second line\r\n", 39);
		break;
	case F_CODEONLY:
		say(sv, code_only(s));
		break;
	case F_4XX:
		say(sv, s == S_DOT1 || s == S_DOT2 || s == S_RCPT1 ||
		    s == S_RCPT2 ? "452 4.2.2 Over quota" : "451 4.3.0 try later");
		break;
	case F_5XX:
		say(sv, fault_reply(s));
		break;
	case F_421:
		say(sv, "421 4.3.2 shutting down");
		hangup(sv);
		break;
	case F_NUL:
		out(sv, "250 o\0k\r\n", 8);
		break;
	default:
		say(sv, normal);
	}
}

/* Send stage s's reply now, before its command (fault "early"). */
static void
reply_early(struct server *sv, enum stage s, const char *normal)
{
	if (sv->fault != F_EARLY || sv->fstage != s || sv->early_for == s)
		return;
	say(sv, normal);
	snprintf(sv->early, sizeof(sv->early), "%s", normal);
	sv->early_for = s;
}

static void
lhlo_reply(struct server *sv)
{
	char buf[512];

	if (sv->stalled || sv->dead)
		return;
	if (sv->fstage != S_LHLO || sv->fault == F_EARLY ||
	    sv->fault == F_CODEONLY) {
		if (sv->early_for == S_LHLO && sv->early[0]) {
			sv->early[0] = '\0';
			return;
		}
		snprintf(buf, sizeof(buf), "250-fault.test\r\n%s%s"
		    "250-IGNOREQUOTA\r\n250-ENHANCEDSTATUSCODES\r\n%s\r\n",
		    sv->pipelining ? "250-PIPELINING\r\n" : "",
		    sv->auth ? "250-AUTH PLAIN\r\n" : "",
		    sv->fstage == S_LHLO && sv->fault == F_CODEONLY ? "250" :
		    "250 Ok");
		out(sv, buf, strlen(buf));
		return;
	}
	reply(sv, S_LHLO, "250 ok");
}

/* What the client may send in this session, exactly. */
static int
well_formed(const char *line)
{
	static const char *ok[] = { "LHLO client.test",
		"MAIL FROM:<quota-warn@example.org>",
		"RCPT TO:<alice> IGNOREQUOTA", "RCPT TO:<bob> IGNOREQUOTA",
		"DATA", "RSET", "QUIT", "*",
		"AUTH PLAIN AGN5cnVzAHNlY3JldA==" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(line, ok[i]) == 0)
			return 1;
	return 0;
}

/* The LHLO reply, sent right after the greeting (fault "early"). */
static void
lhlo_early(struct server *sv)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "250-fault.test\r\n%s250-IGNOREQUOTA\r\n"
	    "%s250 Ok", sv->pipelining ? "250-PIPELINING\r\n" : "",
	    sv->auth ? "250-AUTH PLAIN\r\n" : "");
	say(sv, buf);
	snprintf(sv->early, sizeof(sv->early), "lhlo");
	sv->early_for = S_LHLO;
}

/* After stage s's reply, the next stage's may go out early. */
static void
maybe_early_after(struct server *sv, enum stage s)
{
	if (sv->fault != F_EARLY)
		return;
	if (s == S_GREETING && sv->fstage == S_LHLO)
		lhlo_early(sv);
	else if ((s == S_LHLO && sv->fstage == S_AUTH && sv->auth) ||
	    (s == S_LHLO && sv->fstage == S_MAIL && !sv->auth) ||
	    (s == S_AUTH && sv->fstage == S_MAIL) ||
	    (s == S_MAIL && sv->fstage == S_RCPT1) ||
	    (s == S_RCPT1 && sv->fstage == S_RCPT2) ||
	    (s == S_RCPT2 && sv->fstage == S_DATA))
		reply_early(sv, sv->fstage, normal_reply(sv->fstage));
}

/* The dot's replies, one per accepted recipient, stages DOT1, DOT2. */
static void
dot_replies(struct server *sv)
{
	int i;

	for (i = 0; i < sv->accepted; i++)
		reply(sv, i == 0 ? S_DOT1 : S_DOT2, normal_reply(S_DOT1));
}

/* One line from the client.  Returns 0, or -1 when the session is over. */
static int
handle(struct server *sv, const char *line)
{
	if (sv->in_body) {
		if (strcmp(line, ".") != 0)
			return 0;
		sv->in_body = 0;
		sv->bodies++;
		if (sv->fstage == S_BODY)
			return 0;	/* the fault was the verdict's place */
		dot_replies(sv);
		return 0;
	}
	if (!well_formed(line)) {
		if (!sv->bad)
			snprintf(sv->badline, sizeof(sv->badline), "%.150s", line);
		sv->bad = 1;
		say(sv, "500 5.5.2 Syntax error");
		return 0;
	}
	if (strncmp(line, "LHLO", 4) == 0) {
		lhlo_reply(sv);
		maybe_early_after(sv, S_LHLO);
	} else if (strncmp(line, "AUTH", 4) == 0) {
		reply(sv, S_AUTH, normal_reply(S_AUTH));
		maybe_early_after(sv, S_AUTH);
	} else if (strncmp(line, "MAIL", 4) == 0) {
		sv->mail_ok = !(sv->fstage == S_MAIL && (sv->fault == F_5XX ||
		    sv->fault == F_4XX));
		sv->accepted = sv->rcpts_seen = 0;
		reply(sv, S_MAIL, normal_reply(S_MAIL));
		maybe_early_after(sv, S_MAIL);
	} else if (strncmp(line, "RCPT", 4) == 0) {
		enum stage s = sv->rcpts_seen++ == 0 ? S_RCPT1 : S_RCPT2;

		if (!sv->mail_ok) {
			say(sv, "503 5.5.1 need MAIL");
			return 0;
		}
		if (!(sv->fstage == s && (sv->fault == F_4XX ||
		    sv->fault == F_5XX)))
			sv->accepted++;
		reply(sv, s, normal_reply(s));
		maybe_early_after(sv, s);
	} else if (strcmp(line, "DATA") == 0) {
		if (!sv->mail_ok || sv->accepted == 0) {
			say(sv, "503 5.5.1 No recipients");
			return 0;
		}
		reply(sv, S_DATA, normal_reply(S_DATA));
		if (!(sv->fstage == S_DATA && sv->fault != F_EARLY &&
		    sv->fault != F_CODEONLY)) {
			sv->in_body = 1;
			if (sv->fault == F_EARLY && (sv->fstage == S_DOT1 ||
			    sv->fstage == S_DOT2))
				dot_replies(sv);	/* before the dot */
		} else if (sv->fault == F_CODEONLY) {
			sv->in_body = 1;
		}
		if (sv->fstage == S_BODY && sv->in_body) {
			/* The fault comes while the body is on its way: the
			 * client cannot have finished, the body is larger
			 * than the socket buffers. */
			usleep(20000);
			if (sv->fault == F_EARLY)
				say(sv, "250 2.0.0 early");
			else
				reply(sv, S_BODY, "250 2.0.0 unasked");
		}
	} else if (strcmp(line, "RSET") == 0) {
		sv->mail_ok = 0;
		say(sv, "250 2.0.0 ok");
	} else if (strcmp(line, "*") == 0) {
		say(sv, "501 5.0.0 cancelled");
	} else if (strcmp(line, "QUIT") == 0) {
		reply(sv, S_QUIT, normal_reply(S_QUIT));
		return -1;
	}
	return 0;
}

/* Serve one connection until the client leaves or the deadline. */
static void
serve(struct server *sv, long long deadline)
{
	struct pollfd p = { .fd = sv->fd, .events = POLLIN };
	char *nl, line[70000];
	ssize_t n;
	int over = 0;

	reply(sv, S_GREETING, normal_reply(S_GREETING));
	maybe_early_after(sv, S_GREETING);
	while (now_ms() < deadline) {
		/* A stall in the body stops reading, as a stuck server does. */
		if (sv->stalled && sv->fstage == S_BODY) {
			usleep(20000);
			if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)))
				return;
			continue;
		}
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(sv->fd, sv->rbuf + sv->rlen, sizeof(sv->rbuf) - sv->rlen, 0);
		if (n <= 0)
			return;
		sv->rlen += (size_t)n;
		while (!over && (nl = memchr(sv->rbuf, '\n', sv->rlen)) != NULL) {
			size_t len = (size_t)(nl - sv->rbuf);

			memcpy(line, sv->rbuf, len);
			line[len > 0 && line[len - 1] == '\r' ? len - 1 : len] = '\0';
			memmove(sv->rbuf, nl + 1, sv->rlen - len - 1);
			sv->rlen -= len + 1;
			if (handle(sv, line) < 0)
				over = 1;
		}
		if (sv->rlen == sizeof(sv->rbuf)) {	/* a body line over 64 KiB */
			if (!sv->in_body) {
				sv->bad = 1;
				snprintf(sv->badline, sizeof(sv->badline),
				    "a command line over 64 KiB");
			}
			sv->rlen = 0;
		}
		if (over && !sv->dead)
			hangup(sv);
	}
}

static int
run_case(const char *prog, const char *dir, enum stage s, enum fault f,
    int pipelining, int verbose, char *why, size_t whycap)
{
	char sock[300], conf[300], msg[300], err[300], secret[300];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct server sv;
	int lfd, status, code, errfd;
	pid_t pid;
	long long deadline;
	FILE *cf;

	memset(&sv, 0, sizeof(sv));
	sv.pipelining = pipelining;
	sv.auth = s == S_AUTH;
	sv.fstage = s;
	sv.fault = f;
	sv.early_for = S_NSTAGES;
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	snprintf(conf, sizeof(conf), "%s/conf", dir);
	snprintf(msg, sizeof(msg), "%s/msg", dir);
	snprintf(err, sizeof(err), "%s/stderr", dir);
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	if ((cf = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(cf, "lhlo_name = client.test\nsyslog = no\ntimeout = 1\n"
	    "notice_senders = quota-warn@example.org\n"
	    "data_timeout = 1\n");
	if (sv.auth)
		fprintf(cf, "auth_user = cyrus\nauth_password_file = %s\n"
		    "auth_mechanisms = PLAIN\n", secret);
	fclose(cf);

	unlink(sock);
	if (strlen(sock) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, sock, strlen(sock) + 1);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(lfd, 4) < 0)
		return -1;

	pid = fork();
	if (pid == 0) {
		int in = open(msg, O_RDONLY);

		errfd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(in, 0);
		dup2(errfd, 2);
		close(lfd);
		execl(prog, "lmtp-iq", "-C", conf, "-s", sock, "-f",
		    "quota-warn@example.org", "--", "alice",
		    "bob", (char *)NULL);
		_exit(127);
	}
	deadline = now_ms() + CASE_LIMIT_MS;
	{
		struct pollfd p = { .fd = lfd, .events = POLLIN };

		if (poll(&p, 1, CASE_LIMIT_MS) > 0) {
			sv.fd = accept(lfd, NULL, NULL);
			serve(&sv, deadline);
			close(sv.fd);
		}
	}
	close(lfd);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(why, whycap, "lmtp-iq did not finish in %d s",
			    CASE_LIMIT_MS / 1000);
			return 1;
		}
		usleep(5000);
	}
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (code != expected(s, f))
		snprintf(why, whycap, "exit %d, the rules say %d", code,
		    expected(s, f));
	else if (sv.bad)
		snprintf(why, whycap, "malformed command on the wire: \"%s\"",
		    sv.badline);
	else if (sv.bodies > 1)
		snprintf(why, whycap, "%d bodies sent", sv.bodies);
	else if (s == S_BODY && sv.bodies > 0 && f != F_STALL && f != F_CLOSE)
		snprintf(why, whycap, "the final dot was sent after the server "
		    "spoke during the body");
	else
		return 0;
	if (verbose) {
		char line[600];
		FILE *ef = fopen(err, "r");

		while (ef && fgets(line, sizeof(line), ef))
			printf("#   %s", line);
		if (ef)
			fclose(ef);
	}
	return 1;
}

int
main(int argc, char **argv)
{
	char dir[300], path[400], why[300];
	int verbose = 0, every = 1, c, n = 0, ran = 0, failed = 0, pl;
	enum stage s;
	enum fault f;
	FILE *m;

	while ((c = getopt(argc, argv, "ve:")) != -1) {
		if (c == 'v')
			verbose = 1;
		else if (c == 'e' && atoi(optarg) > 0)
			every = atoi(optarg);
		else
			return 2;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: faultmatrix [-v] [-e N] LMTP_IQ TMPDIR\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "%s", argv[optind + 1]);
	snprintf(path, sizeof(path), "%s/msg", dir);
	if ((m = fopen(path, "w")) == NULL)
		return 2;
	fprintf(m, "Subject: notice\n\n");
	for (long i = 0; i < BODY_BYTES / 64; i++)
		fprintf(m, "%063ld\n", i);
	fclose(m);
	snprintf(path, sizeof(path), "%s/secret", dir);
	if ((m = fopen(path, "w")) == NULL)
		return 2;
	fprintf(m, "secret\n");
	fclose(m);
	chmod(path, 0600);

	for (pl = 1; pl >= 0; pl--)
		for (s = 0; s < S_NSTAGES; s++)
			for (f = 0; f < F_NFAULTS; f++) {
				if (s == S_GREETING && f == F_EARLY)
					continue;	/* nothing comes before it */
				if (n++ % every != 0)
					continue;
				ran++;
				why[0] = '\0';
				if (run_case(argv[optind], dir, s, f, pl, verbose,
				    why, sizeof(why)) == 0) {
					printf("ok %d - %s %s %s\n", n,
					    stage_name[s], fault_name[f],
					    pl ? "pipelined" : "one-by-one");
				} else {
					failed++;
					printf("not ok %d - %s %s %s: %s\n", n,
					    stage_name[s], fault_name[f],
					    pl ? "pipelined" : "one-by-one", why);
				}
				fflush(stdout);
			}
	printf("%d cases, %d failed\n", ran, failed);
	return failed ? 1 : 0;
}
