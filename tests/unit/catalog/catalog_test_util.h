/*
 * Shared by the catalog unit tests: CATALOG_TEST(name) defines one body run
 * twice, as name_sqlite (a fresh file in the test's tmpdir) and name_pg (a
 * fresh schema on the server named by POND_TEST_PG_URL, which tests/run.sh
 * starts). Without that variable the _pg tests fail: they never pass
 * silently.
 */
#ifndef POND_CATALOG_TEST_UTIL_H
#define POND_CATALOG_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "pond/catalog.h"
#include "../test.h"

typedef enum { BK_SQLITE, BK_PG } catalog_backend_kind;

/* Writes a catalog URI for a fresh, empty catalog into uri. False (and the
 * test marked failed) when the PostgreSQL server is not configured. */
bool catalog_test_uri(catalog_backend_kind bk, char *uri, size_t n);

#define CATALOG_TEST(name)                                                      \
	static void body_##name(catalog_backend_kind bk, const char *uri);      \
	static void run_##name(catalog_backend_kind bk)                         \
	{                                                                       \
		char uri_[2048];                                                \
		if (catalog_test_uri(bk, uri_, sizeof(uri_)))                   \
			body_##name(bk, uri_);                                  \
	}                                                                       \
	TEST(name##_sqlite) { run_##name(BK_SQLITE); }                          \
	TEST(name##_pg) { run_##name(BK_PG); }                                  \
	static void body_##name(catalog_backend_kind bk, const char *uri)

#define CHECK_CODE(call, code, errp)                                            \
	do {                                                                    \
		int rc2_ = (call);                                              \
		if (rc2_ != (code)) {                                           \
			pond_test_fail(__FILE__, __LINE__, "%s returned %d, want %d: %s", #call, \
			               rc2_, (int)(code), (errp)->msg);          \
			return;                                                 \
		}                                                               \
	} while (0)

#define CHECK_CONTAINS(hay, needle)                                             \
	do {                                                                    \
		const char *h_ = (hay), *n_ = (needle);                         \
		if (!h_ || !strstr(h_, n_)) {                                   \
			pond_test_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", \
			               h_ ? h_ : "(null)", n_);                  \
			return;                                                 \
		}                                                               \
	} while (0)

#endif
