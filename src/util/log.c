/*
 * Logging: leveled one-line messages on stderr, level from POND_LOG.
 */
#include "pond/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static int log_level = -1;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void pond_log_init(void)
{
	const char *env = getenv("POND_LOG");
	pond_log_level level = POND_LOG_WARN;
	if (env) {
		if (pond_str_ieq(env, "error")) level = POND_LOG_ERROR;
		else if (pond_str_ieq(env, "warn")) level = POND_LOG_WARN;
		else if (pond_str_ieq(env, "info")) level = POND_LOG_INFO;
		else if (pond_str_ieq(env, "debug")) level = POND_LOG_DEBUG;
	}
	__atomic_store_n(&log_level, (int)level, __ATOMIC_RELAXED);
}

void pond_log_set_level(pond_log_level level)
{
	__atomic_store_n(&log_level, (int)level, __ATOMIC_RELAXED);
}

bool pond_log_enabled(pond_log_level level)
{
	int current = __atomic_load_n(&log_level, __ATOMIC_RELAXED);
	if (current < 0) {
		pond_log_init();
		current = __atomic_load_n(&log_level, __ATOMIC_RELAXED);
	}
	return (int)level <= current;
}

void pond_log(pond_log_level level, const char *fmt, ...)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	if (!pond_log_enabled(level))
		return;
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "pond: %s: ", names[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&log_lock);
	va_end(ap);
}
