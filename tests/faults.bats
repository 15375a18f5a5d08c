#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The generated fault matrix (tests/tools/faultmatrix.c): every stage of a
# session times every fault, with and without PIPELINING, each case's
# exit status taken from the rules in docs/reference.md, each checked for
# malformed commands and for more than one body.

load helpers/common

@test "fault matrix: every stage x every fault, pipelined and not, exits by the documented rules" {
	D=$(make_tmp faults)
	run "$TOOLS/faultmatrix" -v "$LMTP_IQ" "$D"
	rm -rf "$D"
	echo "$output" | grep -v '^ok '
	assert_status 0
	n=$(echo "$output" | sed -n 's/^\([0-9]*\) cases, 0 failed$/\1/p')
	[ "${n:-0}" -ge 200 ]
}
