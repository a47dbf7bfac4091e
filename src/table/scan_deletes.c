/*
 * The deletes of a read (scan_sql.c): position delete files become an
 * anti-join on (data file, row position), equality delete files one
 * anti-join each on their equality columns; each applies only to the data
 * files scan planning attached it to.
 */
#include "table_internal.h"

#include <inttypes.h>
#include <string.h>

static int oom(const pond__scan_read *r)
{
	return pond_error_set(r->err, POND_ENOMEM, "out of memory building the read SQL");
}

int pond__scan_position_deletes(const pond__scan_read *r, const char **out)
{
	*out = NULL;
	pond__path_map dels = {0}, tasks = {0};
	int rc = 0;
	const char **dpaths = NULL;
	size_t nd = 0;
	for (size_t t = 0; t < r->ntasks && rc == 0; t++) {
		const pond_scan_task *task = r->tasks[t];
		for (size_t d = 0; d < task->ndeletes && rc == 0; d++) {
			const pond_scan_delete *del = task->deletes[d];
			if (del->content != POND_CONTENT_POSITION_DELETES)
				continue;
			if (!pond__path_map_get(&dels, del->path, NULL)) {
				if (pond__path_map_put(&dels, del->path, (int64_t)nd) != 0)
					rc = oom(r);
				const char **nds = rc ? NULL : pond_arena_calloc(r->arena, nd + 1, sizeof(char *));
				if (!rc && !nds)
					rc = oom(r);
				if (rc)
					break;
				if (nd)
					memcpy(nds, dpaths, nd * sizeof(char *));
				nds[nd++] = del->path;
				dpaths = nds;
			}
			if (pond__path_map_put(&tasks, task->path, (int64_t)t) != 0)
				rc = oom(r);
		}
	}
	if (rc || nd == 0)
		goto done;
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "SELECT string_agg(d || chr(1) || f, chr(2)) FROM (SELECT DISTINCT "
	                    "__pond_del AS d, file_path AS f FROM read_parquet(");
	pond__scan_put_file_list(&sql, dpaths, nd);
	pond_buf_puts(&sql, ", filename = '__pond_del'))");
	char *list = NULL;
	rc = pond_buf_ok(&sql) ? pond_engine_query_string(r->engine, pond_buf_cstr(&sql), &list, r->err) : oom(r);
	pond_buf_dispose(&sql);
	if (rc) {
		pond_error_prefix(r->err, "could not read position deletes");
		goto done;
	}
	pond_buf values = POND_BUF_INIT, resolved = POND_BUF_INIT;
	size_t nvalues = 0;
	for (char *p = list, *next; p && *p; p = next) {
		next = strchr(p, '\2');
		if (next)
			*next++ = '\0';
		char *recorded = strchr(p, '\1');
		if (!recorded)
			continue;
		*recorded++ = '\0';
		pond_buf_clear(&resolved);
		pond_fileio_resolve(r->io, recorded, &resolved);
		/* The data file as the read names it: its local copy on an
		 * object store (NULL when the read does not hold it). */
		const char *read_as = pond_buf_ok(&resolved) ? pond_fileio_held(r->io, pond_buf_cstr(&resolved)) : NULL;
		int64_t ti;
		if (!read_as || !pond__path_map_get(&tasks, read_as, &ti))
			continue;
		bool attached = false;
		const pond_scan_task *task = r->tasks[ti];
		for (size_t d = 0; d < task->ndeletes && !attached; d++)
			attached = strcmp(task->deletes[d]->path, p) == 0;
		if (!attached)
			continue;
		pond_buf_puts(&values, nvalues++ ? ", (" : "(");
		pond_sql_quote_literal(&values, p);
		pond_buf_puts(&values, ", ");
		pond_sql_quote_literal(&values, recorded);
		pond_buf_puts(&values, ", ");
		pond_sql_quote_literal(&values, read_as);
		pond_buf_putc(&values, ')');
	}
	pond_free(list);
	if (nvalues) {
		pond_buf_puts(&sql, "SELECT __pond_m.r AS f, __pond_p.pos AS pos FROM read_parquet(");
		pond__scan_put_file_list(&sql, dpaths, nd);
		pond_buf_puts(&sql, ", filename = '__pond_del') __pond_p JOIN (VALUES ");
		pond_buf_puts(&sql, pond_buf_cstr(&values));
		pond_buf_puts(&sql, ") __pond_m(d, q, r) ON __pond_p.__pond_del = __pond_m.d AND __pond_p.file_path = __pond_m.q");
		if (!pond_buf_ok(&sql) || !(*out = pond_arena_strdup(r->arena, pond_buf_cstr(&sql))))
			rc = oom(r);
	}
	if (!pond_buf_ok(&values) || !pond_buf_ok(&resolved))
		rc = oom(r);
	pond_buf_dispose(&sql);
	pond_buf_dispose(&values);
	pond_buf_dispose(&resolved);
