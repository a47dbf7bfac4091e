/*
 * Catalog test helpers: a fresh catalog location per test, on SQLite and
 * on the test PostgreSQL server (one new schema per test, so tests and
 * runs never see each other's rows).
 */
#include "catalog_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool catalog_test_uri(catalog_backend_kind bk, char *uri, size_t n)
{
	if (bk == BK_SQLITE) {
		snprintf(uri, n, "%s/catalog.db", pond_test_tmpdir());
		return true;
	}
	const char *base = getenv("POND_TEST_PG_URL");
	if (!base || !*base) {
		pond_test_fail(__FILE__, __LINE__,
		               "POND_TEST_PG_URL is not set: run the PostgreSQL catalog tests through "
		               "tests/run.sh, which starts a test server (or export the URL of one)");
		return false;
	}
	static unsigned counter;
	char schema[64];
	snprintf(schema, sizeof(schema), "pond_t%ld_%u_%ld", (long)getpid(), counter++,
	         (long)(pond_random_i63() % 1000000));
	pond_catalog_options opts = POND_CATALOG_OPTIONS_INIT;
	opts.create_tables = false;
	pond_catalog *admin = NULL;
	pond_error err = POND_ERROR_INIT;
	char sql[128];
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", schema);
	if (pond_catalog_open(&admin, base, &opts, &err) ||
	    pond_catalog_exec(admin, sql, NULL, 0, NULL, &err)) {
		pond_catalog_close(&admin);
		pond_test_fail(__FILE__, __LINE__, "could not prepare a schema on %s: %s", base, err.msg);
		return false;
	}
	pond_catalog_close(&admin);
	/* libpq's options parameter: this connection's search_path. */
	snprintf(uri, n, "%s%soptions=-csearch_path%%3D%s", base, strchr(base, '?') ? "&" : "?",
	         schema);
	return true;
}
