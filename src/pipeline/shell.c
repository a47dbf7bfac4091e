/*
 * Shell steps: /bin/sh -c COMMAND as a child process in its own process
 * group, started with posix_spawn (safe in a threaded server, unlike fork),
 * in the project folder, stdin from /dev/null, stdout and stderr into one
 * pipe read line by line. A timeout or a stop kills the whole group:
 * SIGTERM, then SIGKILL two seconds later.
 */
#include "pipeline_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define LINE_MAX_BYTES 4096
#define KILL_AFTER_TERM_MS 2000

static void put_env(pond_arena *a, char ***env, size_t *n, size_t *cap, const char *key, const char *value)
{
	if (*n + 2 > *cap) {
		size_t c = *cap * 2 + 16;
		char **e = pond_arena_calloc(a, c, sizeof(char *));
		if (!e)
			return;
		if (*n)
			memcpy(e, *env, *n * sizeof(char *));
		*env = e;
		*cap = c;
	}
	/* replace an inherited entry of the same name */
	size_t klen = strlen(key);
	char *entry = pond_arena_sprintf(a, "%s=%s", key, value);
	if (!entry)
		return;
	for (size_t i = 0; i < *n; i++)
		if (strncmp((*env)[i], key, klen) == 0 && (*env)[i][klen] == '=') {
			(*env)[i] = entry;
			return;
		}
	(*env)[(*n)++] = entry;
	(*env)[*n] = NULL;
}

char **pond__step_env(const pond__attempt *at, pond_arena *a)
{
	char **env = NULL;
	size_t n = 0, cap = 0;
	for (char **e = environ; e && *e; e++) {
		if (n + 2 > cap) {
			size_t c = cap * 2 + 64;
			char **ne = pond_arena_calloc(a, c, sizeof(char *));
			if (!ne)
				return NULL;
			if (n)
				memcpy(ne, env, n * sizeof(char *));
			env = ne;
			cap = c;
		}
		env[n++] = *e;
		env[n] = NULL;
	}
	char num[32];
	snprintf(num, sizeof(num), "%lld", (long long)at->run_id);
	put_env(a, &env, &n, &cap, "POND_RUN_ID", num);
	snprintf(num, sizeof(num), "%d", at->attempt);
	put_env(a, &env, &n, &cap, "POND_ATTEMPT", num);
	put_env(a, &env, &n, &cap, "POND_PIPELINE", at->pipeline);
	put_env(a, &env, &n, &cap, "POND_STEP", at->step->name);
	put_env(a, &env, &n, &cap, "POND_PROJECT", at->project->root);
	if (at->scheduled_ms) {
		char iso[40];
		pond_time_format_ms(iso, at->scheduled_ms);
		put_env(a, &env, &n, &cap, "POND_SCHEDULED_TIME", iso);
	}
	json_t *params = at->parameters ? json_loads(at->parameters, 0, NULL) : NULL;
	const char *key;
	json_t *value;
	json_object_foreach(params, key, value) {
		char name[256];
		size_t k = (size_t)snprintf(name, sizeof(name), "POND_PARAM_");
		for (const char *p = key; *p && k + 1 < sizeof(name); p++)
			name[k++] = (char)(((*p >= 'a' && *p <= 'z') ? *p - 32 : ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) ? *p : '_'));
		name[k] = '\0';
		char *text = json_is_string(value) ? NULL : json_dumps(value, JSON_ENCODE_ANY);
		put_env(a, &env, &n, &cap, name, text ? text : json_string_value(value));
		free(text);
	}
	json_decref(params);
	return env;
}

typedef struct line_reader {
	char buf[LINE_MAX_BYTES];
	size_t len;
	const pond__attempt *at;
} line_reader;

static void feed(line_reader *r, const char *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = data[i];
		if (c == '\n' || r->len == sizeof(r->buf)) {
			r->at->output(r->buf, r->len, r->at->payload);
			r->len = 0;
			if (c == '\n')
				continue;
		}
		r->buf[r->len++] = c;
	}
}

static int spawn_error(pond_error *err, const char *what, int e)
{
	return pond_error_set(err, POND_EIO, "could not start the shell step (%s): %s", what, strerror(e));
}

/* A running command: its process group, the read end of its output, and
 * what its limits have done to it (times in ms of the monotonic clock). */
typedef struct child {
	pid_t pid;
	int fd;
	int64_t start, cancel_seen, term_sent;
	bool killed;
} child;

/* Starts the step's command in a process group of its own, in the project
 * folder, with stdin from /dev/null and stdout and stderr into one pipe
 * (c->fd). */
