# SPDX-License-Identifier: ISC
# Shared by every suite: where things are, and small assertions.
# bats sets $status and $output for the assertions.
# shellcheck disable=SC2154

# "run ! cmd" (the way to assert that a command fails) needs bats 1.5.
# (tests/bench/run and tests/demo source this file outside bats.)
if declare -F bats_require_minimum_version >/dev/null; then
	bats_require_minimum_version 1.5.0
fi

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
# A suite one level further down (tests/postfix/).
[ -f "$TOP/Makefile" ] || TOP=$(cd "$TOP/.." && pwd)
LMTP_IQ=$TOP/mailer/lmtp-iq
# The same with the test hooks (mailer/refusal.c, message.c): tests only.
LMTP_IQ_HOOKS=$TOP/tests/tools/lmtp-iq-hooks
TOOLS=$TOP/tests/tools
FIXTURES=$TOP/tests/fixtures
BASE_CONF=$FIXTURES/base.conf	# notice_senders and nothing else

# The notice sender of every test config (notice_senders): lmtp-iq
# delivers nothing without one (unless ignorequota = off).
NOTICE_SENDER=quota-warn@example.org

# notice_from ARGS...: NOTICE_FROM is (-f $NOTICE_SENDER), or empty when
# the mailer's ARGS give -f themselves or take no sender (-l, -n, -V, -h).
notice_from() {
	local a
	NOTICE_FROM=(-f "$NOTICE_SENDER")
	for a in "$@"; do
		case $a in
		--) break ;;
		-f*|-l|-n|-V|-h) NOTICE_FROM=(); break ;;
		esac
	done
}

# lmtp_iq ARGS...: the mailer as a notice job runs it: with the test's
# config, $LMTPIQ_CONF (each suite's setup, or fake_start, sets it), -s
# $LMTPIQ_SERVER when set, and the notice sender (notice_from); under
# the words of $LMTPIQ_UNDER when set (timeout 10, nsenter ..., a
# memory checker).  The one way a test runs the mailer; a test that
# calls "$LMTP_IQ" itself says why (its exact command line is the test).
lmtp_iq() {
	notice_from "$@"
	# shellcheck disable=SC2086 # LMTPIQ_UNDER is a command's words
	${LMTPIQ_UNDER:-} "$LMTP_IQ" -C "$LMTPIQ_CONF" ${LMTPIQ_SERVER:+-s "$LMTPIQ_SERVER"} \
		"${NOTICE_FROM[@]}" "$@"
}

# conf_write FILE [KEY VALUE]...: a config of these keys, a line each
# ("key = value"), the one way a test writes one; conf_add FILE [KEY
# VALUE]... adds lines to it, conf_set FILE KEY [VALUE] replaces one
# key's line.  A test that means to write what no key/value pair can
# (a bad line, a key twice) writes the text itself.
conf_write() {
	: > "$1"
	conf_add "$@"
}

