/*
 * Compaction (pond compact): small data files, files with many deleted
 * rows and files of an older partition spec are rewritten as files of
 * about the target size, in one "replace" snapshot, as Java's
 * rewrite-data-files with its bin-pack defaults does:
 *
 * - a file is a candidate when it is smaller than 75% or larger than 180%
 *   of the target size (larger only for an unpartitioned spec: the engine
 *   cannot split a partition's output by size), when file-scoped deletes
 *   remove at least 30% of its rows, or when it was written under another
 *   partition spec than the default one;
 * - candidates group by partition; a group is rewritten when it holds at
 *   least min-input-files files, or more than one file and more than the
 *   target size, or more than 180% of it, or a file that must go;
 * - the rows of the rewritten files, their deletes applied, are written
 *   through the write path (write.c), sorted by the table's sort order
 *   when it has one: unpartitioned, in one engine write that closes files
 *   at the target size; partitioned, a group's files go into bins of up to
 *   the target size, and the engine writes the first bin of every group,
 *   then the second, ..., one file per partition each; delete files that
 *   then apply to no live data file leave in the same commit.
 *
 * The new files keep the data sequence number of the snapshot the
 * compaction read (the spec allows it for rewrites), so an equality delete
 * committed meanwhile still applies to the rewritten rows; appends
 * committed meanwhile stay, and a commit that removed a rewritten file or
 * added a position delete to it makes the compaction a conflict.
 */
#include "table_internal.h"

#include <inttypes.h>
#include <string.h>

#define COMPACT_DEFAULT_TARGET ((int64_t)512 << 20)  /* Java's write.target-file-size-bytes */
#define COMPACT_DEFAULT_MIN_INPUT_FILES 5
#define COMPACT_DEFAULT_DELETE_RATIO 0.3

/* What one compaction decides, over the plan of the snapshot it read. */
typedef struct compact_plan {
	const pond_scan_plan *plan;       /* borrowed */
	int64_t target, min_size, max_size;
	int min_input_files;
	double delete_ratio;
	bool *candidate;                  /* per task */
	bool *rewrite;                    /* per task */
	size_t *bin;                      /* per task: the write (round) of its group its rows go in */
	size_t nbins;                     /* rounds: the most bins of any group */
	size_t *attached;                 /* per delete file: data files it applies to */
	size_t *attached_kept;            /* ... of which stay */
	const char **remove;              /* rewritten data files, then delete files no kept file needs */
	size_t nremove;
	size_t nrewrite, ngroups;
	int64_t rewrite_bytes, removed_delete_files, removed_delete_bytes;
} compact_plan;

/* One partition's candidates. */
typedef struct compact_group {
	size_t nfiles;
	int64_t bytes;
	bool must;         /* holds a file that goes whatever the sizes say */
	size_t bin;        /* the bin being filled ... */
	int64_t bin_bytes; /* ... and its bytes so far */
} compact_group;

static int64_t target_size(const pond_iceberg_metadata *md, const pond_compact_options *opts)
{
	if (opts->target_file_size > 0)
		return opts->target_file_size;
	int64_t n = pond_iceberg_metadata_property_i64(md, "write.target-file-size-bytes", 0);
	return n > 0 ? n : COMPACT_DEFAULT_TARGET;
}

/* The rows of t that deletes scoped to it remove: those recording t as
 * their one data file, and those the plan attaches to t alone (Java counts
 * only file-scoped deletes; their counts are exact). */
static int64_t scoped_deleted_rows(const compact_plan *cp, const pond_scan_task *t)
{
	int64_t n = 0;
	for (size_t d = 0; d < t->ndeletes; d++) {
		const pond_scan_delete *del = t->deletes[d];
		size_t index = (size_t)(del - cp->plan->deletes);
		if (del->referenced_data_file || cp->attached[index] == 1)
			n += del->record_count;
	}
	return n < t->record_count ? n : t->record_count;
}

/* Whether t must be rewritten whatever its group: an older spec, or too
 * many deleted rows. */
static bool must_rewrite(const compact_plan *cp, const pond_scan_task *t, int32_t default_spec)
{
	if (t->spec_id != default_spec)
		return true;
	if (t->ndeletes == 0 || t->record_count <= 0)
		return false;
	return (double)scoped_deleted_rows(cp, t) / (double)t->record_count >= cp->delete_ratio;
}

/* A group's key: spec id and partition values; files of an older spec
 * all go, into partitions of the current one, as one group. */
static int group_key(pond_buf *key, const pond_scan_task *t, int32_t default_spec)
{
	pond_buf_clear(key);
	pond_buf_printf(key, "%" PRId32, t->spec_id);
	for (size_t i = 0; i < t->npartition && t->spec_id == default_spec; i++) {
		pond_buf_putc(key, '\1');
		pond_iceberg_literal_to_text(key, &t->partition[i]);
	}
	return pond_buf_ok(key) ? 0 : POND_ENOMEM;
}

