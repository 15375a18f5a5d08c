/* SPDX-License-Identifier: ISC */
/*
 * quotawarn.c - lmtp-iq-quota-warn: read Cyrus's quota report (quota
 * -J), and mail a warning from the notice sender to every user at or
 * past a threshold, to that user's address in the notice domain, where
 * the notice route stores it even in a full mailbox.  Once per user and
 * threshold within an interval (a state file per user); optionally a
 * notice when a user is back under, and a digest for the postmaster.
 * Silent when it works (cron); one line on stderr and in syslog for
 * each thing that did not, and a non-zero exit.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "config.h"
#include "file.h"
#include "quotajson.h"
#include "statename.h"
#include "words.h"

#ifndef VERSION
#define VERSION "unknown"
#endif

#define PROGNAME "lmtp-iq-quota-warn"
#define REPORT_MAX (256L << 20)	/* bytes of quota -J output */
#define DOMAINS_MAX 64
#define THRESHOLDS_MAX 16
#define ARGS_MAX 16
#define TEXT_MAX 16384

enum resource { RES_STORAGE, RES_MESSAGE, RES_N };
static const char *const res_name[RES_N] = { "STORAGE", "MESSAGE" };
static const char *const res_word[RES_N] = { "storage", "messages" };

struct threshold {
	enum resource res;
	int percent;		/* used >= percent of the limit, or */
	long long free;		/* at most this much left (-1: percent) */
	char text[32];		/* as given */
};

struct domain {
	const char *from;	/* "" for users without a domain */
	const char *to;		/* the notice domain */
};

struct opts {
	const char *config;
	int config_required;
	const char *sender;
	struct domain domains[DOMAINS_MAX];
	int ndomains;
	struct threshold thr[THRESHOLDS_MAX];
	int nthr;
	long long interval;
	int back;
	const char *digest_to;
	const char *statedir;
	const char *template;
	const char *quota_cmd;
	const char *sendmail_cmd;
	int dry;
};

struct user {
	char *name;		/* "alice", "bob@example.org" */
	long long used[RES_N], limit[RES_N];	/* limit -1: none */
	unsigned past;		/* the thresholds past (run_users) */
};

struct users {
	struct user *v;
	size_t n, cap;
	int bad;		/* an entry could not be kept */
};

static int failures;

static void
complain(const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fprintf(stderr, PROGNAME ": %s\n", text);
	syslog(LOG_ERR, "%s", text);
	failures++;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROGNAME " -d [domain=]notice-domain... [-w threshold]...\n"
	    "       [-f sender] [-C config] [-i seconds] [-b] [-p address]\n"
	    "       [-s statedir] [-t template] [-Q quota-command] "
	    "[-S sendmail-command] [-n]\n"
	    "  -d  users of domain (none: users without one) are warned at\n"
	    "      user@notice-domain; repeat for each domain\n"
	    "  -w  [storage:|message:]N%% (used), or N, Nk, NM, NG (left);\n"
	    "      repeat for several (default storage:90%%)\n"
	    "  -f  envelope sender (default: lmtp-iq.conf's first notice "
	    "sender)\n"
	    "  -i  no second warning for the same thresholds within this time "
	    "(86400)\n"
	    "  -b  a notice when a warned user is back under every threshold\n"
	    "  -p  a digest of who is past a threshold to this address, once "
	    "per -i\n"
	    "  -n  dry run: say what would be sent, send and record nothing\n");
}

