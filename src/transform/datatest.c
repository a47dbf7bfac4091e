/*
 * Running a data test: its query returns the failing rows; the test
 * passes when there are none. A failing test reports how many rows failed
 * and the first five, as "column=value" lines.
 */
#include "transform_internal.h"

#include <duckdb.h>
#include <string.h>

#define SAMPLE_ROWS 5

static int sample_rows(tf_worker *w, const char *sql, pond_arena *a, const char **out, pond_error *err)
{
	pond_result *res = NULL;
	int rc = pond__transform_query(
	        w, pond_arena_sprintf(a, "SELECT * FROM (%s\n) AS pond_test LIMIT %d", sql, SAMPLE_ROWS), a, &res, err);
	pond_buf buf = POND_BUF_INIT;
	duckdb_data_chunk chunk;
	idx_t ncols = rc == 0 ? pond_result_column_count(res) : 0;
	while (rc == 0 && (rc = pond_result_next(res, &chunk, err)) == 1) {
		idx_t n = duckdb_data_chunk_get_size(chunk);
		for (idx_t row = 0; row < n; row++) {
			if (buf.len)
				pond_buf_putc(&buf, '\n');
			for (idx_t c = 0; c < ncols; c++) {
				pond_buf_printf(&buf, "%s%s=", c ? ", " : "", pond_result_column_name(res, c));
				if (!pond_value_format(&buf, duckdb_data_chunk_get_vector(chunk, c), pond_result_column_type(res, c),
				                       row, POND_VALUE_TEXT))
					pond_buf_puts(&buf, "NULL");
			}
		}
		duckdb_destroy_data_chunk(&chunk);
		rc = 0;
	}
	pond_result_free(&res);
	*out = rc == 0 && buf.len && pond_buf_ok(&buf) ? pond_arena_strdup(a, pond_buf_cstr(&buf)) : NULL;
	pond_buf_dispose(&buf);
	return rc;
}

void pond__transform_run_test(tf_worker *w, const tf_test *test, const char *model, pond_arena *a,
                              pond_test_outcome *out)
{
	int64_t start = pond_time_mono_ns();
	pond_error err = POND_ERROR_INIT;
	memset(out, 0, sizeof(*out));
	out->name = test->name;
	out->model = model;
	out->warn = test->warn;
	int64_t failures = 0;
	int rc = pond__transform_query_int(
	        w, pond_arena_sprintf(a, "SELECT count(*) FROM (%s\n) AS pond_test", test->sql), a, &failures, &err);
	if (rc == 0 && failures > 0)
		rc = sample_rows(w, test->sql, a, &out->sample, &err);
	out->failures = failures;
	if (rc) {
		out->status = POND_TEST_ERROR;
		out->message = pond_arena_strdup(a, err.msg);
	} else {
		out->status = failures == 0 ? POND_TEST_PASS : test->warn ? POND_TEST_WARN : POND_TEST_FAIL;
	}
	out->duration_ns = pond_time_mono_ns() - start;
}