static int spawn_command(child *c, const pond__attempt *at, pond_error *err)
{
	pond_arena *arena = pond_arena_new();
	char **env = arena ? pond__step_env(at, arena) : NULL;
	if (!env) {
		pond_arena_free(&arena);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		pond_arena_free(&arena);
		return spawn_error(err, "pipe", errno);
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	posix_spawn_file_actions_addchdir_np(&fa, at->project->root);
	sigset_t none, defaults;
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGHUP);
	sigaddset(&defaults, SIGQUIT);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	char *argv[] = {"sh", "-c", (char *)at->step->arg, NULL};
	int e = posix_spawn(&c->pid, "/bin/sh", &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(fds[1]);
	pond_arena_free(&arena);
	if (e) {
		close(fds[0]);
		return spawn_error(err, "posix_spawn", e);
	}
	c->fd = fds[0];
	return 0;
}

/* A timeout or a stop sends the group SIGTERM (once), and SIGKILL when
 * it has not gone KILL_AFTER_TERM_MS later. */
static void enforce_limits(child *c, const pond__attempt *at, pond__attempt_result *out, int64_t now)
{
	if (!c->killed) {
		bool stop = false;
		if (at->timeout_ms > 0 && now - c->start >= at->timeout_ms) {
			out->timed_out = stop = true;
		} else if (at->cancel && *at->cancel) {
			if (!c->cancel_seen)
				c->cancel_seen = now;
			if (*at->cancel >= 2 || now - c->cancel_seen >= at->grace_ms)
				out->interrupted = stop = true;
		}
		if (stop) {
			kill(-c->pid, SIGTERM);
			c->term_sent = now;
			c->killed = true;
		}
	} else if (c->term_sent && now - c->term_sent >= KILL_AFTER_TERM_MS) {
		kill(-c->pid, SIGKILL);
		c->term_sent = 0;
	}
}

/* Reads the command's output into reader (may be NULL: dropped) until it
 * has exited and the pipe is done with; returns its wait status. */
static int wait_for_exit(child *c, const pond__attempt *at, pond__attempt_result *out, line_reader *reader)
{
	int status = 0;
	bool exited = false, eof = false;
	while (!exited || !eof) {
		enforce_limits(c, at, out, pond_time_mono_ns() / 1000000);
		if (!exited) {
			pid_t w = waitpid(c->pid, &status, WNOHANG);
			if (w == c->pid || (w < 0 && errno == ECHILD))
				exited = true;
		}
		if (exited && !eof) {
			/* A background child may keep the pipe open: read what is
			 * there, then stop. */
			struct pollfd pf = {c->fd, POLLIN, 0};
			char chunk[4096];
			while (poll(&pf, 1, 50) > 0) {
				ssize_t n = read(c->fd, chunk, sizeof(chunk));
				if (n <= 0)
					break;
				if (reader)
					feed(reader, chunk, (size_t)n);
			}
			eof = true;
			break;
		}
		struct pollfd pf = {c->fd, POLLIN, 0};
		int pr = eof ? 0 : poll(&pf, 1, 100);
		if (eof)
			usleep(20000);
		if (pr > 0) {
			char chunk[4096];
			ssize_t n = read(c->fd, chunk, sizeof(chunk));
			if (n > 0 && reader)
				feed(reader, chunk, (size_t)n);
			else if (n == 0)
				eof = true;
		}
	}
	return status;
}

int pond__step_shell(const pond__attempt *at, pond__attempt_result *out, pond_error *err)
{
	out->rows = out->bytes = -1;
	child c;
	memset(&c, 0, sizeof(c));
	int rc = spawn_command(&c, at, err);
	if (rc)
		return rc;
	line_reader *reader = pond_calloc(1, sizeof(*reader));
	if (reader)
		reader->at = at;
	c.start = pond_time_mono_ns() / 1000000;
	int status = wait_for_exit(&c, at, out, reader);
	if (c.killed && c.term_sent)
		kill(-c.pid, SIGKILL); /* leftovers of the group */
	close(c.fd);
	if (reader && reader->len)
		at->output(reader->buf, reader->len, at->payload);
	pond_free(reader);
	if (out->timed_out)
		return pond_error_set(err, POND_ELIMIT, "timed out after %llds", (long long)(at->timeout_ms / 1000));
	if (out->interrupted)
		return pond_error_set(err, POND_ECANCELED, "stopped");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return pond_error_set(err, POND_ERROR, "command exited with code %d", WEXITSTATUS(status));
	return pond_error_set(err, POND_ERROR, "command killed by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