static bool group_qualifies(const compact_plan *cp, const compact_group *g)
{
	return g->must || (g->nfiles > 1 && (g->nfiles >= (size_t)cp->min_input_files || g->bytes > cp->target)) ||
	       g->bytes > cp->max_size;
}

/* Marks the candidates (allowed: the tasks --where keeps, NULL: all) and
 * groups them by partition; cp->rewrite gets those of qualifying groups. */
static int choose_files(compact_plan *cp, const pond_iceberg_partition_spec *spec, const pond__path_map *allowed,
                        pond_error *err)
{
	const pond_scan_plan *plan = cp->plan;
	bool split_large = spec->nfields == 0;
	pond__path_map groups = {0};
	compact_group *g = pond_calloc(plan->ntasks + 1, sizeof(*g));
	size_t *group_of = pond_calloc(plan->ntasks + 1, sizeof(*group_of));
	bool *must = pond_calloc(plan->ntasks + 1, sizeof(*must));
	pond_buf key = POND_BUF_INIT;
	int rc = g && group_of && must ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t ngroups = 0;
	for (size_t i = 0; i < plan->ntasks && rc == 0; i++) {
		const pond_scan_task *t = &plan->tasks[i];
		if (allowed && !pond__path_map_get(allowed, t->path, NULL))
			continue;
		must[i] = must_rewrite(cp, t, spec->spec_id);
		bool small = t->file_size_in_bytes < cp->min_size;
		bool large = split_large && t->file_size_in_bytes > cp->max_size;
		if (!(cp->candidate[i] = must[i] || small || large))
			continue;
		int64_t index;
		if ((rc = group_key(&key, t, spec->spec_id)) != 0) {
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
			break;
		}
		if (!pond__path_map_get(&groups, pond_buf_cstr(&key), &index)) {
			index = (int64_t)ngroups++;
			if (pond__path_map_put(&groups, pond_buf_cstr(&key), index) != 0) {
				rc = pond_error_set(err, POND_ENOMEM, "out of memory");
				break;
			}
		}
		group_of[i] = (size_t)index;
		g[index].nfiles++;
		g[index].bytes += t->file_size_in_bytes;
		g[index].must |= must[i];
	}
	for (size_t i = 0; i < ngroups && rc == 0; i++)
		cp->ngroups += group_qualifies(cp, &g[i]);
	for (size_t i = 0; i < plan->ntasks && rc == 0; i++) {
		compact_group *gi = &g[group_of[i]];
		if (!cp->candidate[i] || !group_qualifies(cp, gi))
			continue;
		cp->rewrite[i] = true;
		cp->nrewrite++;
		cp->rewrite_bytes += plan->tasks[i].file_size_in_bytes;
		/* Bins of up to the target size, filled in turn. The engine
		 * splits unpartitioned output by size itself: one bin there. */
		int64_t size = plan->tasks[i].file_size_in_bytes;
		if (!split_large && gi->bin_bytes > 0 && gi->bin_bytes + size > cp->target) {
			gi->bin++;
			gi->bin_bytes = 0;
		}
		gi->bin_bytes += size;
		cp->bin[i] = gi->bin;
		if (gi->bin + 1 > cp->nbins)
			cp->nbins = gi->bin + 1;
	}
	pond_buf_dispose(&key);
	pond__path_map_dispose(&groups);
	pond_free(g);
	pond_free(group_of);
	pond_free(must);
	return rc;
}

/* cp->remove: the rewritten data files, then the delete files that apply
 * to no data file that stays (those left dangling earlier included). */
static int removal_list(compact_plan *cp, pond_arena *a, pond_error *err)
{
	const pond_scan_plan *plan = cp->plan;
	for (size_t i = 0; i < plan->ntasks; i++)
		for (size_t d = 0; d < plan->tasks[i].ndeletes; d++)
			cp->attached_kept[plan->tasks[i].deletes[d] - plan->deletes] += !cp->rewrite[i];
	cp->remove = pond_arena_calloc(a, cp->nrewrite + plan->ndeletes + 1, sizeof(char *));
	if (!cp->remove)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < plan->ntasks; i++)
		if (cp->rewrite[i])
			cp->remove[cp->nremove++] = plan->tasks[i].path;
	if (cp->nrewrite == 0)
		return 0;
	for (size_t d = 0; d < plan->ndeletes; d++) {
		if (cp->attached_kept[d])
			continue;
		cp->remove[cp->nremove++] = plan->deletes[d].path;
		cp->removed_delete_files++;
		cp->removed_delete_bytes += plan->deletes[d].file_size_in_bytes;
	}
	return 0;
}

