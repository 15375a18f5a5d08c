/* SPDX-License-Identifier: ISC */
/*
 * config.c - "key = value" lines, '#' comments.  Every problem is
 * reported as file:line: reason, and the caller decides what it costs.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "words.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static const char *const policy_names[] = { "require", "auto", "force",
	"off", NULL };
static const char *const tls_names[] = { "auto", "require", "off", NULL };

const char *
config_policy_name(enum iq_policy p)
{
	return policy_names[p];
}

const char *
config_tls_name(enum config_tls_policy p)
{
	return tls_names[p];
}

/* Whole seconds from min to max, else -1. */
static int
seconds(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < min || v > max)
		return -1;
	return (int)v;
}

static int
has_space_or_control(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return 1;
	return 0;
}

static const char *
copy(char *dst, size_t cap, const char *v)
{
	if (strlen(v) >= cap)
		return "value too long";
	memcpy(dst, v, strlen(v) + 1);
	return NULL;
}

const char *
config_server_problem(const char *spec)
{
	const unsigned char *p;

	if (*spec == '\0')
		return "an empty server";
	for (p = (const unsigned char *)spec; *p; p++) {
		if (*p == ' ' || *p == '\t')
			return "a space or tab inside one server";
		if (iscntrl(*p))
			return "a control character in a server";
	}
	return strlen(spec) >= CONFIG_VALUE_MAX ? "server too long" : NULL;
}

size_t
config_count_servers(const char *list)
{
	const char *w;
	size_t n = 0, len;

	while ((list = words_next(list, &w, &len)) != NULL)
		n++;
	return n;
}

const char *
config_next_server(const char *list, char *buf, size_t cap)
{
	const char *w;
	size_t n;

	if ((list = words_next(list, &w, &n)) != NULL)
		snprintf(buf, cap, "%.*s", (int)n, w);
	return list;
}

/* The four keys whose values have rules of their own.  Each returns
 * NULL or what is wrong with the value. */
typedef const char *(*setter)(struct config *, const char *);

static const char *
set_server(struct config *c, const char *v)
{
	const unsigned char *p;
	char spec[CONFIG_VALUE_MAX];
	const char *rest = v, *bad;

	/* Servers in order, separated by spaces (config_next_server); each
	 * one as -s checks it. */
	for (p = (const unsigned char *)v; *p; p++)
		if (iscntrl(*p))
			return "a control character in the server list";
	if (config_count_servers(v) > CONFIG_SERVERS_MAX)
		return "more than " CONFIG_SERVERS_MAX_TEXT " servers";
	while ((rest = config_next_server(rest, spec, sizeof(spec))) != NULL)
		if ((bad = config_server_problem(spec)) != NULL)
			return bad;
	return copy(c->server, sizeof(c->server), v);
}

static const char *
set_auth_mechanisms(struct config *c, const char *v)
{
	const char *p;

	for (p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != ' ')
			return "expected SASL mechanism names separated by spaces";
	return copy(c->auth_mechanisms, sizeof(c->auth_mechanisms), v);
}

/* Addresses as Sendmail passes them in $g, and "<>" for the null
 * sender, separated by spaces.  No word holds a control byte or an angle
 * bracket, as on argv. */
static const char *
set_notice_senders(struct config *c, const char *v)
{
	const char *p = v, *w;
	size_t len, i;

	while ((p = words_next(p, &w, &len)) != NULL)
		for (i = 0; i < len && !(len == 2 && w[0] == '<' && w[1] == '>');
		    i++)
			if (iscntrl((unsigned char)w[i]) || w[i] == '<' ||
			    w[i] == '>')
				return "expected addresses separated by spaces, "
				    "<> for the null sender";
	c->notice_senders_set = 1;
	return copy(c->notice_senders, sizeof(c->notice_senders), v);
}

/* The notice's envelope sender and From: one address, as on argv. */
static const char *
set_refusal_notice_from(struct config *c, const char *v)
{
	if (strpbrk(v, "<>") != NULL)
		return "expected one address, without angle brackets (the "
		    "notice needs a sender a user can see)";
	if (has_space_or_control(v))
		return "expected one address, without spaces or control "
		    "characters";
	return copy(c->refusal_notice_from, sizeof(c->refusal_notice_from), v);
}

