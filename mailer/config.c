/* SPDX-License-Identifier: ISC */
/*
 * config.c - "key = value" lines, '#' comments.  Every problem is
 * reported as file:line: reason, and the caller decides what it costs.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"
#include "file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const policy_names[] = { "require", "auto", "force", "off" };

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->server, sizeof(c->server), "%s", CONFIG_DEFAULT_SERVER);
	c->policy = IQ_REQUIRE;
	c->timeout = CONFIG_DEFAULT_TIMEOUT;
	c->data_timeout = CONFIG_DEFAULT_DATA_TIMEOUT;
	c->delivery_timeout = CONFIG_DEFAULT_DELIVERY_TIMEOUT;
	c->idle_timeout = CONFIG_DEFAULT_IDLE_TIMEOUT;
	c->syslog = 1;
	c->tls = CONFIG_TLS_AUTO;
	c->tls_verify = 1;
	snprintf(c->refusal_notice_template, sizeof(c->refusal_notice_template),
	    "%s", CONFIG_DEFAULT_REFUSAL_TEMPLATE);
	snprintf(c->refusal_notice_dir, sizeof(c->refusal_notice_dir), "%s",
	    CONFIG_DEFAULT_REFUSAL_DIR);
	c->refusal_notice_interval = CONFIG_DEFAULT_REFUSAL_INTERVAL;
}

int
config_policy(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++)
		if (strcmp(name, policy_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
config_policy_name(enum iq_policy p)
{
	return policy_names[p];
}

/* Whole seconds from 1 to max, else -1. */
static int
seconds(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < 1 || v > max)
		return -1;
	return (int)v;
}

int
config_timeout(const char *s)
{
	return seconds(s, CONFIG_TIMEOUT_MAX);
}

static int
has_space_or_control(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return 1;
	return 0;
}

/* Each setter returns NULL or what is wrong with the value. */
typedef const char *(*setter)(struct config *, const char *);

static const char *
copy(char *dst, size_t cap, const char *v)
{
	if (strlen(v) >= cap)
		return "value too long";
	memcpy(dst, v, strlen(v) + 1);
	return NULL;
}

/* A value that must be one word: a server, a host or a user name. */
static const char *
copy_word(char *dst, size_t cap, const char *v, const char *what)
{
	return has_space_or_control(v) ? what : copy(dst, cap, v);
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
		return "more than 16 servers";
	while ((rest = config_next_server(rest, spec, sizeof(spec))) != NULL)
		if ((bad = config_server_problem(spec)) != NULL)
			return bad;
	return copy(c->server, sizeof(c->server), v);
}

size_t
config_count_servers(const char *list)
{
	size_t n = 0;

	while (*(list += strspn(list, " \t")) != '\0') {
		n++;
		list += strcspn(list, " \t");
	}
	return n;
}

const char *
config_next_server(const char *list, char *buf, size_t cap)
{
	size_t n;

	list += strspn(list, " \t");
	if (*list == '\0')
		return NULL;
	n = strcspn(list, " \t");
	snprintf(buf, cap, "%.*s", (int)n, list);
	return list + n;
}

static const char *
set_policy(struct config *c, const char *v)
{
	int p = config_policy(v);

	if (p < 0)
		return "expected require, auto, force or off";
	c->policy = (enum iq_policy)p;
	return NULL;
}

static const char *
set_seconds(int *dst, const char *v)
{
	int t = config_timeout(v);

	if (t < 0)
		return "expected whole seconds from 1 to 86400";
	*dst = t;
	return NULL;
}

static const char *
set_timeout(struct config *c, const char *v)
{
	return set_seconds(&c->timeout, v);
}

static const char *
set_data_timeout(struct config *c, const char *v)
{
	return set_seconds(&c->data_timeout, v);
}

static const char *
set_delivery_timeout(struct config *c, const char *v)
{
	return set_seconds(&c->delivery_timeout, v);
}

