/* SPDX-License-Identifier: MIT */
#include "record/target.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void wp_target__init(struct wp_target *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->go_fd = t->err_fd = -1;
	for (i = 0; i < WP_MAX_PIDS; i++)
		t->pidfds[i] = -1;
}

int wp_target__launch(struct wp_target *t, char *const argv[], const sigset_t *mask)
{
	int go[2], ep[2], err;
	pid_t pid;

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(ep, O_CLOEXEC)) {
		err = -errno;
		close(go[0]);
		close(go[1]);
		return err;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(go[0]);
		close(go[1]);
		close(ep[0]);
		close(ep[1]);
		return err;
	}
	if (pid == 0) {
		ssize_t r;
		char c;

		close(go[1]);
		close(ep[0]);
		/* Wait for the BPF programs; EOF means wp-record gave up. */
		do
			r = read(go[0], &c, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1)
			_exit(127);
		sigprocmask(SIG_SETMASK, mask, NULL);
		execvp(argv[0], argv);
		err = errno;
		if (write(ep[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(ep[1]);
	t->child = pid;
	t->go_fd = go[1];
	t->err_fd = ep[0];
	return 0;
}

int wp_target__start(struct wp_target *t, const char *cmd)
{
	ssize_t r;
	int child_errno = 0;

	do
		r = write(t->go_fd, "g", 1);
	while (r < 0 && errno == EINTR);
	close(t->go_fd);
	t->go_fd = -1;
	if (r != 1) {
		int err = -errno;

		pr_err("cannot start '%s': %s", cmd, strerror(errno));
		return err;
	}
	/* EOF: exec succeeded (the pipe is close-on-exec). */
	do
		r = read(t->err_fd, &child_errno, sizeof(child_errno));
	while (r < 0 && errno == EINTR);
	close(t->err_fd);
	t->err_fd = -1;
	if (r == sizeof(child_errno)) {
		pr_err("cannot run '%s': %s", cmd, strerror(child_errno));
		waitpid(t->child, &t->child_status, 0);
		t->child_exited = true;
		return -child_errno;
	}
	return 0;
}

static int read_tgid(int pid)
{
	char path[64], line[256];
	int tgid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid > 0 ? tgid : -ESRCH;
}

int wp_target__attach_pids(struct wp_target *t, const int *pids, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		int tgid = read_tgid(pids[i]);

		if (tgid == -ENOENT || tgid == -ESRCH) {
			pr_err("no such process: %d", pids[i]);
			return -ESRCH;
		}
		if (tgid < 0) {
			pr_err("cannot read /proc/%d/status: %s", pids[i], strerror(-tgid));
			return tgid;
		}
		if (tgid != pids[i])
			pr_info("%d is a thread of process %d: recording the process",
				pids[i], tgid);
		for (j = 0; j < t->npids && t->pids[j] != tgid; j++)
			;
		if (j < t->npids)
			continue;
		t->pids[t->npids] = tgid;
		t->pidfds[t->npids] = (int)syscall(SYS_pidfd_open, tgid, 0);
		if (t->pidfds[t->npids] < 0 && errno == ESRCH) {
			pr_err("no such process: %d", pids[i]);
			return -ESRCH;
		}
		t->npids++;
	}
	return 0;
}

static bool pid_gone(struct wp_target *t, size_t i)
{
	char path[64], buf[512], *p;
	FILE *f;
	bool gone = true;

	if (t->pidfds[i] >= 0) {
		struct pollfd pfd = { .fd = t->pidfds[i], .events = POLLIN };

		/* readable once the process has terminated (zombie or reaped) */
		return poll(&pfd, 1, 0) > 0;
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", t->pids[i]);
	f = fopen(path, "re");
	if (!f)
		return true;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ')
		gone = p[2] == 'Z' || p[2] == 'X';
	fclose(f);
	return gone;
}

bool wp_target__done(struct wp_target *t)
{
	size_t i;

	if (t->child) {
		if (!t->child_exited && waitpid(t->child, &t->child_status, WNOHANG) == t->child)
			t->child_exited = true;
		return t->child_exited;
	}
	if (!t->npids)
		return false;
	for (i = 0; i < t->npids; i++)
		if (!pid_gone(t, i))
			return false;
	return true;
}

void wp_target__signal(struct wp_target *t, int sig)
{
	if (t->child && !t->child_exited)
		kill(t->child, sig);
}

bool wp_target__wait(struct wp_target *t, int timeout_ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int waited;

	for (waited = 0; !wp_target__done(t) && waited < timeout_ms; waited += 10)
		nanosleep(&ts, NULL);
	return t->child_exited;
}

void wp_target__release(struct wp_target *t)
{
	size_t i;

	if (t->go_fd >= 0) {
		/* never released: closing the pipe makes it exit */
		close(t->go_fd);
		t->go_fd = -1;
		if (t->child && !t->child_exited) {
			waitpid(t->child, &t->child_status, 0);
			t->child_exited = true;
		}
	}
	if (t->err_fd >= 0)
		close(t->err_fd);
	t->err_fd = -1;
	for (i = 0; i < t->npids; i++)
		if (t->pidfds[i] >= 0)
			close(t->pidfds[i]);
	t->npids = 0;
}