/* What a key's value is, and so how it is read, checked and described. */
enum kind {
	K_SECONDS,		/* int: whole seconds from min to max */
	K_BOOL,			/* int: yes/true/1 or no/false/0 */
	K_CHOICE,		/* int (an enum): the index of one of names */
	K_PATH,			/* char[]: an absolute path */
	K_WORD,			/* char[]: no space or control byte (word:
				 * what the value is, for the error) */
	K_DOMAIN,		/* char[]: letters, digits, hyphens, dots
				 * between labels */
	K_CUSTOM,		/* set */
};

/* One row per key (Postfix's mail_params tables): its field, its
 * default as the file would spell it (NULL: empty, or 0), and what
 * its kind needs. */
struct key {
	const char *name;
	enum kind kind;
	size_t off, size;	/* the field in struct config */
	const char *def;
	long min, max;		/* K_SECONDS */
	const char *const *names;	/* K_CHOICE */
	const char *word;	/* K_WORD */
	setter set;		/* K_CUSTOM */
};

#define FIELD(f) .off = offsetof(struct config, f), \
	.size = sizeof(((struct config *)0)->f)
#define SECONDS(key, f, d, most) { .name = key, .kind = K_SECONDS, FIELD(f), \
	.def = STR(d), .min = 1, .max = most }
#define BOOL(key, f, d) { .name = key, .kind = K_BOOL, FIELD(f), .def = d }
#define CHOICE(key, f, d, list) { .name = key, .kind = K_CHOICE, FIELD(f), \
	.def = d, .names = list }
#define PATH(key, f, d) { .name = key, .kind = K_PATH, FIELD(f), .def = d }
#define WORD(key, f, what) { .name = key, .kind = K_WORD, FIELD(f), \
	.word = what }
#define DOMAIN(key, f) { .name = key, .kind = K_DOMAIN, FIELD(f) }
#define CUSTOM(key, f, d, fn) { .name = key, .kind = K_CUSTOM, FIELD(f), \
	.def = d, .set = fn }
#define HOST_NAME "a host name has no spaces"
#define USER_NAME "a user name has no spaces"

