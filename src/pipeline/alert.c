/*
 * Failure alerts: a webhook gets the failed run as a JSON POST (libcurl,
 * 10 s timeout), a command runs under /bin/sh with the run in its
 * environment (POND_PIPELINE, POND_RUN_ID, POND_RUN_STATUS, POND_RUN_ERROR,
 * POND_FAILED_STEP; killed after 60 s). An alert that fails is logged; it
 * never changes the run's outcome.
 */
#include "pipeline_internal.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static size_t discard(char *ptr, size_t size, size_t n, void *payload)
{
	(void)ptr;
	(void)payload;
	return size * n;
}

static void post_webhook(const char *url, const char *body)
{
	CURL *c = curl_easy_init();
	if (!c) {
		pond_warn("failure webhook %s: could not start libcurl", url);
		return;
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "pond");
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK)
		pond_warn("failure webhook %s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	else if (status >= 300)
		pond_warn("failure webhook %s: HTTP %ld", url, status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
}

static void run_command(const char *command, const char *root, const pond_run_info *run, const char *failed_step)
{
	pond_arena *a = pond_arena_new();
	if (!a)
		return;
	size_t n = 0;
	for (char **e = environ; e && *e; e++)
		n++;
	char **env = pond_arena_calloc(a, n + 8, sizeof(char *));
	if (!env) {
		pond_arena_free(&a);
		return;
	}
	size_t k = 0;
	for (char **e = environ; e && *e; e++)
		if (!pond_str_starts_with(*e, "POND_RUN_") && !pond_str_starts_with(*e, "POND_PIPELINE=") &&
		    !pond_str_starts_with(*e, "POND_FAILED_STEP="))
			env[k++] = *e;
	env[k++] = pond_arena_sprintf(a, "POND_PIPELINE=%s", run->pipeline);
	env[k++] = pond_arena_sprintf(a, "POND_RUN_ID=%lld", (long long)run->id);
	env[k++] = pond_arena_sprintf(a, "POND_RUN_STATUS=%s", run->status);
	env[k++] = pond_arena_sprintf(a, "POND_RUN_ERROR=%s", run->error ? run->error : "");
	env[k++] = pond_arena_sprintf(a, "POND_FAILED_STEP=%s", failed_step ? failed_step : "");
	for (size_t i = 0; i < k; i++)
		if (!env[i]) {
			pond_arena_free(&a);
			return;
		}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addchdir_np(&fa, root);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	char *argv[] = {"sh", "-c", (char *)command, NULL};
	pid_t pid;
	int e = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	pond_arena_free(&a);
	if (e) {
		pond_warn("failure command: could not start: %s", strerror(e));
		return;
	}
	int status = 0;
	int64_t until = pond_time_mono_ns() / 1000000 + 60000;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid || w < 0)
			break;
		if (pond_time_mono_ns() / 1000000 > until) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			pond_warn("failure command: killed after 60s");
			return;
		}
		usleep(20000);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		pond_warn("failure command exited with status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

void pond__alert_failure(const pond_pipeline *pipeline, const pond_run_info *run, const char *failed_step,
                         const char *root)
{
	if (pipeline->on_failure_webhook) {
		json_t *doc = pond_run_info_to_json(run);
		json_object_set_new(doc, "event", json_string("run_failed"));
		json_object_set_new(doc, "failed_step", failed_step ? json_string(failed_step) : json_null());
		char *body = pond_json_dumps(doc, false);
		json_decref(doc);
		if (body)
			post_webhook(pipeline->on_failure_webhook, body);
		pond_free(body);
	}
	if (pipeline->on_failure_command)
		run_command(pipeline->on_failure_command, root, run, failed_step);
}
