/*
 * Overwrites: the query's rows replace the whole table, or the rows a
 * filter matches (the files holding them are rewritten without them), in
 * one "overwrite" snapshot.
 */
#include "table_internal.h"

#include <string.h>

int pond_table_overwrite_query(pond_lake *lake, const pond_table_ident *id, const char *select_sql,
                               const char *filter_sql, const pond_write_options *opts, pond_write_result *out,
                               pond_error *err)
{
	memset(out, 0, sizeof(*out));
	pond__write w;
	pond_write_options adjusted;
	int rc = pond__buffer_flush_first(lake, id, opts, &adjusted, &opts, err);
	if (rc || (rc = pond__write_begin(&w, lake, id, opts, err)) != 0)
		return rc;
	pond_buf sql = POND_BUF_INIT;
	rc = pond__write_cast_select(&w, &sql, select_sql, err);
	if (rc == 0) {
		pond__change change = {0};
		change.rows_sql = pond_buf_cstr(&sql);
		change.operation = "overwrite";
		change.remove_all = filter_sql == NULL;
		change.remove_where = filter_sql;
		change.prune = filter_sql ? pond__write_prune(&w, filter_sql) : NULL;
		rc = pond__write_commit_change(&w, &change, out, err);
	}
	if (rc) {
		rc = pond__write_cast_error(&w, select_sql, rc, err);
		pond__write_error(&w, err, "overwrite");
	}
	pond_buf_dispose(&sql);
	pond__write_end(&w);
	return rc;
}