static const struct key keys[] = {
	CUSTOM("server", server, CONFIG_DEFAULT_SERVER, set_server),
	CHOICE("ignorequota", policy, "require", policy_names),
	SECONDS("timeout", timeout, CONFIG_DEFAULT_TIMEOUT, CONFIG_TIMEOUT_MAX),
	SECONDS("data_timeout", data_timeout, CONFIG_DEFAULT_DATA_TIMEOUT,
	    CONFIG_TIMEOUT_MAX),
	SECONDS("delivery_timeout", delivery_timeout,
	    CONFIG_DEFAULT_DELIVERY_TIMEOUT, CONFIG_TIMEOUT_MAX),
	SECONDS("idle_timeout", idle_timeout, CONFIG_DEFAULT_IDLE_TIMEOUT,
	    CONFIG_TIMEOUT_MAX),
	WORD("lhlo_name", lhlo_name, HOST_NAME),
	BOOL("syslog", syslog, "yes"),
	WORD("auth_user", auth_user, USER_NAME),
	WORD("auth_authzid", auth_authzid, USER_NAME),
	PATH("auth_password_file", auth_password_file, NULL),
	CUSTOM("auth_mechanisms", auth_mechanisms, NULL, set_auth_mechanisms),
	CUSTOM("notice_senders", notice_senders, NULL, set_notice_senders),
	BOOL("auth_plaintext", auth_plaintext, "no"),
	CHOICE("tls", tls, "auto", tls_names),
	PATH("tls_ca_file", tls_ca_file, NULL),
	PATH("tls_ca_path", tls_ca_path, NULL),
	BOOL("tls_verify", tls_verify, "yes"),
	WORD("tls_server_name", tls_server_name, HOST_NAME),
	PATH("tls_cert_file", tls_cert_file, NULL),
	PATH("tls_key_file", tls_key_file, NULL),
	BOOL("refusal_notice", refusal_notice, "no"),
	CUSTOM("refusal_notice_from", refusal_notice_from, NULL,
	    set_refusal_notice_from),
	PATH("refusal_notice_template", refusal_notice_template,
	    CONFIG_DEFAULT_REFUSAL_TEMPLATE),
	PATH("refusal_notice_dir", refusal_notice_dir,
	    CONFIG_DEFAULT_REFUSAL_DIR),
	DOMAIN("refusal_notice_domain", refusal_notice_domain),
	SECONDS("refusal_notice_interval", refusal_notice_interval,
	    CONFIG_DEFAULT_REFUSAL_INTERVAL, CONFIG_REFUSAL_INTERVAL_MAX),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct key *
key_named(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* What a value of k must be, in words: "whole seconds from 1 to 86400",
 * "require, auto, force or off". */
static void
expected(const struct key *k, char *buf, size_t cap)
{
	size_t i, n;

	switch (k->kind) {
	case K_SECONDS:
		snprintf(buf, cap, "whole seconds from %ld to %ld", k->min,
		    k->max);
		return;
	case K_BOOL:
		snprintf(buf, cap, "yes or no");
		return;
	case K_CHOICE:
		for (n = 0; k->names[n] != NULL; n++)
			;
		buf[0] = '\0';
		for (i = 0; i < n; i++)
			snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s",
			    i == 0 ? "" : i + 1 == n ? " or " : ", ",
			    k->names[i]);
		return;
	case K_PATH:
		snprintf(buf, cap, "an absolute path");
		return;
	case K_DOMAIN:
		snprintf(buf, cap, "a domain name (letters, digits, hyphens, "
		    "dots between labels)");
		return;
	case K_WORD:
	case K_CUSTOM:
		snprintf(buf, cap, "%s", k->word != NULL ? k->word : "a value");
		return;
	}
}

void
config_expected(const char *name, char *buf, size_t cap)
{
	const struct key *k = key_named(name);

	if (k == NULL)
		snprintf(buf, cap, "a value");
	else
		expected(k, buf, cap);
}

static int
is_domain(const char *v)
{
	size_t i, n = strlen(v);

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '-' &&
		    !(v[i] == '.' && i > 0 && i + 1 < n && v[i + 1] != '.'))
			return 0;
	return 1;
}

/* Whether v is one of names; its index in *i. */
static int
choice(const char *const *names, const char *v, int *i)
{
	for (*i = 0; names[*i] != NULL; (*i)++)
		if (strcmp(v, names[*i]) == 0)
			return 1;
	return 0;
}

/* v into k's field of c.  NULL, or what is wrong (why, or a constant). */
static const char *
set(struct config *c, const struct key *k, const char *v, char *why,
    size_t cap)
{
	char *field = (char *)c + k->off;
	int n = 0, ok = 0;

	switch (k->kind) {
	case K_SECONDS:
		ok = (n = seconds(v, k->min, k->max)) >= 0;
		break;
	case K_BOOL:
		ok = 1;
		if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
		    strcmp(v, "1") == 0)
			n = 1;
		else if (strcasecmp(v, "no") == 0 ||
		    strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
			n = 0;
		else
			ok = 0;
		break;
	case K_CHOICE:
		ok = choice(k->names, v, &n);
		break;
	case K_PATH:
		if (v[0] != '/')
			break;
		return copy(field, k->size, v);
	case K_WORD:
		return has_space_or_control(v) ? k->word :
		    copy(field, k->size, v);
	case K_DOMAIN:
		if (!is_domain(v))
			break;
		return copy(field, k->size, v);
	case K_CUSTOM:
		return k->set(c, v);
	}
	/* The int kinds: an enum field is an int too (config.h). */
	if (ok) {
		memcpy(field, &n, sizeof(n));
		return NULL;
	}
	snprintf(why, cap, "expected ");
	expected(k, why + strlen(why), cap - strlen(why));
	return why;
}

int
config_set(struct config *c, const char *key, const char *value)
{
	const struct key *k = key_named(key);
	char why[160];

	return k != NULL && set(c, k, value, why, sizeof(why)) == NULL ? 0 : -1;
}