static const char *
set_idle_timeout(struct config *c, const char *v)
{
	return set_seconds(&c->idle_timeout, v);
}

static const char *
set_lhlo(struct config *c, const char *v)
{
	return copy_word(c->lhlo_name, sizeof(c->lhlo_name), v,
	    "a host name has no spaces");
}

static const char *
set_bool(int *dst, const char *v)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
	    strcmp(v, "1") == 0)
		*dst = 1;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
	    strcmp(v, "0") == 0)
		*dst = 0;
	else
		return "expected yes or no";
	return NULL;
}

static const char *
set_syslog(struct config *c, const char *v)
{
	return set_bool(&c->syslog, v);
}

static const char *const tls_names[] = { "auto", "require", "off" };

const char *
config_tls_name(enum config_tls_policy p)
{
	return tls_names[p];
}

static const char *
set_tls(struct config *c, const char *v)
{
	size_t i;

	for (i = 0; i < sizeof(tls_names) / sizeof(tls_names[0]); i++)
		if (strcmp(v, tls_names[i]) == 0) {
			c->tls = (enum config_tls_policy)i;
			return NULL;
		}
	return "expected auto, require or off";
}

static const char *
set_path(char *dst, size_t cap, const char *v)
{
	if (v[0] != '/')
		return "expected an absolute path";
	return copy(dst, cap, v);
}

static const char *
set_tls_ca_file(struct config *c, const char *v)
{
	return set_path(c->tls_ca_file, sizeof(c->tls_ca_file), v);
}

static const char *
set_tls_ca_path(struct config *c, const char *v)
{
	return set_path(c->tls_ca_path, sizeof(c->tls_ca_path), v);
}

static const char *
set_tls_cert_file(struct config *c, const char *v)
{
	return set_path(c->tls_cert_file, sizeof(c->tls_cert_file), v);
}

static const char *
set_tls_key_file(struct config *c, const char *v)
{
	return set_path(c->tls_key_file, sizeof(c->tls_key_file), v);
}

static const char *
set_tls_verify(struct config *c, const char *v)
{
	return set_bool(&c->tls_verify, v);
}

static const char *
set_tls_server_name(struct config *c, const char *v)
{
	return copy_word(c->tls_server_name, sizeof(c->tls_server_name), v,
	    "a host name has no spaces");
}

static const char *
set_auth_plaintext(struct config *c, const char *v)
{
	return set_bool(&c->auth_plaintext, v);
}

static const char *
set_auth_user(struct config *c, const char *v)
{
	return copy_word(c->auth_user, sizeof(c->auth_user), v,
	    "a user name has no spaces");
}

static const char *
set_auth_authzid(struct config *c, const char *v)
{
	return copy_word(c->auth_authzid, sizeof(c->auth_authzid), v,
	    "a user name has no spaces");
}

static const char *
set_auth_password_file(struct config *c, const char *v)
{
	return set_path(c->auth_password_file, sizeof(c->auth_password_file),
	    v);
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
	const char *p = v;
	size_t len, i;

	while (*p) {
		len = strcspn(p, " ");
		for (i = 0; i < len && !(len == 2 && p[0] == '<' && p[1] == '>');
		    i++)
			if (iscntrl((unsigned char)p[i]) || p[i] == '<' ||
			    p[i] == '>')
				return "expected addresses separated by spaces, "
				    "<> for the null sender";
		p += len;
		p += strspn(p, " ");
	}
	c->notice_senders_set = 1;
	return copy(c->notice_senders, sizeof(c->notice_senders), v);
}

static const char *
set_refusal_notice(struct config *c, const char *v)
{
	return set_bool(&c->refusal_notice, v);
}

/* The notice's envelope sender and From: one address, as on argv. */
static const char *
set_refusal_notice_from(struct config *c, const char *v)
{
	if (strpbrk(v, "<>") != NULL)
		return "expected one address, without angle brackets (the "
		    "notice needs a sender a user can see)";
	return copy_word(c->refusal_notice_from, sizeof(c->refusal_notice_from),
	    v, "expected one address, without spaces or control characters");
}

