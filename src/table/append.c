/*
 * Appends: the query's rows, cast to the table's columns, become new data
 * files (split by the table's partition spec) in one manifest, committed as
 * one "append" snapshot through the shared write path (write.c). An
 * append of few rows goes to the table's row buffer instead (buffer.c).
 */
#include "table_internal.h"

#include <string.h>

int pond_table_append_query(pond_lake *lake, const pond_table_ident *id, const char *select_sql,
                            const pond_write_options *opts, pond_write_result *out, pond_error *err)
{
	memset(out, 0, sizeof(*out));
	pond__write w;
	int rc = pond__write_begin(&w, lake, id, opts, err);
	if (rc)
		return rc;
	pond_buf sql = POND_BUF_INIT;
	rc = pond__write_cast_select(&w, &sql, select_sql, err);
	if (rc == 0) {
		pond__change change = {0};
		change.rows_sql = pond_buf_cstr(&sql);
		change.operation = "append";
		w.buffer_max_rows = lake->write_through ? 0 : pond__buffer_max_rows(w.md);
		rc = pond__write_commit_change(&w, &change, out, err);
		if (rc == 0 && out->buffered)
			pond__buffer_after_put(&w);
	}
	if (rc)
		rc = pond__write_cast_error(&w, select_sql, rc, err);
	pond_buf_dispose(&sql);
	pond__write_end(&w);
	return rc;
}