/* Appends " ORDER BY ..." for the table's default sort order, when it has
 * one: monotonic transforms sort as their column does, bucket by its
 * value; fields on nested columns or void are left out. */
static void order_by(pond_buf *sql, const pond_iceberg_metadata *md, const pond_iceberg_schema *schema)
{
	const pond_iceberg_sort_order *order = pond_iceberg_metadata_sort_order(md, md->default_sort_order_id);
	size_t n = 0;
	for (size_t i = 0; order && i < order->nfields; i++) {
		const pond_iceberg_sort_field *sf = &order->fields[i];
		const pond_iceberg_field *col = NULL;
		for (size_t f = 0; f < schema->root->nfields; f++)
			if (schema->root->fields[f].id == sf->source_id)
				col = &schema->root->fields[f];
		if (!col || sf->transform.kind == POND_ICEBERG_VOID)
			continue;
		pond_buf_puts(sql, n++ ? ", " : " ORDER BY ");
		if (sf->transform.kind == POND_ICEBERG_BUCKET)
			pond_buf_puts(sql, "pond_bucket(");
		pond_sql_quote_ident(sql, col->name);
		if (sf->transform.kind == POND_ICEBERG_BUCKET)
			pond_buf_printf(sql, ", %d)", sf->transform.param);
		pond_buf_printf(sql, " %s NULLS %s", sf->descending ? "DESC" : "ASC",
		                sf->nulls_first ? "FIRST" : "LAST");
	}
}

/* The tasks --where keeps (*allowed stays empty without one). */
static int plan_where(pond__path_map *allowed, pond__write *w, const char *where, pond_error *err)
{
	pond_expr *filter;
	int rc = pond_expr_parse(&filter, where, w->arena, err);
	pond_scan_plan *plan = NULL;
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	so.filter = filter;
	if (rc == 0)
		rc = pond_scan_plan_files(&plan, w->md, w->io, &so, err);
	if (rc) {
		pond_error_prefix(err, "--where %s", where);
		return rc == POND_ENOMEM ? rc : POND_EINVAL;
	}
	for (size_t i = 0; i < plan->ntasks && rc == 0; i++)
		if (pond__path_map_put(allowed, plan->tasks[i].path, 1) != 0)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_scan_plan_free(&plan);
	return rc;
}

/* Decides what to rewrite (cp, allocated in w's arena). */
static int compact_choose(compact_plan *cp, pond__write *w, const pond_scan_plan *plan,
                          const pond_compact_options *opts, pond_error *err)
{
	memset(cp, 0, sizeof(*cp));
	cp->plan = plan;
	cp->target = target_size(w->md, opts);
	cp->min_size = cp->target / 4 * 3;
	cp->max_size = cp->target / 5 * 9;
	cp->min_input_files = opts->min_input_files > 0 ? opts->min_input_files : COMPACT_DEFAULT_MIN_INPUT_FILES;
	cp->delete_ratio = opts->delete_ratio > 0 ? opts->delete_ratio : COMPACT_DEFAULT_DELETE_RATIO;
	size_t nt = plan->ntasks + 1, nd = plan->ndeletes + 1;
	cp->candidate = pond_arena_calloc(w->arena, nt, sizeof(bool));
	cp->rewrite = pond_arena_calloc(w->arena, nt, sizeof(bool));
	cp->bin = pond_arena_calloc(w->arena, nt, sizeof(size_t));
	cp->attached = pond_arena_calloc(w->arena, nd, sizeof(size_t));
	cp->attached_kept = pond_arena_calloc(w->arena, nd, sizeof(size_t));
	if (!cp->candidate || !cp->rewrite || !cp->bin || !cp->attached || !cp->attached_kept)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < plan->ntasks; i++)
		for (size_t d = 0; d < plan->tasks[i].ndeletes; d++)
			cp->attached[plan->tasks[i].deletes[d] - plan->deletes]++;
	pond__path_map allowed = {0};
	int rc = opts->where ? plan_where(&allowed, w, opts->where, err) : 0;
	if (rc == 0)
		rc = choose_files(cp, w->spec, opts->where ? &allowed : NULL, err);
	pond__path_map_dispose(&allowed);
	if (rc == 0)
		rc = removal_list(cp, w->arena, err);
	return rc;
}

/* The rows of the rewritten files of bin number bin (their deletes
 * applied, sorted by the sort order), into sql; empty when none. */
static int bin_rows(pond__write *w, const compact_plan *cp, size_t bin, pond_buf *sql, pond_error *err)
{
	const pond_scan_plan *plan = cp->plan;
	const pond_scan_task **tasks = pond_arena_calloc(w->arena, cp->nrewrite + 1, sizeof(*tasks));
	if (!tasks)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < plan->ntasks; i++)
		if (cp->rewrite[i] && cp->bin[i] == bin)
			tasks[n++] = &plan->tasks[i];
	int rc = n ? pond__scan_sql_tasks(sql, w->lake->engine, w->md, w->io, w->schema, tasks, n, false, err) : 0;
	if (rc == 0 && n)
		order_by(sql, w->md, w->schema);
	return rc == 0 && !pond_buf_ok(sql) ? pond_error_set(err, POND_ENOMEM, "out of memory") : rc;
}

