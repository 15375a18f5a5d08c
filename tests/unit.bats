#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The C unit tests (tests/unit/unit.c): encoder, reply parsing,
# host:port, the status table, notice senders.

load helpers/common

@test "unit: the pure functions (tests/unit/unit.c) all pass" {
	run "$TOP/tests/unit/unit"
	echo "$output" | grep -v '^ok '
	assert_status 0
	assert_output_has ' passed, 0 failed'
}
