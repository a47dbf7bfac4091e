/*
 * pond's unit-test harness: TEST(name) registers a test at load time; the
 * runner (main.c) runs them all, or those whose names contain argv[1], and
 * ends with "N passed, N failed". A CHECK that fails marks the test failed
 * and returns from it; each test runs in a child process, so what it leaks
 * or a crash fails that test alone.
 */
#ifndef POND_TEST_H
#define POND_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*pond_test_fn)(void);
void pond_test_register(const char *name, const char *file, pond_test_fn fn);
void pond_test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A scratch folder for this test, created fresh; removed after it passes. */
const char *pond_test_tmpdir(void);
/* Path of the fixtures folder (tests/fixtures, or $POND_FIXTURES). */
const char *pond_test_fixtures(void);
extern int pond_test_failed_flag;

#define TEST(name)                                                              \
	static void test_##name(void);                                          \
	__attribute__((constructor)) static void register_##name(void)          \
	{                                                                       \
		pond_test_register(#name, __FILE__, test_##name);               \
	}                                                                       \
	static void test_##name(void)

#define CHECK(cond)                                                             \
	do {                                                                    \
		if (!(cond)) {                                                  \
			pond_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
			return;                                                 \
		}                                                               \
	} while (0)

#define CHECK_MSG(cond, ...)                                                    \
	do {                                                                    \
		if (!(cond)) {                                                  \
			pond_test_fail(__FILE__, __LINE__, __VA_ARGS__);        \
			return;                                                 \
		}                                                               \
	} while (0)

/* Two tests running fn(catalog_url): name_sqlite on a SQLite catalog (NULL)
 * and name_pg on the PostgreSQL server tests/run.sh starts
 * (POND_TEST_PG_URL, which fails the test when it is not set). */
#define TEST_ON_CATALOGS(name, fn)                                              \
	TEST(name##_sqlite)                                                     \
	{                                                                       \
		fn(NULL);                                                       \
	}                                                                       \
	TEST(name##_pg)                                                         \
	{                                                                       \
		const char *url_ = getenv("POND_TEST_PG_URL");                  \
		CHECK_MSG(url_ != NULL, "POND_TEST_PG_URL is not set: run the suite through tests/run.sh"); \
		fn(url_);                                                       \
	}

#define CHECK_INT(a, b)                                                         \
	do {                                                                    \
		long long va_ = (long long)(a), vb_ = (long long)(b);           \
		if (va_ != vb_) {                                               \
			pond_test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, va_, vb_); \
			return;                                                 \
		}                                                               \
	} while (0)

#define CHECK_STR(a, b)                                                         \
	do {                                                                    \
		const char *sa_ = (a), *sb_ = (b);                              \
		if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                    \
			pond_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, \
			               sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)"); \
			return;                                                 \
		}                                                               \
	} while (0)

/* Checks a pond call returned 0, printing its error otherwise. */
#define CHECK_OK(call, errp)                                                    \
	do {                                                                    \
		int rc_ = (call);                                               \
		if (rc_ != 0) {                                                 \
			pond_test_fail(__FILE__, __LINE__, "%s returned %d: %s", #call, rc_, (errp)->msg); \
			return;                                                 \
		}                                                               \
	} while (0)

#endif