/* Rewrites what cp chose and commits it: the first bin of every group in
 * one write, the second in the next, ... */
static int compact_commit(pond__write *w, const compact_plan *cp, pond_write_result *out, pond_error *err)
{
	const pond_scan_plan *plan = cp->plan;
	size_t nbins = cp->nbins ? cp->nbins : 1;
	pond_buf *rows = pond_calloc(nbins, sizeof(*rows));
	const char **rounds = pond_arena_calloc(w->arena, nbins, sizeof(char *));
	int rc = rows && rounds ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t b = 0; b < nbins && rc == 0; b++) {
		rows[b] = (pond_buf)POND_BUF_INIT;
		if ((rc = bin_rows(w, cp, b, &rows[b], err)) == 0)
			rounds[b] = rows[b].len ? pond_buf_cstr(&rows[b]) : NULL;
	}
	const pond_iceberg_snapshot *read = pond_iceberg_metadata_snapshot(w->md, plan->snapshot_id);
	if (rc == 0) {
		pond__change change = {0};
		change.rows_sql = rounds[0];
		change.rows_rounds = rounds + 1;
		change.nrows_rounds = nbins - 1;
		change.operation = "replace";
		change.remove_files = cp->remove;
		change.nremove_files = cp->nremove;
		change.read_snapshot_id = plan->snapshot_id;
		change.has_data_sequence_number = read && w->md->format_version >= 2;
		change.data_sequence_number = read ? read->sequence_number : 0;
		w->target_file_size = cp->target;
		rc = pond__write_commit_change(w, &change, out, err);
	}
	for (size_t b = 0; rows && b < nbins; b++)
		pond_buf_dispose(&rows[b]);
	pond_free(rows);
	return rc;
}

/* The counts of the snapshot read, before. */
static void count_before(pond_compact_result *out, const pond_scan_plan *plan)
{
	out->data_files_before = (int64_t)plan->ntasks;
	out->delete_files_before = (int64_t)plan->ndeletes;
	out->bytes_before = plan->data_bytes;
	for (size_t d = 0; d < plan->ndeletes; d++)
		out->bytes_before += plan->deletes[d].file_size_in_bytes;
}

int pond_table_compact(pond_lake *lake, const pond_table_ident *id, const pond_compact_options *opts,
                       pond_compact_result *out, pond_error *err)
{
	static const pond_compact_options defaults = POND_COMPACT_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	memset(out, 0, sizeof(*out));
	pond_write_options wo = POND_WRITE_OPTIONS_INIT;
	wo.cancel = opts->cancel;
	pond__write w;
	int rc = pond__write_begin(&w, lake, id, &wo, err);
	if (rc)
		return rc;
	pond_scan_plan *plan = NULL;
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	rc = pond_scan_plan_files(&plan, w.md, w.io, &so, err);
	compact_plan cp;
	if (rc == 0) {
		count_before(out, plan);
		rc = compact_choose(&cp, &w, plan, opts, err);
	}
	if (rc == 0 && opts->progress) {
		pond_compact_progress p = {w.name, out->data_files_before, out->bytes_before, (int64_t)cp.nrewrite,
		                           cp.rewrite_bytes, (int64_t)cp.ngroups};
		opts->progress(&p, opts->payload);
	}
	pond_write_result wr = {0};
	if (rc == 0 && cp.nremove)
		rc = compact_commit(&w, &cp, &wr, err);
	if (rc == 0) {
		out->snapshot_id = wr.snapshot_id;
		out->groups = wr.snapshot_id ? (int64_t)cp.ngroups : 0;
		out->rewritten_files = wr.deleted_files;
		out->rewritten_bytes = wr.snapshot_id ? cp.rewrite_bytes : 0;
		out->added_files = wr.added_files;
		out->added_bytes = wr.added_bytes;
		out->removed_delete_files = wr.snapshot_id ? cp.removed_delete_files : 0;
		out->data_files_after = out->data_files_before - out->rewritten_files + out->added_files;
		out->delete_files_after = out->delete_files_before - out->removed_delete_files;
		out->bytes_after = out->bytes_before - out->rewritten_bytes + out->added_bytes -
		                   (wr.snapshot_id ? cp.removed_delete_bytes : 0);
	} else {
		pond__write_error(&w, err, "compact");
	}
	pond_scan_plan_free(&plan);
	pond__write_end(&w);
	return rc;
}