conf_add() {
	local f=$1
	shift
	while [ $# -ge 2 ]; do
		printf '%s = %s\n' "$1" "$2" >> "$f"
		shift 2
	done
}

# conf_set FILE KEY [VALUE]: KEY = VALUE in a config file, in place of
# any line that set KEY before (a key set twice is an error); no VALUE:
# the key is taken out.
conf_set() {
	local file=$1 key=$2
	sed -i "/^${key}[[:space:]]*=/d" "$file"
	if [ $# -gt 2 ]; then printf '%s = %s\n' "$key" "$3" >> "$file"; fi
}

# A private temp dir a server user can use (bats' own is root-only 0700).
make_tmp() {
	mktemp -d "/tmp/lmtpiq-$1.XXXXXX"
}

# Kill a process we started, by PID, and reap it.
stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	wait_until 5 "! kill -0 $pid 2>/dev/null" ||
		kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# wait_until SECONDS CHECK: the suites' one polling loop.  CHECK is
# shell code, evaluated again every 0.05 s (so that a $(...) in it is
# read afresh) until it succeeds; 1 when SECONDS (whole) pass first.
wait_until() {
	local tries=$(($1 * 20))
	until eval "$2"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.05
	done
}

# outside_ns SETUP ADDR...: the MTAs' outside world, a network and mount
# namespace of its own whose lo is up and carries each ADDR (/32); the bash
# code SETUP ("" for none: mounts, as the MTA there needs) runs in it
# before it sleeps.  Its PID in NS_PID (stopped by stop_pid) once every
# address is there; clients bind one of them as their source address,
# so that the server sees a real non-loopback peer.
outside_ns() {
	local setup=${1:-true} last
	shift
	last=${!#}
	unshare -n -m bash -c 'setup=$0 && ip link set lo up &&
		for a in "$@"; do ip addr add "$a/32" dev lo || exit 1; done &&
		eval "$setup" && exec sleep 3600' "$setup" "$@" 3>&- &
	NS_PID=$!
	wait_until 10 "nsenter -t $NS_PID -n ip addr show dev lo 2>/dev/null | grep -qF ' $last/'"
}

# wait_file FILE: until FILE has something in it (a server's ready or
# port file), 4 s at most.
wait_file() {
	wait_until 4 "[ -s $(printf %q "$1") ]"
}

# doc_block FILE WORD: the first ``` block of FILE (under the top of the
# tree) that holds WORD, as it is written there: what a suite reads to
# run the lines a guide tells a postmaster to copy.
doc_block() {
	awk -v w="$2" '/^```/ { if (inb) { if (hit) { printf "%s", buf; exit } inb = 0; buf = ""; hit = 0; next } inb = 1; next }
		inb { buf = buf $0 "\n"; if (index($0, w)) hit = 1 }' "$TOP/$1"
}

# assert_file_bytes FILE EXPECTED: the file holds exactly these bytes.
# subject_of FILE: the Subject of the message in FILE (its header up to
# the empty line, CRLF or LF) as a mail reader shows it: lmtp-iq sends a
# notice's Subject as RFC 2047 B words in UTF-8, folded; they are
# decoded once here (base64 -d), nothing else.
subject_of() {
	local w
	{ sed -n '1,/^\r\{0,1\}$/p' "$1" | sed -n '/^Subject: /,/^[^ ]/p' |
		sed '$d' | tr -d '\r\n' |
		sed 's/^Subject: //; s/?= =?UTF-8?B?/\n/g; s/=?UTF-8?B?//; s/?=$//'
	  echo; } | while IFS= read -r w; do printf '%s' "$w" | base64 -d; done
	echo
}

assert_file_bytes() {
	local file=$1 expected=$2
	if ! cmp -s "$file" <(printf '%s' "$expected"); then
		echo "--- expected bytes"; printf '%s' "$expected" | od -c | head -60
		echo "--- got ($file)"; od -c "$file" | head -60
		return 1
	fi
}

assert_status() {
	if [ "$status" -ne "$1" ]; then
		echo "exit status $status, expected $1; output:"; echo "$output"
		return 1
	fi
}

assert_output_has() {
	if [[ "$output" != *"$1"* ]]; then
		echo "output lacks: $1"; echo "output was:"; echo "$output"
		return 1
	fi
}

assert_output_lacks() {
	if [[ "$output" == *"$1"* ]]; then
		echo "output has: $1"; echo "output was:"; echo "$output"
		return 1
	fi
}

# need_root WHY: skip this test when not root, saying why.  CI runs as
# root and fails on any skip.
need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root: $1"
}

# For a whole suite (bats 1.8 cannot skip from setup_file): in setup_file,
# "suite_needs_root WHY || return 0"; first in setup, suite_skip_check;
# first in teardown_file, "[ -z "${SUITE_SKIP:-}" ] || return 0".
suite_needs_root() {
	[ "$(id -u)" -ne 0 ] || return 0
	export SUITE_SKIP="needs root: $1"
	return 1
}

suite_skip_check() {
	if [ -n "${SUITE_SKIP:-}" ]; then skip "$SUITE_SKIP"; fi
}

# Root is needed to install packages and to run server daemons as their
# own users; say so instead of skipping.
need_package() {
	local pkg=$1 probe=$2
	[ -e "$probe" ] && return 0
	if [ "$(id -u)" -eq 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y "$pkg" >/dev/null 2>&1 ||
			{ apt-get update >/dev/null 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y "$pkg" >/dev/null 2>&1; }
	fi
	[ -e "$probe" ] || {
		echo "$pkg is missing; as root run: apt-get install -y $pkg" >&2
		return 1
	}
}

# CHECK=(...): a prefix that fails a run with 99 on a leak or a memory
# error: valgrind for a normal build, LeakSanitizer for SANITIZE=1
# (valgrind cannot run an ASan binary).  Reachable blocks that ld.so
# keeps for libsasl2's plugins are not leaks and are not counted.
memcheck_prefix() {
	if ldd "$LMTP_IQ" | grep -q libasan; then
		export ASAN_OPTIONS=detect_leaks=1:exitcode=99
		CHECK=()
	else
		need_package valgrind /usr/bin/valgrind
		# shellcheck disable=SC2054 # commas inside option values
		CHECK=(valgrind -q --leak-check=full
			--show-leak-kinds=definite,indirect,possible
			--errors-for-leak-kinds=definite,indirect,possible
			--error-exitcode=99)
	fi
}

# logdev_start DIR FILE: DIR/dev, a /dev of a process's own whose log
# socket a listener writes into FILE (datagrams, one after another, each
# starting "<PRI>"); the listener's PID in LOGDEV_PID.  LOGDEV_MOUNT is
# the sh code that, run in a private mount namespace with $0 = DIR, lays
# that /dev over /dev, the host's null, zero, random and urandom in it
# (recursively: a plain bind would hide them again).
# shellcheck disable=SC2016 # code for sh -c
LOGDEV_MOUNT='for n in null zero random urandom; do
	mount --bind "/dev/$n" "$0/dev/$n" || exit 1; done && mount --rbind "$0/dev" /dev'
logdev_start() {
	local n
	mkdir -p "$1/dev"
	for n in null zero random urandom; do touch "$1/dev/$n"; done
	socat -u UNIX-RECV:"$1/dev/log" OPEN:"$2",creat,append 3>&- &
	LOGDEV_PID=$!
	wait_until 1 "[ -S $(printf %q "$1/dev/log") ]"
	chmod 666 "$1/dev/log"	# for a server that runs as its own user
}

# log_lines FILE: a log logdev_start captured, one line per datagram
# (each starts "<PRI>"; syslog(3) sends no newline).
log_lines() {
	sed -E 's/<[0-9]{1,3}>/\n&/g' "$1"
}

# iq_line FILE QID USER: lmtp-iq's line in the captured log FILE for
# the MTA's queue id QID and the recipient USER.
iq_line() {
	log_lines "$1" | grep -a "lmtp-iq\[[0-9]*\]: $2: to=<$3>, "
}

# syslog_listen: $MSG/dev, whose log socket writes $MSG/syslog;
# syslog_run CMD... runs CMD with it as its /dev and $MSG/notice on stdin
# (needs root for the mount namespace; SYSLOG_RO names a directory CMD
# sees read-only); syslog_stop ends the listener.
syslog_listen() {
	logdev_start "$MSG" "$MSG/syslog"
	SOCAT_PID=$LOGDEV_PID
}

syslog_run() {
	unshare -m sh -c "$LOGDEV_MOUNT"' &&
		{ [ -z "$1" ] || { mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1"; }; } &&
		shift && exec "$@" < "$0/notice"' "$MSG" "${SYSLOG_RO:-}" "$@"
}

syslog_stop() {
	sleep 0.2
	stop_pid "$SOCAT_PID"
	SOCAT_PID=
}

# logged_iq ARGS...: lmtp_iq (bats's run) under syslog_run, its log in
# $MSG/syslog, $MSG/notice on its stdin.  run_logged ARGS... is the same
# for a test whose exact command line is the point (cli.bats): lmtp-iq
# with ARGS alone.
logged_iq() {
	syslog_listen
	LMTPIQ_UNDER=syslog_run run lmtp_iq "$@"
	syslog_stop
}

run_logged() {
	syslog_listen
	run syslog_run "$LMTP_IQ" "$@"
	syslog_stop
}

# without_lib SONAME SCRIPT [ARG...]: sh -c SCRIPT, with the ARGs as $1
# and on, in a mount namespace of its own where the file the loader
# finds for SONAME is empty, so that it cannot be loaded (needs root).
without_lib() {
	local lib
	lib=$(ldconfig -p | awk -v n="$1" '$1 == n && /x86-64|x86_64|64/ { print $NF; exit }')
	[ -n "$lib" ] || { echo "ldconfig knows no $1" >&2; return 1; }
	unshare -m sh -c "mount --bind /dev/null '$lib' && $2" sh "${@:3}"
}

# A loopback port nobody answers on (good enough between test runs);
# free_port LOW HIGH picks one in that range.
free_port() {
	local p low=${1:-20000} high=${2:-59999}
	for _ in $(seq 1 50); do
		p=$((low + RANDOM % (high - low + 1)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
