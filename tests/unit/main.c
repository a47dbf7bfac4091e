/*
 * Runner for the unit tests registered with TEST(). Usage:
 *   test_unit [FILTER]   runs tests whose name or file contains FILTER
 */
#include "test.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "pond/util.h"

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

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	const char *fx = getenv("POND_FIXTURES");
	snprintf(fixtures, sizeof(fixtures), "%s", fx ? fx : "../shared/fixtures");
	qsort(tests, ntests, sizeof(*tests), cmp_tests);
	int passed = 0, failed = 0;
	for (size_t i = 0; i < ntests; i++) {
		if (filter && !strstr(tests[i].name, filter) && !strstr(tests[i].file, filter))
			continue;
		pond_test_failed_flag = 0;
		tmpdir[0] = '\0';
		pond_alloc_fail_at(0);
		tests[i].fn();
		pond_alloc_fail_at(0);
		if (pond_test_failed_flag) {
			printf("FAIL %s (%s)\n", tests[i].name, tests[i].file);
			failed++;
		} else {
			printf("ok   %s\n", tests[i].name);
			passed++;
		}
		if (tmpdir[0] && !pond_test_failed_flag)
			nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		fflush(stdout);
	}
	free(tests);
	printf("%d passed, %d failed\n", passed, failed);
	return failed || passed == 0 ? 1 : 0;
}
