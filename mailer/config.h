/* SPDX-License-Identifier: ISC */
/*
 * config.h - settings from /etc/mail/lmtp-iq.conf and the command line,
 * merged into one struct.  The rest of the program reads only this.
 */
#ifndef LMTPIQ_CONFIG_H
#define LMTPIQ_CONFIG_H

#include <stddef.h>

#define CONFIG_DEFAULT_FILE "/etc/mail/lmtp-iq.conf"
#define CONFIG_DEFAULT_SERVER "/run/cyrus/socket/lmtp"
#define CONFIG_DEFAULT_TIMEOUT 300	/* seconds, each reply */
/* Cyrus runs Sieve and writes every copy before it answers the dot;
 * Sendmail itself waits an hour there (Timeout.datafinal). */
#define CONFIG_DEFAULT_DATA_TIMEOUT 600
/* The whole delivery, however it trickles: a program mailer has no time
 * limit in Sendmail, and the queue entry stays locked while it runs. */
#define CONFIG_DEFAULT_DELIVERY_TIMEOUT 3600
/* LMTP mode: how long Sendmail may leave us waiting for its next command,
 * as its own SMTP server waits (Timeout.command). */
#define CONFIG_DEFAULT_IDLE_TIMEOUT 3600
#define CONFIG_TIMEOUT_MAX 86400
/* Refusal notices (refusal.c): the sample template (make install puts
 * it here with the default PREFIX), the state directory, at most one
 * notice a day per user. */
#define CONFIG_DEFAULT_REFUSAL_TEMPLATE "/usr/share/lmtp-iq/refusal-notice"
#define CONFIG_DEFAULT_REFUSAL_DIR "/var/lib/lmtp-iq"
#define CONFIG_DEFAULT_REFUSAL_INTERVAL 86400
#define CONFIG_REFUSAL_INTERVAL_MAX 31536000
#define CONFIG_LINE_MAX 1024
#define CONFIG_VALUE_MAX 512
#define CONFIG_ERR_MAX 1200

enum iq_policy { IQ_REQUIRE, IQ_AUTO, IQ_FORCE, IQ_OFF };

/* STARTTLS over TCP: when offered, always, never (in config order). */
enum config_tls_policy { CONFIG_TLS_AUTO, CONFIG_TLS_REQUIRE, CONFIG_TLS_OFF };

/* Every field is set through config.c's table of keys; its int and enum
 * fields are read and written as int. */
struct config {
	char server[CONFIG_VALUE_MAX];	/* one or more, space separated */
	enum iq_policy policy;
	int timeout;		/* seconds */
	int data_timeout;	/* seconds, replies after the final dot */
	int delivery_timeout;	/* seconds, the whole delivery */
	int idle_timeout;	/* seconds, -l: waiting for the next command */
	char lhlo_name[256];	/* "" = the host name */
	int syslog;
	char auth_user[256];
	char auth_authzid[256];
	char auth_password_file[CONFIG_VALUE_MAX];
	char auth_mechanisms[CONFIG_VALUE_MAX];
	int auth_plaintext;	/* PLAIN/LOGIN allowed on an unprotected link */
	enum config_tls_policy tls;
	char tls_ca_file[CONFIG_VALUE_MAX];
	char tls_ca_path[CONFIG_VALUE_MAX];
	int tls_verify;
	char tls_server_name[256];
	char tls_cert_file[CONFIG_VALUE_MAX];
	char tls_key_file[CONFIG_VALUE_MAX];
	int notice_senders_set;	/* 0: every sender's mail is a notice */
	char notice_senders[CONFIG_VALUE_MAX];	/* addresses and "<>" */
	int refusal_notice;	/* notify users whose mail the quota refused */
	char refusal_notice_from[256];
	char refusal_notice_template[CONFIG_VALUE_MAX];
	char refusal_notice_dir[CONFIG_VALUE_MAX];
	char refusal_notice_domain[256];	/* for To: and Message-ID: */
	int refusal_notice_interval;	/* seconds */
};

void config_defaults(struct config *c);

/* The i-th key's name, and in *def its default as the file would spell
 * it (NULL: none); NULL past the last key.  What the man page's
 * defaults are checked against. */
const char *config_key(size_t i, const char **def);

/* Read path into c.  A missing file is an error only when required; a
 * FIFO, a device or a directory is an error at once.  -1: err holds
 * "file:line: reason". */
int config_load(struct config *c, const char *path, int required,
    char *err, size_t errcap);

const char *config_policy_name(enum iq_policy p);

const char *config_tls_name(enum config_tls_policy p);

/* The server list: servers in the order to try them, separated by
 * spaces.  config_next_server copies the first one of list into buf and
 * returns the rest, or NULL at the end. */
#define CONFIG_SERVERS_MAX 16
#define CONFIG_SERVERS_MAX_TEXT "16"	/* the same, for messages */
size_t config_count_servers(const char *list);
/* NULL, or why spec cannot be one server (-s, and each of server =). */
const char *config_server_problem(const char *spec);
const char *config_next_server(const char *list, char *buf, size_t cap);

/* value for key, as the file would give it, read and checked by the
 * key's row (the command line's -q and -t go through here).  0, or -1
 * when it is not a value key takes. */
int config_set(struct config *c, const char *key, const char *value);

/* What a value of the key must be, in words, from its row: "whole
 * seconds from 1 to 86400", "require, auto, force or off". */
void config_expected(const char *key, char *buf, size_t cap);

#endif