static const char *
set_refusal_notice_template(struct config *c, const char *v)
{
	return set_path(c->refusal_notice_template,
	    sizeof(c->refusal_notice_template), v);
}

/* A domain name for the notice's To: and Message-ID:, as it is written:
 * letters, digits, hyphens, dots between labels. */
static const char *
set_refusal_notice_domain(struct config *c, const char *v)
{
	size_t i, n = strlen(v);

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '-' &&
		    !(v[i] == '.' && i > 0 && i + 1 < n && v[i + 1] != '.'))
			return "expected a domain name (letters, digits, "
			    "hyphens, dots between labels)";
	return copy(c->refusal_notice_domain, sizeof(c->refusal_notice_domain),
	    v);
}

static const char *
set_refusal_notice_dir(struct config *c, const char *v)
{
	return set_path(c->refusal_notice_dir, sizeof(c->refusal_notice_dir),
	    v);
}

static const char *
set_refusal_notice_interval(struct config *c, const char *v)
{
	int n = seconds(v, CONFIG_REFUSAL_INTERVAL_MAX);

	if (n < 0)
		return "expected whole seconds from 1 to 31536000";
	c->refusal_notice_interval = n;
	return NULL;
}

static const struct {
	const char *key;
	setter set;
} keys[] = {
	{ "server", set_server },
	{ "ignorequota", set_policy },
	{ "timeout", set_timeout },
	{ "data_timeout", set_data_timeout },
	{ "delivery_timeout", set_delivery_timeout },
	{ "idle_timeout", set_idle_timeout },
	{ "lhlo_name", set_lhlo },
	{ "syslog", set_syslog },
	{ "auth_user", set_auth_user },
	{ "auth_authzid", set_auth_authzid },
	{ "auth_password_file", set_auth_password_file },
	{ "auth_mechanisms", set_auth_mechanisms },
	{ "notice_senders", set_notice_senders },
	{ "auth_plaintext", set_auth_plaintext },
	{ "tls", set_tls },
	{ "tls_ca_file", set_tls_ca_file },
	{ "tls_ca_path", set_tls_ca_path },
	{ "tls_verify", set_tls_verify },
	{ "tls_server_name", set_tls_server_name },
	{ "tls_cert_file", set_tls_cert_file },
	{ "tls_key_file", set_tls_key_file },
	{ "refusal_notice", set_refusal_notice },
	{ "refusal_notice_from", set_refusal_notice_from },
	{ "refusal_notice_template", set_refusal_notice_template },
	{ "refusal_notice_dir", set_refusal_notice_dir },
	{ "refusal_notice_domain", set_refusal_notice_domain },
	{ "refusal_notice_interval", set_refusal_notice_interval },
};

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

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static size_t
key_index(const char *key)
{
	size_t i;

	for (i = 0; i < NKEYS && strcmp(keys[i].key, key) != 0; i++)
		;
	return i;
}

/* One line; NULL or the reason it is wrong.  seen[] marks the keys met
 * so far: a second one is a mistake, whichever was meant. */
static const char *
config_line(struct config *c, char *line, char *why, size_t cap,
    unsigned char seen[NKEYS])
{
	char *eq, *key, *val, *hash;
	size_t i;

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
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(key, keys[i].key) != 0)
			continue;
		if (seen[i]++) {
			snprintf(why, cap, "%s: set twice", key);
			return why;
		}
		if (*val == '\0') {
			snprintf(why, cap, "%s: empty value", key);
			return why;
		}
		const char *bad = keys[i].set(c, val);

		if (bad == NULL)
			return NULL;
		snprintf(why, cap, "%s: %s", key, bad);
		return why;
	}
	snprintf(why, cap, "unknown key '%.100s'", key);
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
	if (seen[key_index("timeout")] && !seen[key_index("data_timeout")])
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
