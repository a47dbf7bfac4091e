/*
 * Merges (upserts on key columns): the query's rows are materialised once
 * in a temporary DuckDB table (its rowid keeps the query's order), the
 * files holding a row with one of those keys are rewritten without them,
 * and the query's rows are added with one row per key, the last one
 * winning, all in one snapshot. Keys compare with IS NOT DISTINCT FROM, so
 * a null key is a key like any other and re-merging the same rows changes
 * nothing in the row count.
 */
#include "table_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int pond_table_merge_query(pond_lake *lake, const pond_table_ident *id, const char *select_sql,
                           const char *const *keys, size_t nkeys, const pond_write_options *opts,
                           pond_write_result *out, pond_error *err)
{
	memset(out, 0, sizeof(*out));
	pond__write w;
	pond_write_options adjusted;
	int rc = pond__buffer_flush_first(lake, id, opts, &adjusted, &opts, err);
	if (rc || (rc = pond__write_begin(&w, lake, id, opts, err)) != 0)
		return rc;
	pond_buf sql = POND_BUF_INIT, rows = POND_BUF_INIT, match = POND_BUF_INIT, drop = POND_BUF_INIT;
	char tmp[64];
	snprintf(tmp, sizeof tmp, "__pond_merge_%016" PRIx64, (uint64_t)pond_random_i63());
	bool created = false;
	if (nkeys == 0) {
		rc = pond_error_set(err, POND_EINVAL, "merge into %s needs at least one key column", w.name);
		goto done;
	}
	for (size_t k = 0; k < nkeys; k++) {
		bool found = false;
		for (size_t f = 0; f < w.schema->root->nfields && !found; f++)
			found = strcmp(w.schema->root->fields[f].name, keys[k]) == 0;
		if (!found) {
			rc = pond_error_set(err, POND_EINVAL, "merge into %s: key column \"%s\" is not a column of the table",
			                    w.name, keys[k]);
			goto done;
		}
	}
	pond_buf_printf(&sql, "CREATE TEMP TABLE \"%s\" AS ", tmp);
	if ((rc = pond__write_cast_select(&w, &sql, select_sql, err)) != 0)
		goto done;
	if (!pond_buf_ok(&sql)) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = pond_engine_exec(lake->engine, pond_buf_cstr(&sql), err)) != 0) {
		rc = pond__write_cast_error(&w, select_sql, rc, err);
		goto done;
	}
	created = true;
	/* One row per key: the last in the query's order. */
	pond_buf_printf(&rows, "SELECT * FROM \"%s\" QUALIFY row_number() OVER (PARTITION BY ", tmp);
	pond_buf_printf(&match, "EXISTS (SELECT 1 FROM \"%s\" __pond_m WHERE ", tmp);
	for (size_t k = 0; k < nkeys; k++) {
		pond_buf_puts(&rows, k ? ", " : "");
		pond_sql_quote_ident(&rows, keys[k]);
		pond_buf_puts(&match, k ? " AND __pond_m." : "__pond_m.");
		pond_sql_quote_ident(&match, keys[k]);
		pond_buf_puts(&match, " IS NOT DISTINCT FROM __pond_d.");
		pond_sql_quote_ident(&match, keys[k]);
	}
	pond_buf_puts(&rows, " ORDER BY rowid DESC) = 1");
	pond_buf_putc(&match, ')');
	if (!pond_buf_ok(&rows) || !pond_buf_ok(&match)) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		goto done;
	}
	pond__change change = {0};
	change.rows_sql = pond_buf_cstr(&rows);
	change.remove_where = pond_buf_cstr(&match);
	rc = pond__write_commit_change(&w, &change, out, err);
done:
	if (created) {
		pond_error ignored = POND_ERROR_INIT;
		pond_buf_printf(&drop, "DROP TABLE IF EXISTS temp.\"%s\"", tmp);
		if (pond_buf_ok(&drop))
			pond_engine_exec(lake->engine, pond_buf_cstr(&drop), &ignored);
	}
	if (rc)
		pond__write_error(&w, err, "merge into");
	pond_buf_dispose(&sql);
	pond_buf_dispose(&rows);
	pond_buf_dispose(&match);
	pond_buf_dispose(&drop);
	pond__write_end(&w);
	return rc;
}
