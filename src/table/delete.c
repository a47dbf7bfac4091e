/*
 * Copy-on-write deletes: the files holding rows that match the filter are
 * rewritten without them, in one snapshot ("delete" when whole files went,
 * "overwrite" when some rows were kept in new files). The filter is SQL
 * over the table's columns; when pond's own filter parser reads it, it
 * also prunes the files looked at.
 */
#include "table_internal.h"

#include <string.h>

/* The filter as a pruning expression, or NULL when pond cannot read it
 * (DuckDB still evaluates it on every candidate file). */
const pond_expr *pond__write_prune(pond__write *w, const char *filter_sql)
{
	pond_expr *e = NULL;
	pond_error ignored = POND_ERROR_INIT;
	if (pond_expr_parse(&e, filter_sql, w->arena, &ignored) != 0)
		return NULL;
	return e;
}

void pond__write_error(pond__write *w, pond_error *err, const char *verb)
{
	if (err && err->code != POND_ECONFLICT && !strstr(err->msg, w->name))
		pond_error_prefix(err, "could not %s %s", verb, w->name);
}

int pond_table_delete_where(pond_lake *lake, const pond_table_ident *id, const char *filter_sql,
                            const pond_write_options *opts, pond_write_result *out, pond_error *err)
{
	pond__change change = {0};
	change.remove_where = filter_sql;
	return pond__write_retrying(lake, id, &change, opts, "delete from", out, err);
}
