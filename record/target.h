/* SPDX-License-Identifier: MIT */
/*
 * What is recorded: a launched command (forked early, held on a pipe until
 * the BPF programs are attached, then exec'ed), running processes (-p), or
 * the whole system. Also: noticing when the target has gone.
 */
#ifndef WP_RECORD_TARGET_H
#define WP_RECORD_TARGET_H

#include <stdbool.h>
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#define WP_MAX_PIDS 256

struct wp_target {
	/* launched command */
	pid_t child;       /* 0: none */
	int go_fd;         /* write one byte: the child execs */
	int err_fd;        /* the child's exec errno, EOF on success */
	bool child_exited;
	int child_status;  /* waitpid() status */
	/* -p */
	size_t npids;
	int pids[WP_MAX_PIDS];    /* tgids */
	int pidfds[WP_MAX_PIDS];  /* -1: poll /proc instead */
};

void wp_target__init(struct wp_target *t);
/* Fork the command; it waits until wp_target__start(), then sets its
 * signal mask to *mask (wp-record blocks signals while it forks, so the
 * command inherits the caller's dispositions untouched). 0 or -errno. */
int wp_target__launch(struct wp_target *t, char *const argv[], const sigset_t *mask);
/* Let the child exec. -errno (reported) when exec failed. */
int wp_target__start(struct wp_target *t, const char *cmd);
/* Check -p pids exist and resolve thread ids to their process; errors are
 * reported ("no such process: 12345"). 0 or -ESRCH... */
int wp_target__attach_pids(struct wp_target *t, const int *pids, size_t n);
/* The launched command exited (reaps it), or every -p process is gone. */
bool wp_target__done(struct wp_target *t);
/* Send sig to the launched command if it still runs. */
void wp_target__signal(struct wp_target *t, int sig);
/* Wait up to timeout_ms for the launched command (after a SIGTERM). */
bool wp_target__wait(struct wp_target *t, int timeout_ms);
/* Kill and reap a command that never exec'ed, close pipes and pidfds. */
void wp_target__release(struct wp_target *t);

#endif
