/*
 * Copy-on-write updates: the files holding rows that match the filter are
 * rewritten, their other rows as they were and the matching rows replaced
 * by the update's SELECT over exactly those rows, read from the same files
 * in the same pass, so an update can neither drop nor duplicate a row
 * whatever scan planning pruned. A conflict with a concurrent commit
 * (write.c validates it) re-reads the table and tries again a few times:
 * each conflict means another writer got its change in.
 */
#include "table_internal.h"

#include <string.h>

/* How often a copy-on-write statement re-reads the table after losing to
 * a concurrent commit before it reports the conflict. */
#define STATEMENT_ATTEMPTS 4

int pond__write_retrying(pond_lake *lake, const pond_table_ident *id, const pond__change *change,
                         const pond_write_options *opts, const char *verb, pond_write_result *out, pond_error *err)
{
	pond_write_options adjusted;
	int rc = pond__buffer_flush_first(lake, id, opts, &adjusted, &opts, err);
	for (int attempt = 0; attempt < STATEMENT_ATTEMPTS && rc == 0; attempt++) {
		memset(out, 0, sizeof(*out));
		pond__write w;
		if ((rc = pond__write_begin(&w, lake, id, opts, err)) != 0)
			return rc;
		pond__change mine = *change;
		if (mine.remove_where && !mine.prune)
			mine.prune = pond__write_prune(&w, mine.remove_where);
		rc = pond__write_commit_change(&w, &mine, out, err);
		if (rc && rc != POND_ECONFLICT)
			pond__write_error(&w, err, verb);
		pond__write_end(&w);
		/* A read snapshot fixed by the caller cannot be re-read here. */
		if (rc != POND_ECONFLICT || (opts && opts->has_read_snapshot))
			break;
		pond_debug("%s: %s; reading the table again", verb, err->msg);
	}
	return rc;
}

int pond_table_update_where(pond_lake *lake, const pond_table_ident *id, const char *updated_sql,
                            const char *filter_sql, const pond_write_options *opts, pond_write_result *out,
                            pond_error *err)
{
	pond__change change = {0};
	change.remove_where = filter_sql;
	change.matched_rows_sql = updated_sql;
	change.operation = "overwrite";
	return pond__write_retrying(lake, id, &change, opts, "update", out, err);
}
