/*
 * Runner for the unit tests registered with TEST(). Usage:
 *   test_unit [FILTER]   runs tests whose name or file contains FILTER
 *
 * Each test runs in a forked child, so a failed CHECK that returns early
 * and leaks, a crash, or a sanitizer report (LeakSanitizer runs when the
 * child exits) fails that test by name and the others still run; the
 * summary line always prints. POND_TEST_NOFORK=1 runs them in-process
 * (for a debugger).
 */
#include "test.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pond/util.h"

#include <stdbool.h>

/* Fixtures shipped in the repository, relative to its root (where make
 * test runs); POND_FIXTURES names another folder. */
#define POND_TEST_FIXTURES_DEFAULT "tests/fixtures"

typedef struct {
	const char *name;
	const char *file;
	pond_test_fn fn;
} test_case;

static test_case *tests;
static size_t ntests, captests;
int pond_test_failed_flag;
static char tmpdir[4096];
static char fixtures[4096];

void pond_test_register(const char *name, const char *file, pond_test_fn fn)
{
	if (ntests == captests) {
		captests = captests ? captests * 2 : 64;
		tests = realloc(tests, captests * sizeof(*tests));
		if (!tests)
			abort();
	}
	tests[ntests++] = (test_case){name, file, fn};
}

void pond_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "    %s:%d: ", file, line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	pond_test_failed_flag = 1;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

const char *pond_test_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(tmpdir, sizeof(tmpdir), "%s/pond-unit-XXXXXX", base);
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			abort();
		}
	}
	return tmpdir;
}

const char *pond_test_fixtures(void)
{
	return fixtures;
}

static int cmp_tests(const void *a, const void *b)
{
	const test_case *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	return c ? c : strcmp(x->name, y->name);
}

/* Runs one test in this process; returns 0 when it passed. Its scratch
 * folder is removed when it passed, kept for a look when it failed. */
static int run_here(const test_case *t)
{
	pond_test_failed_flag = 0;
	tmpdir[0] = '\0';
	pond_alloc_fail_at(0);
	t->fn();
	pond_alloc_fail_at(0);
	if (tmpdir[0] && !pond_test_failed_flag)
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return pond_test_failed_flag;
}

/* Runs one test in a child; returns 0 when it passed, and otherwise says
 * why on stderr when the child did not end by itself with a failure.
 * *cpu_ms gets the CPU time the child (and its children) used. */
static int run_forked(const test_case *t, long *cpu_ms)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return run_here(t);
	}
	if (pid == 0) {
		int failed = run_here(t);
		fflush(stdout);
		fflush(stderr);
		/* exit, not _exit: LeakSanitizer checks this test's leaks */
		exit(failed ? 1 : 0);
	}
	int status = 0;
	struct rusage ru = {0};
	while (wait4(pid, &status, 0, &ru) < 0)
		;
	*cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
	          (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000L;
	if (WIFEXITED(status) && WEXITSTATUS(status) <= 1)
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		fprintf(stderr, "    %s: crashed (signal %d)\n", t->name, WTERMSIG(status));
	else
		fprintf(stderr, "    %s: exited with code %d (a sanitizer report?)\n", t->name, WEXITSTATUS(status));
	return 1;
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	const char *fx = getenv("POND_FIXTURES");
	const char *nofork = getenv("POND_TEST_NOFORK");
	bool fork_each = !(nofork && strcmp(nofork, "1") == 0);
	/* POND_TEST_TIMES=1 prints each forked test's CPU time, to find the
	 * tests that make the suite slow. */
	const char *times = getenv("POND_TEST_TIMES");
	bool show_times = times && strcmp(times, "1") == 0;
	snprintf(fixtures, sizeof(fixtures), "%s", fx ? fx : POND_TEST_FIXTURES_DEFAULT);
	/* POND_TEST_SHARD=K/N runs every Nth test from the Kth (0-based), so
	 * the suite can run a binary's tests on several cores at once. */
	unsigned shard = 0, nshards = 1;
	const char *sh = getenv("POND_TEST_SHARD");
	if (sh && (sscanf(sh, "%u/%u", &shard, &nshards) != 2 || nshards == 0 || shard >= nshards)) {
		fprintf(stderr, "POND_TEST_SHARD must be K/N with 0 <= K < N, not %s\n", sh);
		return 2;
	}
	qsort(tests, ntests, sizeof(*tests), cmp_tests);
	int passed = 0, failed = 0;
	for (size_t i = 0; i < ntests; i++) {
		if (filter && !strstr(tests[i].name, filter) && !strstr(tests[i].file, filter))
			continue;
		if (i % nshards != shard)
			continue;
		long cpu_ms = -1;
		int rc = fork_each ? run_forked(&tests[i], &cpu_ms) : run_here(&tests[i]);
		if (rc) {
			printf("FAIL %s (%s)", tests[i].name, tests[i].file);
			failed++;
		} else {
			printf("ok   %s", tests[i].name);
			passed++;
		}
		if (show_times && cpu_ms >= 0)
			printf(" [%ld ms cpu]", cpu_ms);
		putchar('\n');
		fflush(stdout);
	}
	free(tests);
	printf("%d passed, %d failed\n", passed, failed);
	return failed || passed == 0 ? 1 : 0;
}