/* "90%", "storage:90%", "message:100", "5M": one threshold. */
static int
parse_threshold(const char *s, struct threshold *t)
{
	const char *v = s;
	char *end;
	long long n, unit = 1;

	t->res = RES_STORAGE;
	if (strncasecmp(s, "storage:", 8) == 0) {
		v = s + 8;
	} else if (strncasecmp(s, "message:", 8) == 0) {
		t->res = RES_MESSAGE;
		v = s + 8;
	}
	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || n < 0)
		return -1;
	snprintf(t->text, sizeof(t->text), "%s", s);
	t->percent = -1;
	t->free = -1;
	if (strcmp(end, "%") == 0) {
		if (n < 1 || n > 1000)
			return -1;
		t->percent = (int)n;
		return 0;
	}
	if (t->res == RES_STORAGE) {
		if (strcmp(end, "k") == 0 || strcmp(end, "K") == 0)
			unit = 1024;
		else if (strcmp(end, "M") == 0)
			unit = 1024 * 1024;
		else if (strcmp(end, "G") == 0)
			unit = 1024LL * 1024 * 1024;
		else if (*end != '\0')
			return -1;
	} else if (*end != '\0') {
		return -1;
	}
	if (n > 0x7fffffffffffffffLL / unit)
		return -1;
	t->free = n * unit;
	return 0;
}

static int
parse_domain(char *s, struct domain *d)
{
	char *eq = strchr(s, '=');

	d->from = "";
	d->to = s;
	if (eq != NULL) {
		*eq = '\0';
		d->from = s;
		d->to = eq + 1;
		if (d->from[0] == '\0' || strchr(d->from, '@') != NULL)
			return -1;
	}
	if (d->to[0] == '\0' || strchr(d->to, '@') != NULL ||
	    address_problem(d->to) != NULL || (d->from[0] &&
	    address_problem(d->from) != NULL))
		return -1;
	return 0;
}

static int
parse_options(int argc, char **argv, struct opts *o)
{
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->config = CONFIG_DEFAULT_FILE;
	o->interval = 86400;
	o->statedir = CONFIG_DEFAULT_REFUSAL_DIR;
	o->quota_cmd = "/usr/lib/cyrus/bin/quota";
	o->sendmail_cmd = "/usr/sbin/sendmail";
	opterr = 0;
	while ((c = getopt(argc, argv, "+C:f:d:w:i:bp:s:t:Q:S:nhV")) != -1) {
		switch (c) {
		case 'C':
			o->config = optarg;
			o->config_required = 1;
			break;
		case 'f':
			if (address_problem(optarg) != NULL || !optarg[0])
				goto bad;
			o->sender = optarg;
			break;
		case 'd':
			if (o->ndomains == DOMAINS_MAX ||
			    parse_domain(optarg, &o->domains[o->ndomains]) < 0)
				goto bad;
			o->ndomains++;
			break;
		case 'w':
			if (o->nthr == THRESHOLDS_MAX ||
			    parse_threshold(optarg, &o->thr[o->nthr]) < 0)
				goto bad;
			o->nthr++;
			break;
		case 'i':
			errno = 0;
			o->interval = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    o->interval < 0)
				goto bad;
			break;
		case 'b': o->back = 1; break;
		case 'p':
			if (address_problem(optarg) != NULL || !optarg[0])
				goto bad;
			o->digest_to = optarg;
			break;
		case 's': o->statedir = optarg; break;
		case 't': o->template = optarg; break;
		case 'Q': o->quota_cmd = optarg; break;
		case 'S': o->sendmail_cmd = optarg; break;
		case 'n': o->dry = 1; break;
		case 'h': usage(stdout); exit(EX_OK);
		case 'V': printf(PROGNAME " %s\n", VERSION); exit(EX_OK);
		default:
			fprintf(stderr, PROGNAME ": unknown option or missing "
			    "value: -%c\n", optopt);
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc || o->ndomains == 0) {
		fprintf(stderr, PROGNAME ": %s\n", optind < argc ?
		    "no arguments after the options" :
		    "no notice domain: give -d notice-domain (and "
		    "-d domain=notice-domain for each virtual domain)");
		usage(stderr);
		return -1;
	}
	if (o->nthr == 0)
		parse_threshold("storage:90%", &o->thr[o->nthr++]);
	return 0;
bad:
	fprintf(stderr, PROGNAME ": -%c: not a valid value: %s\n", c, optarg);
	usage(stderr);
	return -1;
}