const char *
config_key(size_t i, const char **def)
{
	if (i >= NKEYS)
		return NULL;
	*def = keys[i].def;
	return keys[i].name;
}

void
config_defaults(struct config *c)
{
	char why[128];
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NKEYS; i++)
		if (keys[i].def != NULL)
			(void)set(c, &keys[i], keys[i].def, why, sizeof(why));
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* One line; NULL or the reason it is wrong.  seen[] marks the keys met
 * so far: a second one is a mistake, whichever was meant. */
static const char *
config_line(struct config *c, char *line, char *why, size_t cap,
    unsigned char seen[NKEYS])
{
	char *eq, *key, *val, *hash, text[160];
	const struct key *k;
	const char *bad;

	/* A '#' starts a comment at the start of a line or after a blank. */
	for (hash = line; (hash = strchr(hash, '#')) != NULL; hash++)
		if (hash == line || isspace((unsigned char)hash[-1])) {
			*hash = '\0';
			break;
		}
	key = trim(line);
	if (*key == '\0')
		return NULL;
	eq = strchr(key, '=');
	if (eq == NULL)
		return "expected key = value";
	*eq = '\0';
	key = trim(key);
	val = trim(eq + 1);
	if ((k = key_named(key)) == NULL) {
		snprintf(why, cap, "unknown key '%.100s'", key);
		return why;
	}
	if (seen[k - keys]++) {
		snprintf(why, cap, "%s: set twice", key);
		return why;
	}
	if (*val == '\0') {
		snprintf(why, cap, "%s: empty value", key);
		return why;
	}
	if ((bad = set(c, k, val, text, sizeof(text))) == NULL)
		return NULL;
	snprintf(why, cap, "%s: %s", key, bad);
	return why;
}

/* The config decides where the mail and the secret go: opened as every
 * named file is (file.c), not a FIFO, nobody else's to change. */
static FILE *
open_config(const char *path, char *err, size_t errcap, int *missing)
{
	FILE *f;
	int fd;

	fd = file_open(path, "", FILE_PLAIN, err, errcap);
	*missing = fd < 0 && errno == ENOENT;
	if (fd < 0)
		return NULL;
	if ((f = fdopen(fd, "r")) == NULL) {
		snprintf(err, errcap, "%s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

int
config_load(struct config *c, const char *path, int required, char *err,
    size_t errcap)
{
	unsigned char seen[NKEYS] = { 0 };
	char *line = NULL, why[300];
	const char *bad;
	size_t linecap = 0;
	ssize_t len;
	FILE *f;
	int lineno = 0, rc = 0, missing;

	f = open_config(path, err, errcap, &missing);
	if (f == NULL)
		return missing && !required ? 0 : -1;
	while ((len = getline(&line, &linecap, f)) >= 0) {
		lineno++;
		if (len > CONFIG_LINE_MAX + 1 || (len == CONFIG_LINE_MAX + 1 &&
		    line[len - 1] != '\n')) {
			snprintf(err, errcap, "%s:%d: line longer than %d bytes",
			    path, lineno, CONFIG_LINE_MAX);
			rc = -1;
			break;
		}
		if (memchr(line, '\0', (size_t)len) != NULL) {
			snprintf(err, errcap, "%s:%d: NUL byte in line", path,
			    lineno);
			rc = -1;
			break;
		}
		bad = config_line(c, line, why, sizeof(why), seen);
		if (bad != NULL) {
			snprintf(err, errcap, "%s:%d: %s", path, lineno, bad);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errcap, "%s: read error", path);
		rc = -1;
	}
	/* timeout covers the replies after the dot too, unless data_timeout
	 * says otherwise, wherever it stands. */
	if (seen[key_named("timeout") - keys] &&
	    !seen[key_named("data_timeout") - keys])
		c->data_timeout = c->timeout;
	if (rc == 0 && c->refusal_notice && !c->refusal_notice_from[0]) {
		snprintf(err, errcap, "%s: refusal_notice = yes needs "
		    "refusal_notice_from (the notice's sender)", path);
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}
