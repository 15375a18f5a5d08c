/* SPDX-License-Identifier: ISC */
/*
 * fuzz_config - the config parser on any file content: it either loads
 * or reports file:line: reason, and what it loads stays in bounds.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../mailer/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	char path[64], err[CONFIG_ERR_MAX];
	int fd = memfd_create("fuzz.conf", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	config_defaults(&c);
	if (config_load(&c, path, 1, err, sizeof(err)) == 0) {
		/* Loaded values are terminated strings within their arrays. */
		if (memchr(c.server, '\0', sizeof(c.server)) == NULL ||
		    memchr(c.notice_senders, '\0', sizeof(c.notice_senders)) == NULL)
			__builtin_trap();
		if (c.timeout < 1 || c.timeout > CONFIG_TIMEOUT_MAX)
			__builtin_trap();
	} else if (err[0] == '\0') {
		__builtin_trap();	/* a failure always says why */
	}
	close(fd);
	return 0;
}