/* cmd split at spaces, then extra (NULL-terminated), into argv. */
static int
split_command(const char *cmd, char *buf, size_t cap, const char *const *extra,
    char **argv)
{
	char *p, *save = NULL;
	int n = 0;

	snprintf(buf, cap, "%s", cmd);
	for (p = strtok_r(buf, " ", &save); p != NULL && n < ARGS_MAX;
	    p = strtok_r(NULL, " ", &save))
		argv[n++] = p;
	for (; *extra != NULL && n < ARGS_MAX + 6; extra++)
		argv[n++] = (char *)*extra;
	argv[n] = NULL;
	return n > 0 && argv[0][0] == '/' ? 0 : -1;
}

/* Run argv with in (may be NULL) on its stdin; its stdout into *out
 * (malloc'd, *outlen) when out is not NULL.  The exit status, or -1. */
static int
run(char **argv, const char *in, size_t inlen, char **out, size_t *outlen,
    char *why, size_t cap)
{
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, st;
	size_t len = 0, bufcap = 0;
	char *buf = NULL;
	pid_t pid;
	ssize_t n;

	if (pipe(inp) < 0 || pipe(outp) < 0) {
		snprintf(why, cap, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		snprintf(why, cap, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(inp[0], 0);
		dup2(outp[1], 1);
		close(inp[0]); close(inp[1]); close(outp[0]); close(outp[1]);
		execv(argv[0], argv);
		fprintf(stderr, PROGNAME ": %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(inp[0]);
	close(outp[1]);
	/* Small inputs (a notice): written whole before reading. */
	while (in != NULL && inlen > 0 && (n = write(inp[1], in, inlen)) > 0) {
		in += n;
		inlen -= (size_t)n;
	}
	close(inp[1]);
	for (;;) {
		if (len + 65536 > bufcap && out != NULL) {
			char *nb;

			bufcap = bufcap ? bufcap * 2 : 65536;
			if (bufcap > (size_t)REPORT_MAX + 65536 ||
			    (nb = realloc(buf, bufcap)) == NULL) {
				snprintf(why, cap, "%s: its output is over %ld "
				    "MiB", argv[0], REPORT_MAX >> 20);
				free(buf);
				close(outp[0]);
				kill(pid, SIGTERM);
				waitpid(pid, &st, 0);
				return -1;
			}
			buf = nb;
		}
		if (out != NULL)
			n = read(outp[0], buf + len, bufcap - len);
		else {
			char sink[4096];

			n = read(outp[0], sink, sizeof(sink));
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out != NULL)
			len += (size_t)n;
	}
	close(outp[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (out != NULL) {
		*out = buf;
		*outlen = len;
	}
	if (WIFSIGNALED(st)) {
		snprintf(why, cap, "%s: killed by signal %d", argv[0],
		    WTERMSIG(st));
		return -1;
	}
	return WEXITSTATUS(st);
}

/* quota -J's entries, gathered per user root ("user/NAME"). */
static int
gather(const struct quota_entry *e, void *arg)
{
	struct users *u = arg;
	const char *name;
	enum resource r;
	size_t i;

	if (strncmp(e->root, "user/", 5) != 0 && strncmp(e->root, "user.", 5) != 0)
		return 0;	/* a shared folder's root */
	name = e->root + 5;
	/* A quota root on a user's subfolder is not the user's own. */
	if (strchr(name, e->root[4]) != NULL && (e->root[4] == '/' ||
	    strchr(name, '@') == NULL || strchr(name, e->root[4]) <
	    strchr(name, '@')))
		return 0;
	for (r = 0; r < RES_N; r++)
		if (strcmp(e->resource, res_name[r]) == 0)
			break;
	if (r == RES_N)
		return 0;
	if (u->n == 0 || strcmp(u->v[u->n - 1].name, name) != 0) {
		if (u->n == u->cap) {
			struct user *nv = realloc(u->v, (u->cap ? u->cap * 2 :
			    64) * sizeof(*nv));

			if (nv == NULL)
				return -1;
			u->v = nv;
			u->cap = u->cap ? u->cap * 2 : 64;
		}
		if ((u->v[u->n].name = strdup(name)) == NULL)
			return -1;
		u->v[u->n].past = 0;
		for (i = 0; i < RES_N; i++) {
			u->v[u->n].used[i] = 0;
			u->v[u->n].limit[i] = -1;
		}
		u->n++;
	}
	u->v[u->n - 1].used[r] = e->used;
	u->v[u->n - 1].limit[r] = e->limit;
	return 0;
}

static void
users_free(struct users *us)
{
	size_t i;

	for (i = 0; i < us->n; i++)
		free(us->v[i].name);
	free(us->v);
	us->v = NULL;
	us->n = us->cap = 0;
}

/* Which thresholds the user is past: a bit each. */
static unsigned
past(const struct opts *o, const struct user *u, int *worst)
{
	unsigned mask = 0;
	double most = -1;
	int i;

	*worst = -1;
	for (i = 0; i < o->nthr; i++) {
		const struct threshold *t = &o->thr[i];
		long long used = u->used[t->res], limit = u->limit[t->res];
		int hit;

		if (limit <= 0)
			continue;
		if (t->percent >= 0)
			hit = (double)used * 100 >= (double)t->percent * (double)limit;
		else
			hit = limit - used <= t->free;
		if (!hit)
			continue;
		mask |= 1u << i;
		if ((double)used / (double)limit > most) {
			most = (double)used / (double)limit;
			*worst = i;
		}
	}
	return mask;
}

/* The user's address in its notice domain, or -1 (said why). */
static int
notice_address(const struct opts *o, const char *name, char *to, size_t cap)
{
	const char *at = strchr(name, '@'), *dom = at ? at + 1 : "";
	size_t local = at ? (size_t)(at - name) : strlen(name);
	int i;

	for (i = 0; i < o->ndomains; i++)
		if (strcasecmp(o->domains[i].from, dom) == 0)
			break;
	if (i == o->ndomains) {
		complain("user %s: no notice domain for %s; give -d %s%s"
		    "notice-domain", name, dom[0] ? dom : "users without a "
		    "domain", dom, dom[0] ? "=" : "");
		return -1;
	}
	if ((size_t)snprintf(to, cap, "%.*s@%s", (int)local, name,
	    o->domains[i].to) >= cap || address_problem(to) != NULL ||
	    strchr(to, '"') != NULL) {
		complain("user %s: no address can be made of the name", name);
		return -1;
	}
	return 0;
}

static void
amount(enum resource r, long long n, char *out, size_t cap)
{
	if (r == RES_STORAGE)
		snprintf(out, cap, "%lld KiB", (n + 1023) / 1024);
	else
		snprintf(out, cap, "%lld message%s", n, n == 1 ? "" : "s");
}

static const char default_warning[] =
    "Subject: Your mailbox is %{percent}% full\n"
    "\n"
    "Hello,\n"
    "\n"
    "your mailbox (%{user}) uses %{used} of its %{limit} quota for\n"
    "%{resource} (%{percent}%); %{free} left. Once it is full, new mail\n"
    "waits on the mail server and is returned to its senders after a few\n"
    "days. Please delete or archive some messages (and empty the Trash).\n";

static const char back_notice[] =
    "Subject: Your mailbox has room again\n"
    "\n"
    "Hello,\n"
    "\n"
    "your mailbox (%{user}) is below its quota warnings again: %{used}\n"
    "of %{limit} for %{resource} (%{percent}%).\n";

/* The template with the user's figures in; -1 for an unknown
 * placeholder (named in why). */
static int
fill(const char *t, const struct user *u, int res, char *out, size_t cap,
    char *why, size_t whycap)
{
	char used[32], limit[32], freeleft[32], pct[16];
	const char *names[] = { "user", "used", "limit", "free", "percent",
		"resource" };
	const char *vals[6];
	size_t o = 0, i, n;

	amount((enum resource)res, u->used[res], used, sizeof(used));
	amount((enum resource)res, u->limit[res], limit, sizeof(limit));
	amount((enum resource)res, u->limit[res] > u->used[res] ?
	    u->limit[res] - u->used[res] : 0, freeleft, sizeof(freeleft));
	snprintf(pct, sizeof(pct), "%lld", u->limit[res] > 0 ?
	    u->used[res] * 100 / u->limit[res] : 0);
	vals[0] = u->name; vals[1] = used; vals[2] = limit;
	vals[3] = freeleft; vals[4] = pct; vals[5] = res_word[res];
	while (*t && o + 1 < cap) {
		const char *close;

		if (t[0] != '%' || t[1] != '{' ||
		    (close = strchr(t, '}')) == NULL) {
			out[o++] = *t++;
			continue;
		}
		n = (size_t)(close - t - 2);
		for (i = 0; i < 6; i++)
			if (strlen(names[i]) == n && strncmp(t + 2, names[i], n) == 0)
				break;
		if (i == 6) {
			snprintf(why, whycap, "an unknown placeholder %.*s "
			    "(known: %%{user}, %%{used}, %%{limit}, %%{free}, "
			    "%%{percent}, %%{resource})", (int)(n + 3), t);
			return -1;
		}
		o += (size_t)snprintf(out + o, cap - o, "%s", vals[i]);
		if (o >= cap)
			o = cap - 1;
		t = close + 1;
	}
	out[o] = '\0';
	return 0;
}

/* One message through the MTA: headers From/To/Auto-Submitted, then
 * the filled-in text (its own header lines, an empty line, the body).
 * 0 when the MTA took it. */
static int
send_mail(const struct opts *o, const char *sender, const char *to,
    const char *text)
{
	static char msg[TEXT_MAX + 512];
	char buf[1024], why[256], *argv[ARGS_MAX + 8];
	const char *extra[] = { "-oi", "-f", sender, "--", to, NULL };
	int n, rc;

	n = snprintf(msg, sizeof(msg), "From: %s\nTo: %s\n"
	    "Auto-Submitted: auto-generated\n%s", sender, to, text);
	if (n < 0 || (size_t)n >= sizeof(msg)) {
		complain("to=<%s>: the notice is too long", to);
		return -1;
	}
	if (split_command(o->sendmail_cmd, buf, sizeof(buf), extra, argv) < 0) {
		complain("-S %s: not a command with an absolute path",
		    o->sendmail_cmd);
		return -1;
	}
	why[0] = '\0';
	rc = run(argv, msg, (size_t)n, NULL, NULL, why, sizeof(why));
	if (rc != 0) {
		complain("to=<%s>: %s did not take the notice: %s", to, argv[0],
		    rc < 0 ? why : "it exited non-zero");
		return -1;
	}
	return 0;
}

/* The last warning to this user: when, and the thresholds it was for.
 * 0 when there was none. */
static int
state_read(int dirfd, const char *name, long long *when, unsigned *mask)
{
	char buf[64];
	ssize_t n;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	*when = 0;
	*mask = 0;
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return sscanf(buf, "%lld %u", when, mask) == 2;
}

static int
state_write(int dirfd, const char *name, long long when, unsigned mask)
{
	char tmp[STATENAME_MAX + 8], buf[64];
	int fd, n;

	snprintf(tmp, sizeof(tmp), ".%s", name);
	n = snprintf(buf, sizeof(buf), "%lld %u\n", when, mask);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, buf, (size_t)n) != n || close(fd) < 0 ||
	    renameat(dirfd, tmp, dirfd, name) < 0) {
		complain("state %s: %s; the next run may warn again", name,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* A line of the digest for u: each resource with a limit. */
static size_t
digest_line(const struct user *u, char *out, size_t cap)
{
	char used[32], limit[32];
	size_t len = 0;
	int r;

	for (r = 0; r < RES_N; r++) {
		if (u->limit[r] <= 0)
			continue;
		amount((enum resource)r, u->used[r], used, sizeof(used));
		amount((enum resource)r, u->limit[r], limit, sizeof(limit));
		len += (size_t)snprintf(out + len, cap > len ? cap - len : 0,
		    "%s%s of %s (%lld%%)", len ? ", " : "  ", used, limit,
		    u->used[r] * 100 / u->limit[r]);
	}
	return len;
}

static int
run_users(const struct opts *o, const char *sender, struct users *us,
    int dirfd)
{
	static char text[TEXT_MAX], tmpl[TEXT_MAX];
	char to[512], name[STATENAME_MAX], why[256];
	size_t i;
	long long now = (long long)time(NULL), when;
	unsigned mask, last;
	int worst, ndigest = 0, r;

	tmpl[0] = '\0';
	if (o->template != NULL) {
		char err[CONFIG_ERR_MAX];
		int fd = file_open(o->template, "-t", FILE_PLAIN, err, sizeof(err));
		ssize_t n;

		if (fd < 0 || (n = read(fd, tmpl, sizeof(tmpl) - 1)) < 0) {
			complain("template: %s", fd < 0 ? err : strerror(errno));
			return -1;
		}
		close(fd);
		tmpl[n] = '\0';
	} else {
		snprintf(tmpl, sizeof(tmpl), "%s", default_warning);
	}
	for (i = 0; i < us->n; i++) {
		struct user *u = &us->v[i];

		mask = u->past = past(o, u, &worst);
		statename("w.", "hw.", u->name, name, sizeof(name));
		state_read(dirfd, name, &when, &last);
		if (mask != 0) {
			ndigest++;
			r = (int)o->thr[worst].res;
			if ((mask & ~last) == 0 && now - when < o->interval)
				continue;
			if (notice_address(o, u->name, to, sizeof(to)) < 0)
				continue;
			if (fill(tmpl, u, r, text, sizeof(text), why,
			    sizeof(why)) < 0) {
				complain("template: %s", why);
				return -1;
			}
			if (o->dry) {
				printf("would send to %s: %s past %s\n", to,
				    u->name, o->thr[worst].text);
				continue;
			}
			if (send_mail(o, sender, to, text) == 0) {
				syslog(LOG_INFO, "to=<%s>, user=%s, past=%s, "
				    "stat=Sent", to, u->name, o->thr[worst].text);
				state_write(dirfd, name, now, mask);
			}
		} else if (last != 0 || when != 0) {
			if (o->back) {
				if (notice_address(o, u->name, to, sizeof(to)) < 0)
					continue;
				for (r = 0; r < RES_N && u->limit[r] <= 0; r++)
					;
				if (r == RES_N)
					r = RES_STORAGE;
				fill(back_notice, u, r, text, sizeof(text), why,
				    sizeof(why));
				if (o->dry) {
					printf("would send to %s: %s back under\n",
					    to, u->name);
					continue;
				}
				if (send_mail(o, sender, to, text) < 0)
					continue;
				syslog(LOG_INFO, "to=<%s>, user=%s, back under, "
				    "stat=Sent", to, u->name);
			}
			if (!o->dry && unlinkat(dirfd, name, 0) < 0 &&
			    errno != ENOENT)
				complain("state %s: %s", name, strerror(errno));
		}
	}
	return ndigest;
}

/* The postmaster's digest of the nd users past a threshold, at most
 * once per interval. */
static void
send_digest(const struct opts *o, const char *sender, const struct users *us,
    int nd, int dirfd)
{
	static char digest[TEXT_MAX];
	long long when, now = (long long)time(NULL);
	unsigned m;
	size_t dl, i;

	if (o->dry) {
		printf("would send the digest to %s: %d mailbox%s\n",
		    o->digest_to, nd, nd == 1 ? "" : "es");
		return;
	}
	state_read(dirfd, "digest", &when, &m);
	if (now - when < o->interval)
		return;
	dl = (size_t)snprintf(digest, sizeof(digest), "Subject: Quota "
	    "digest: %d mailbox%s past a warning threshold\n\n", nd,
	    nd == 1 ? "" : "es");
	for (i = 0; i < us->n && dl < sizeof(digest) - 256; i++) {
		if (us->v[i].past == 0)
			continue;
		dl += (size_t)snprintf(digest + dl, sizeof(digest) - dl,
		    "%s\n", us->v[i].name);
		dl += digest_line(&us->v[i], digest + dl, sizeof(digest) - dl);
		dl += (size_t)snprintf(digest + dl, sizeof(digest) - dl, "\n");
	}
	if (send_mail(o, sender, o->digest_to, digest) == 0) {
		syslog(LOG_INFO, "to=<%s>, digest of %d, stat=Sent",
		    o->digest_to, nd);
		state_write(dirfd, "digest", now, 1);
	}
}

int
main(int argc, char **argv)
{
	static char err[CONFIG_ERR_MAX], why[CONFIG_ERR_MAX], cmdbuf[1024];
	const char *extra[] = { "-J", NULL };
	char *qargv[ARGS_MAX + 8], *report = NULL;
	struct users us = { 0 };
	struct config cfg;
	struct opts o;
	size_t len = 0;
	int rc, dirfd = -1, nd;
	char sender[CONFIG_VALUE_MAX];

	openlog(PROGNAME, LOG_PID, LOG_MAIL);
	if (parse_options(argc, argv, &o) < 0)
		return EX_USAGE;
	config_defaults(&cfg);
	if (config_load(&cfg, o.config, o.config_required, err,
	    sizeof(err)) < 0) {
		complain("config: %s", err);
		return EX_CONFIG;
	}
	/* The sender: -f, else the first notice sender lmtp-iq knows. */
	if (o.sender != NULL) {
		snprintf(sender, sizeof(sender), "%s", o.sender);
	} else {
		const char *p = cfg.notice_senders, *w;
		size_t n;

		sender[0] = '\0';
		while ((p = words_next(p, &w, &n)) != NULL)
			if (strncmp(w, "<>", n) != 0 && n < sizeof(sender)) {
				snprintf(sender, sizeof(sender), "%.*s", (int)n, w);
				break;
			}
		if (sender[0] == '\0') {
			complain("config: %s names no notice sender "
			    "(notice_senders), and -f is not given: a warning "
			    "from any other sender would not pass a full "
			    "mailbox's quota", o.config);
			return EX_CONFIG;
		}
	}
	if (!o.dry) {
		if ((dirfd = file_open(o.statedir, "-s", FILE_DIR, err,
		    sizeof(err))) < 0) {
			complain("state directory: %s", err);
			return EX_CANTCREAT;
		}
	}
	if (split_command(o.quota_cmd, cmdbuf, sizeof(cmdbuf), extra, qargv) < 0) {
		complain("-Q %s: not a command with an absolute path", o.quota_cmd);
		if (dirfd >= 0)
			close(dirfd);
		return EX_USAGE;
	}
	why[0] = '\0';
	rc = run(qargv, NULL, 0, &report, &len, why, sizeof(why));
	if (rc != 0) {
		complain("the quota report (%s -J): %s", qargv[0], rc < 0 ? why :
		    "it exited non-zero; Cyrus 3.6 or later is needed for -J");
		free(report);
		if (dirfd >= 0)
			close(dirfd);
		return EX_UNAVAILABLE;
	}
	if (quotajson_walk(report, len, gather, &us, why, sizeof(why)) != 0) {
		complain("%s", why[0] ? why : "out of memory reading the report");
		free(report);
		users_free(&us);
		if (dirfd >= 0)
			close(dirfd);
		return EX_DATAERR;
	}
	free(report);
	nd = run_users(&o, sender, &us, dirfd);
	if (nd > 0 && o.digest_to != NULL)
		send_digest(&o, sender, &us, nd, dirfd);
	users_free(&us);
	if (dirfd >= 0)
		close(dirfd);
	return failures ? 1 : EX_OK;
}
