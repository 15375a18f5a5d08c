/* SPDX-License-Identifier: ISC */
/*
 * maxrss - run a command, print its peak resident set size in KiB
 * (getrusage RUSAGE_CHILDREN) on stderr, and exit with its status.
 *
 *   maxrss [-i INPUT] COMMAND [ARG...]
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct rusage ru;
	int status, first = 1;
	pid_t pid;

	if (argc > 2 && strcmp(argv[1], "-i") == 0)
		first = 3;
	if (argc <= first) {
		fprintf(stderr, "usage: maxrss [-i INPUT] COMMAND [ARG...]\n");
		return 2;
	}
	pid = fork();
	if (pid == 0) {
		if (first == 3) {
			int fd = open(argv[2], O_RDONLY);

			if (fd < 0 || dup2(fd, 0) < 0)
				_exit(127);
		}
		execvp(argv[first], argv + first);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 2;
	getrusage(RUSAGE_CHILDREN, &ru);
	fprintf(stderr, "maxrss_kib %ld\n", ru.ru_maxrss);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