done:
	pond__path_map_dispose(&dels);
	pond__path_map_dispose(&tasks);
	return rc;
}

int pond__scan_equality_deletes(const pond__scan_read *r, pond_buf *sql)
{
	pond__path_map seen = {0};
	int rc = 0;
	size_t k = 0;
	for (size_t t = 0; t < r->ntasks && rc == 0; t++) {
		for (size_t d = 0; d < r->tasks[t]->ndeletes && rc == 0; d++) {
			const pond_scan_delete *del = r->tasks[t]->deletes[d];
			if (del->content != POND_CONTENT_EQUALITY_DELETES || pond__path_map_get(&seen, del->path, NULL))
				continue;
			if (pond__path_map_put(&seen, del->path, 1) != 0) {
				rc = oom(r);
				break;
			}
			/* The files it applies to. */
			size_t nattached = 0;
			pond_buf in = POND_BUF_INIT;
			for (size_t u = 0; u < r->ntasks; u++) {
				for (size_t e = 0; e < r->tasks[u]->ndeletes; e++) {
					if (r->tasks[u]->deletes[e] != del)
						continue;
					pond_buf_puts(&in, nattached++ ? ", " : "");
					pond_sql_quote_literal(&in, r->tasks[u]->path);
					break;
				}
			}
			pond_buf_printf(sql, " ANTI JOIN (SELECT * FROM read_parquet(");
			const char *one[1] = {del->path};
			pond__scan_put_file_list(sql, one, 1);
			pond_buf_puts(sql, ", schema = map {");
			for (size_t q = 0; q < del->nequality_ids; q++) {
				const pond_iceberg_field *fld = pond_iceberg_schema_find_field(r->schema, del->equality_ids[q]);
				bool top = false;
				for (size_t f = 0; fld && f < r->schema->root->nfields; f++)
					top |= &r->schema->root->fields[f] == fld;
				if (!top) {
					pond_buf_dispose(&in);
					rc = pond_error_set(r->err, POND_EUNSUPPORTED,
					                    "equality delete file %s uses column id %" PRId32
					                    ", which is not a top-level column of the schema read",
					                    del->path, del->equality_ids[q]);
					goto done;
				}
				pond_buf_printf(sql, "%s%" PRId32 ": {name: '__pond_eq_%" PRId32 "', type: ", q ? ", " : "",
				                fld->id, fld->id);
				pond__scan_put_type_literal(sql, fld->type);
				pond_buf_puts(sql, ", default_value: NULL}");
			}
			pond_buf_printf(sql, "})) __pond_e%zu ON ", k);
			bool all = nattached == r->ntasks;
			if (!all)
				pond_buf_printf(sql, "__pond_d." POND_SCAN_FILE_COLUMN " IN (%s)", pond_buf_cstr(&in));
			for (size_t q = 0; q < del->nequality_ids; q++) {
				const pond_iceberg_field *fld = pond_iceberg_schema_find_field(r->schema, del->equality_ids[q]);
				pond_buf_printf(sql, "%s__pond_e%zu.\"__pond_eq_%" PRId32 "\" IS NOT DISTINCT FROM __pond_d.",
				                (q || !all) ? " AND " : "", k, fld->id);
				pond_sql_quote_ident(sql, r->inner[fld - r->schema->root->fields]);
			}
			if (del->nequality_ids == 0 && all)
				pond_buf_puts(sql, "true");
			if (!pond_buf_ok(&in))
				rc = oom(r);
			pond_buf_dispose(&in);
			k++;
		}
	}
done:
	pond__path_map_dispose(&seen);
	return rc;
}
