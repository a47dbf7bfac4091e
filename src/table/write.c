/*
 * The one write path of the table layer. Appends, overwrites, deletes and
 * merges are all "remove some rows, add some rows" in one snapshot:
 *
 * 1. plan the files that may hold rows to remove, and ask DuckDB which of
 *    them really do;
 * 2. write, in one Parquet write, the rows those files keep plus the rows
 *    to add (split by the partition spec), into a folder of its own under
 *    data/ (removed if anything later fails);
 * 3. describe the new files in one manifest (entries ADDED);
 * 4. commit: each attempt reads the branch head's manifests afresh, keeps
 *    those it does not touch, rewrites those holding removed files (those
 *    entries DELETED, the rest EXISTING with their sequence numbers),
 *    writes a manifest list and adds the snapshot. A removed file that is
 *    no longer live in the fresh head means another writer changed it
 *    first: a conflict, not a silent loss.
 *
 * Steps 2 and 3, the files a write adds, are write_files.c. Snapshot
 * summaries carry the keys Java writes.
 */
#include "table_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The spec a replacing schema leaves the table with (add-spec finds or
 * numbers it). */
static const pond_iceberg_partition_spec unpartitioned = {0};

/* ---- the commit ---- */

typedef struct change_commit {
	pond__write *w;
	const pond__change *change;
	int64_t snapshot_id;
	bool has_manifest;
	pond_manifest_file manifest;      /* the new data manifest */
	int64_t added_records, added_bytes, added_files;
	pond__path_map added_partitions;
	pond__path_map removed;           /* resolved paths of data files to remove */
	/* the snapshot the change read (planned its files at) */
	bool has_read;
	int64_t read_snapshot_id;
	int64_t read_sequence;            /* its sequence number: later files are newer */
	/* this attempt */
	int attempt;
	/* The attempt's manifest list, owned here: the commit loop resets its
	 * arena between attempts, and an arena copy would be freed (or hold
	 * another path, such as a committed snapshot's list) by the time the
	 * next attempt removes it. */
	char *list_path;
	char **written;                   /* manifests this attempt wrote */
	size_t nwritten, capwritten;
	int64_t deleted_records, deleted_files, removed_bytes;
	int64_t removed_delete_files, removed_pos_deletes, removed_eq_deletes;
	int64_t moved_files, moved_records, moved_bytes;  /* added back at change->move_to */
	const char *operation;
} change_commit;

/* Removes a file this write made, named by its recorded path: in a table
 * that moved (restored elsewhere), the file is at the resolved path. */
static void unlink_recorded(pond_fileio *io, const char *path)
{
	pond_buf real = POND_BUF_INIT;
	pond_fileio_resolve(io, path, &real);
	if (pond_buf_ok(&real))
		pond__table_remove_file(io, pond_buf_cstr(&real));
	pond_buf_dispose(&real);
}

/* Removes what the last attempt wrote (it lost the race or failed). */
static void undo_attempt(change_commit *c)
{
	if (c->list_path)
		unlink_recorded(c->w->io, c->list_path);
	pond_free(c->list_path);
	c->list_path = NULL;
	for (size_t i = 0; i < c->nwritten; i++) {
		unlink_recorded(c->w->io, c->written[i]);
		pond_free(c->written[i]);
	}
	c->nwritten = 0;
}

static int remember_written(change_commit *c, const char *path, pond_error *err)
{
	return pond__strlist_add(&c->written, &c->nwritten, &c->capwritten, path, err);
}

static int remember_merged(void *payload, const char *path, pond_error *err)
{
	return remember_written(payload, path, err);
}

static const char *summary_value(const pond_iceberg_snapshot *s, const char *key)
{
	for (size_t i = 0; s && i < s->nsummary; i++)
		if (strcmp(s->summary[i].key, key) == 0)
			return s->summary[i].value;
	return NULL;
}

/* What a manifest's entry does to the snapshot: removed or kept. */
static bool entry_removed(change_commit *c, const pond_manifest_entry *e, pond_buf *resolved, pond__path_map *found)
{
	if (c->change->remove_all)
		return true;
	/* Delete files go only when named (a rewrite applied them). */
	if (c->removed.n == 0 || (e->data_file.content != POND_CONTENT_DATA && !c->change->nremove_files))
		return false;
	pond_buf_clear(resolved);
	pond_fileio_resolve(c->w->io, e->data_file.file_path, resolved);
	if (!pond__path_map_get(&c->removed, pond_buf_cstr(resolved), NULL))
		return false;
	if (found && pond__path_map_put(found, pond_buf_cstr(resolved), 1) != 0)
		found->oom = true;
	return true;
}

/* Where a change that removes files by name (a compaction) writes the
 * parent manifests it rewrites: one manifest per content and spec for all
 * of them. A compaction touches thousands of small manifests, and one new
 * manifest each would cost more than the data. */
typedef struct shared_manifests {
	size_t n;
	struct {
		pond_manifest_content content;
		int32_t spec_id;
		pond_manifest_writer *mw;
	} w[8];
} shared_manifests;

/* A new manifest of this attempt, for mf's entries, at a fresh path
 * (remembered, so a failure anywhere removes it). */
static int open_manifest(change_commit *c, const pond_iceberg_metadata *base, const pond_manifest_file *mf,
                         const pond_iceberg_partition_spec *spec, pond_arena *a, pond_manifest_writer **mw,
                         pond_error *err)
{
	char uuid[37];
	pond_uuid_v4_string(uuid);
	const char *path = pond_arena_sprintf(a, "%s/metadata/%s-m%d.avro", base->location, uuid, c->attempt);
	if (!path)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_manifest_writer_options mo = POND_MANIFEST_WRITER_OPTIONS_INIT;
	mo.schema = pond_iceberg_metadata_current_schema(base);
	mo.spec = spec;
	mo.content = mf->content;
	mo.snapshot_id = c->snapshot_id;
	int rc = pond_manifest_writer_open(mw, c->w->io, path, &mo, err);
	if (rc == 0 && (rc = remember_written(c, path, err)) != 0)
		pond_manifest_writer_free(mw);
	return rc;
}

/* The shared manifest for mf's content and spec, opened on first use;
 * NULL (no error) when there is no room: mf gets one of its own. */
static int shared_manifest(shared_manifests *sh, change_commit *c, const pond_iceberg_metadata *base,
                           const pond_manifest_file *mf, const pond_iceberg_partition_spec *spec, pond_arena *a,
                           pond_manifest_writer **mw, pond_error *err)
{
	*mw = NULL;
	for (size_t i = 0; i < sh->n; i++)
		if (sh->w[i].content == mf->content && sh->w[i].spec_id == spec->spec_id) {
			*mw = sh->w[i].mw;
			return 0;
		}
	if (sh->n == sizeof sh->w / sizeof sh->w[0])
		return 0;
	int rc = open_manifest(c, base, mf, spec, a, mw, err);
	if (rc == 0) {
		sh->w[sh->n].content = mf->content;
		sh->w[sh->n].spec_id = spec->spec_id;
		sh->w[sh->n++].mw = *mw;
	}
	return rc;
}

/* After the DELETED entry of a file that moves (e, its path resolved in
 * resolved), the file again at its new path, ADDED by this snapshot. Spec
 * ("Sequence Number Inheritance"): a file whose data belongs to an older
 * sequence number is added with that data sequence number explicit; its
 * file sequence number is always the commit's (left to inherit). */
static int add_moved(change_commit *c, pond_manifest_writer *mw, const pond_manifest_entry *e,
                     const pond_buf *resolved, pond_error *err)
{
	int64_t index;
	if (!c->change->move_to || !pond__path_map_get(&c->removed, pond_buf_cstr(resolved), &index))
		return 0;
	pond_manifest_entry moved = *e;
	moved.status = POND_MANIFEST_ADDED;
	moved.has_snapshot_id = true;
	moved.snapshot_id = c->snapshot_id;
	moved.has_sequence_number = e->has_sequence_number && c->w->md->format_version >= 2;
	moved.has_file_sequence_number = false;
	moved.data_file.file_path = c->change->move_to[index];
	c->moved_files++;
	c->moved_records += e->data_file.record_count;
	c->moved_bytes += e->data_file.file_size_in_bytes;
	return pond_manifest_writer_add(mw, &moved, err);
}

/* Copies r's live entries to mw: those removed as DELETED by this
 * snapshot (counted; a file that moves follows ADDED at its new path),
 * the rest EXISTING. */
static int copy_entries(change_commit *c, pond_manifest_reader *r, pond_manifest_writer *mw, pond_arena *scratch,
                        pond_buf *resolved, pond_error *err)
{
	const pond_manifest_entry *e;
	int rc;
	while ((rc = pond_manifest_reader_next(r, scratch, &e, err)) == 1) {
		if (e->status == POND_MANIFEST_DELETED) {
			pond_arena_reset(scratch);
			continue;
		}
		pond_manifest_entry copy = *e;
		if (entry_removed(c, e, resolved, NULL)) {
			copy.status = POND_MANIFEST_DELETED;
			copy.has_snapshot_id = true;
			copy.snapshot_id = c->snapshot_id;
			const pond_data_file *df = &e->data_file;
			/* removed-files-size counts delete files too, as Java's */
			c->removed_bytes += df->file_size_in_bytes;
			if (df->content == POND_CONTENT_DATA) {
				c->deleted_files++;
				c->deleted_records += df->record_count;
			} else {
				c->removed_delete_files++;
				if (df->content == POND_CONTENT_POSITION_DELETES)
					c->removed_pos_deletes += df->record_count;
				else
					c->removed_eq_deletes += df->record_count;
			}
			if (pond__write_partition_key(&c->added_partitions, df->spec_id, df->partition,
			                              df->npartition) != 0)
				return pond_error_set(err, POND_ENOMEM, "out of memory");
		} else {
			copy.status = POND_MANIFEST_EXISTING;
		}
		if ((rc = pond_manifest_writer_add(mw, &copy, err)) != 0)
			return rc;
		if (copy.status == POND_MANIFEST_DELETED && (rc = add_moved(c, mw, e, resolved, err)) != 0)
			return rc;
		pond_arena_reset(scratch);
	}
	return rc;
}

/* Carries one parent manifest into the new snapshot: as it is, rewritten
 * with removed entries DELETED (into a manifest of its own, or with sh
 * into a shared one: then *keep is false), or dropped when nothing in it
 * is live. */
static int carry_manifest(change_commit *c, const pond_iceberg_metadata *base, const pond_manifest_file *mf,
                          pond_arena *a, pond_manifest_file *out, bool *keep, pond__path_map *found,
                          shared_manifests *sh, pond_error *err)
{
	*keep = true;
	*out = *mf;
	bool no_live = mf->added_files_count == 0 && mf->existing_files_count == 0;
	if (no_live) {
		*keep = false;  /* only DELETED entries: they mattered to the snapshot that made them */
		return 0;
	}
	bool may_hold = mf->content == POND_MANIFEST_CONTENT_DATA || c->change->nremove_files;
	if (!c->change->remove_all && (c->removed.n == 0 || !may_hold))
		return 0;
	pond__write *w = c->w;
	pond_arena *scratch = pond_arena_new();
	pond_buf resolved = POND_BUF_INIT;
	pond_manifest_reader *r = NULL;
	pond_manifest_writer *mw = NULL, *own = NULL;
	const pond_manifest_entry *e;
	int rc = scratch ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
	/* First pass: does it hold a removed file? */
	size_t hits = 0;
	if (rc == 0)
		rc = pond_manifest_reader_open(&r, w->io, mf->manifest_path, mf, NULL, NULL, err);
	while (rc == 0 && (rc = pond_manifest_reader_next(r, scratch, &e, err)) == 1) {
		rc = 0;
		if (e->status != POND_MANIFEST_DELETED && entry_removed(c, e, &resolved, found))
			hits++;
		pond_arena_reset(scratch);
		if (!pond_buf_ok(&resolved) || found->oom)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	pond_manifest_reader_close(&r);
	if (rc < 0 || hits == 0)
		goto done;
	/* Second pass: rewrite it. */
	const pond_iceberg_partition_spec *spec = pond_iceberg_metadata_spec(base, mf->partition_spec_id);
	if ((rc = pond_manifest_reader_open(&r, w->io, mf->manifest_path, mf, NULL, NULL, err)) != 0)
		goto done;
	/* A spec only the manifest knows is the reader's: no sharing then. */
	if (!spec) {
		spec = pond_manifest_reader_spec(r);
		sh = NULL;
	}
	if (sh && (rc = shared_manifest(sh, c, base, mf, spec, a, &mw, err)) != 0)
		goto done;
	if (!mw && (rc = open_manifest(c, base, mf, spec, a, &own, err)) != 0)
		goto done;
	if (!mw)
		mw = own;
	rc = copy_entries(c, r, mw, scratch, &resolved, err);
	if (rc == 0 && own)
		rc = pond_manifest_writer_finish(own, out, a, err);
	*keep = own != NULL;
done:
	pond_manifest_writer_free(&own);
	pond_manifest_reader_close(&r);
	pond_buf_dispose(&resolved);
	pond_arena_free(&scratch);
	return rc < 0 ? rc : 0;
}

/* The id add-schema gives schema in base: an equal schema's, else one
 * above the highest (update_apply.c's rule). */
static int32_t added_schema_id(const pond_iceberg_metadata *base, const pond_iceberg_schema *schema)
{
	int32_t next = 0;
	for (size_t i = 0; i < base->nschemas; i++) {
		if (pond_iceberg_type_equal(base->schemas[i]->root, schema->root))
			return base->schemas[i]->schema_id;
		if (base->schemas[i]->schema_id >= next)
			next = base->schemas[i]->schema_id + 1;
	}
	return next;
}

static int match_tasks(pond__write *w, const pond_iceberg_metadata *md, const char *remove_where,
                       const pond_scan_task **tasks, size_t *ntasks, int64_t *nrows, pond_error *err);

/* Iceberg's validation for copy-on-write (serializable isolation): when
 * other commits landed since the snapshot the change read, no data file
 * they added may hold a row the change's condition matches (the change
 * would have removed or rewritten it), and no delete file they added may
 * apply to a file the change rewrites (its rows would come back). The
 * files it removes being still live is checked by the caller. Costs
 * nothing when the head is still the snapshot that was read. */
static int validate_since_read(change_commit *c, const pond_iceberg_metadata *base, const char *branch,
                               const pond_iceberg_snapshot *parent, pond_error *err)
{
	const pond__change *change = c->change;
	bool all = change->validate_all || c->w->opts->has_read_snapshot;
	if (!c->has_read || !(change->remove_where || all || change->nremove_files))
		return 0;
	if (parent ? parent->snapshot_id == c->read_snapshot_id : c->read_snapshot_id == POND_ICEBERG_NO_SNAPSHOT)
		return 0;
	if (all || !parent)
		return pond_error_set(err, POND_ECONFLICT, "the rows it writes were read from snapshot %" PRId64
		                      ", and another writer has committed since", c->read_snapshot_id);
	pond__write *w = c->w;
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	if (pond_iceberg_metadata_ref(base, branch))
		so.ref = branch;
	so.filter = change->prune;
	pond_scan_plan *plan = NULL;
	int rc = pond_scan_plan_files(&plan, base, w->io, &so, err);
	if (rc == POND_EINVAL && so.filter) {
		so.filter = NULL;
		rc = pond_scan_plan_files(&plan, base, w->io, &so, err);
	}
	const pond_scan_task **fresh = rc == 0 && plan->ntasks ? pond_arena_calloc(plan->arena, plan->ntasks, sizeof(*fresh))
	                                                        : NULL;
	if (rc == 0 && plan->ntasks && !fresh)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t nfresh = 0;
	for (size_t i = 0; rc == 0 && i < plan->ntasks; i++) {
		const pond_scan_task *t = &plan->tasks[i];
		if (t->sequence_number > c->read_sequence) {
			fresh[nfresh++] = t;
			continue;
		}
		if (!pond__path_map_get(&c->removed, t->path, NULL))
			continue;
		for (size_t d = 0; d < t->ndeletes; d++) {
			const pond_scan_delete *del = t->deletes[d];
			/* Rewritten rows that keep their sequence number stay under
			 * the equality deletes committed since. */
			bool still_applies = (change->has_data_sequence_number || change->move_to) &&
			                     del->content == POND_CONTENT_EQUALITY_DELETES;
			if (del->sequence_number > c->read_sequence && !still_applies)
				rc = pond_error_set(err, POND_ECONFLICT, "rows of data file %s were deleted by another writer",
				                    t->path);
		}
	}
	int64_t nrows = 0;
	if (rc == 0 && nfresh && change->remove_where &&
	    (rc = match_tasks(w, base, change->remove_where, fresh, &nfresh, &nrows, err)) == 0 && nfresh)
		rc = pond_error_set(err, POND_ECONFLICT, "data file %s, added by another writer, holds rows this change matches",
		                    fresh[0]->path);
	pond_scan_plan_free(&plan);
	return rc;
}

/* Carries the parent's manifests into this attempt (carry_manifest) and
 * checks that every file the change removes is still live in them.
 * *nchanged gets the number of partitions touched: those of the added
 * files plus those removed. */
static int carry_manifests(change_commit *c, const pond_iceberg_metadata *base, const pond_manifest_file *parents,
                           size_t nparent, pond_arena *a, pond_manifest_file **carried, size_t *ncarried,
                           size_t *nchanged, pond_error *err)
{
	int rc = 0;
	pond__path_map partitions = {0};
	pond__path_map added = c->added_partitions;
	c->added_partitions = partitions;
	for (size_t i = 0; i < added.cap; i++)
		if (added.keys[i] && pond__path_map_put(&c->added_partitions, added.keys[i], 1) != 0)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	pond__path_map found = {0};
	*carried = pond_arena_calloc(a, nparent + 1, sizeof(**carried));
	*ncarried = 0;
	if (!*carried)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	shared_manifests sh = {0};
	for (size_t i = 0; i < nparent && rc == 0; i++) {
		bool keep;
		rc = carry_manifest(c, base, &parents[i], a, &(*carried)[*ncarried], &keep, &found,
		                    c->change->nremove_files ? &sh : NULL, err);
		*ncarried += rc == 0 && keep;
	}
	/* Each shared manifest took the place of at least one parent. */
	for (size_t i = 0; i < sh.n; i++) {
		if (rc == 0 && (rc = pond_manifest_writer_finish(sh.w[i].mw, &(*carried)[*ncarried], a, err)) == 0)
			(*ncarried)++;
		pond_manifest_writer_free(&sh.w[i].mw);
	}
	*nchanged = c->added_partitions.n;
	pond__path_map_dispose(&c->added_partitions);
	c->added_partitions = added;
	if (rc == 0 && found.n < c->removed.n) {
		/* A file we rewrote is gone from the fresh head. */
		const char *gone = NULL;
		for (size_t i = 0; i < c->removed.cap && !gone; i++)
			if (c->removed.keys[i] && !pond__path_map_get(&found, c->removed.keys[i], NULL))
				gone = c->removed.keys[i];
		rc = pond_error_set(err, POND_ECONFLICT, "data file %s was changed by another writer", gone ? gone : "?");
	}
	pond__path_map_dispose(&found);
	return rc;
}

/* Writes this attempt's manifest list: the new manifest first, then the
 * carried ones. Once the file exists c->list_path names it, for
 * undo_attempt. */
static int write_manifest_list(change_commit *c, const pond_iceberg_metadata *base, const pond_iceberg_snapshot *parent,
                               int64_t seq, const pond_manifest_file *carried, size_t ncarried, pond_arena *a,
                               pond_error *err)
{
	const char *list_path = pond_arena_sprintf(a, "%s/metadata/snap-%" PRId64 "-%d-%08x.avro", base->location,
	                                           c->snapshot_id, c->attempt, (unsigned)pond_random_i63());
	if (!list_path)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_manifest_list_writer_options lo = POND_MANIFEST_LIST_WRITER_OPTIONS_INIT;
	lo.snapshot_id = c->snapshot_id;
	lo.has_parent_snapshot_id = parent != NULL;
	lo.parent_snapshot_id = parent ? parent->snapshot_id : 0;
	lo.sequence_number = seq;
	pond_manifest_list_writer *lw;
	int rc = pond_manifest_list_writer_open(&lw, c->w->io, list_path, &lo, err);
	if (rc)
		return rc;
	if (!(c->list_path = pond_strdup(list_path))) {
		pond_manifest_list_writer_free(&lw);
		unlink_recorded(c->w->io, list_path);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	if (c->has_manifest) {
		/* The new manifest first, then the parent's. */
		pond_manifest_file mine = c->manifest;
		mine.sequence_number = POND_MANIFEST_UNASSIGNED_SEQ;
		if (!c->change->has_data_sequence_number)
			mine.min_sequence_number = POND_MANIFEST_UNASSIGNED_SEQ;
		rc = pond_manifest_list_writer_add(lw, &mine, err);
	}
	for (size_t i = 0; i < ncarried && rc == 0; i++)
		rc = pond_manifest_list_writer_add(lw, &carried[i], err);
	if (rc == 0)
		rc = pond_manifest_list_writer_finish(lw, err);
	pond_manifest_list_writer_free(&lw);
	return rc;
}

/* pond's own state in snapshot summaries (an ingestion's cursor, a
 * model's watermark), which its readers look for from the head back. */
static bool is_state_key(const char *key)
{
	return strncmp(key, "pond.ingest.", 12) == 0 || strcmp(key, "pond.model.watermark") == 0;
}

/* Carries the parent's state keys the write does not set itself into the
 * new summary (room for them is the caller's), so the head always holds the latest state:
 * expiry removes old snapshots, and with them any state left behind in
 * one. */
static void carry_state(const pond_iceberg_snapshot *parent, const pond_write_options *opts, pond_iceberg_kv *summary,
                        size_t *ns)
{
	for (size_t i = 0; parent && i < parent->nsummary; i++) {
		const pond_iceberg_kv *kv = &parent->summary[i];
		bool set = false;
		for (size_t k = 0; k < opts->nsummary && !set; k++)
			set = strcmp(opts->summary[k].key, kv->key) == 0;
		if (is_state_key(kv->key) && !set)
			summary[(*ns)++] = *kv;
	}
}

/* The snapshot's summary, in a: as Java's SnapshotSummary, counts only
 * when not zero, totals when the parent had them (or there is no parent);
 * then the keys of the write's options. */
static int snapshot_summary(change_commit *c, const pond_iceberg_snapshot *parent, size_t nchanged, pond_arena *a,
                            pond_iceberg_kv **out, size_t *nout, pond_error *err)
{
	const pond_write_options *opts = c->w->opts;
	size_t nparent = parent ? parent->nsummary : 0;
	pond_iceberg_kv *summary = pond_arena_calloc(a, 24 + opts->nsummary + nparent, sizeof(*summary));
	if (!summary)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t ns = 0;
#define SUMMARY_IF(k, v)                                                                           \
	do {                                                                                       \
		if ((v) > 0)                                                                       \
			summary[ns++] = (pond_iceberg_kv){k, pond_arena_sprintf(a, "%" PRId64, (int64_t)(v))}; \
	} while (0)
	/* Files that moved count as added again, as Java counts a rewrite. */
	int64_t added_files = c->added_files + c->moved_files, added_records = c->added_records + c->moved_records;
	int64_t added_bytes = c->added_bytes + c->moved_bytes;
	SUMMARY_IF("added-data-files", added_files);
	SUMMARY_IF("deleted-data-files", c->deleted_files);
	SUMMARY_IF("removed-delete-files", c->removed_delete_files);
	SUMMARY_IF("added-records", added_records);
	SUMMARY_IF("deleted-records", c->deleted_records);
	SUMMARY_IF("added-files-size", added_bytes);
	SUMMARY_IF("removed-files-size", c->removed_bytes);
	SUMMARY_IF("removed-position-deletes", c->removed_pos_deletes);
	SUMMARY_IF("removed-equality-deletes", c->removed_eq_deletes);
	summary[ns++] = (pond_iceberg_kv){"changed-partition-count", pond_arena_sprintf(a, "%zu", nchanged)};
	const struct {
		const char *key;
		int64_t delta;
	} totals[] = {
		{"total-records", added_records - c->deleted_records},
		{"total-files-size", added_bytes - c->removed_bytes},
		{"total-data-files", added_files - c->deleted_files},
		{"total-delete-files", -c->removed_delete_files},
		{"total-position-deletes", -c->removed_pos_deletes},
		{"total-equality-deletes", -c->removed_eq_deletes},
	};
	for (size_t i = 0; i < sizeof totals / sizeof totals[0]; i++) {
		const char *prev = summary_value(parent, totals[i].key);
		int64_t v = 0;
		if (parent && (!prev || !pond_str_to_i64(prev, &v)))
			continue;
		summary[ns++] = (pond_iceberg_kv){totals[i].key, pond_arena_sprintf(a, "%" PRId64, v + totals[i].delta)};
	}
#undef SUMMARY_IF
	for (size_t i = 0; i < opts->nsummary; i++)
		summary[ns++] = opts->summary[i];
	carry_state(parent, opts, summary, &ns);
	for (size_t i = 0; i < ns; i++)
		if (!summary[i].value)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
	*out = summary;
	*nout = ns;
	return 0;
}

/* The snapshot this attempt adds, in a, over the manifest list it wrote;
 * its operation, when the change names none, from what was added and
 * removed. */
static int new_snapshot(pond_iceberg_snapshot **out, change_commit *c, const pond_iceberg_metadata *base,
                        const pond_iceberg_snapshot *parent, int64_t seq, size_t nchanged, pond_arena *a,
                        pond_error *err)
{
	const char *op = c->change->operation;
	if (!op)
		op = c->deleted_files == 0 && c->removed_delete_files == 0 ? "append"
		     : c->added_files + c->moved_files == 0                ? "delete"
		                                                           : "overwrite";
	c->operation = op;
	pond_iceberg_snapshot *snap = pond_arena_calloc(a, 1, sizeof(*snap));
	if (!snap)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int rc = snapshot_summary(c, parent, nchanged, a, &snap->summary, &snap->nsummary, err);
	if (rc)
		return rc;
	snap->snapshot_id = c->snapshot_id;
	snap->has_parent = parent != NULL;
	snap->parent_snapshot_id = parent ? parent->snapshot_id : 0;
	snap->sequence_number = seq;
	snap->timestamp_ms = pond_time_now_ms();
	snap->manifest_list = pond_arena_strdup(a, c->list_path);
	if (!snap->manifest_list)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	snap->operation = op;
	snap->has_schema_id = true;
	snap->schema_id = c->w->new_schema ? added_schema_id(base, c->w->new_schema) : base->current_schema_id;
	*out = snap;
	return 0;
}

/* The updates that put the write's new schema in place, into u (room for
 * 4): a replacing schema leaves the old partition fields without their
 * columns, so the table goes unpartitioned first. Staged in memory when
 * the write begins, and committed with the snapshot. */
static size_t schema_updates(const pond__write *w, pond_iceberg_update *u)
{
	size_t n = 0;
	if (w->unpartition) {
		u[n].action = POND_ICEBERG_ADD_SPEC;
		u[n++].spec = &unpartitioned;
		u[n].action = POND_ICEBERG_SET_DEFAULT_SPEC;
		u[n++].id = -1;
	}
	u[n].action = POND_ICEBERG_ADD_SCHEMA;
	u[n].schema = w->new_schema;
	u[n++].last_column_id = w->new_last_column_id;
	u[n].action = POND_ICEBERG_SET_CURRENT_SCHEMA;
	u[n++].id = -1;
	return n;
}

/* The commit's requirements and updates, in a: the write's schema change
 * when it carries one, then the snapshot and the branch moved to it. */
static int snapshot_updates(change_commit *c, const char *branch, const pond_iceberg_ref *head,
                            pond_iceberg_snapshot *snap, pond_arena *a, pond_iceberg_requirement **reqs, size_t *nreqs,
                            pond_iceberg_update **ups, size_t *nups, pond_error *err)
{
	pond__write *w = c->w;
	pond_iceberg_update *u = pond_arena_calloc(a, 6, sizeof(*u));
	pond_iceberg_requirement *r = pond_arena_calloc(a, 4, sizeof(*r));
	if (!u || !r)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t nu = 0, nr = 0;
	if (w->unpartition) {
		r[nr].type = POND_ICEBERG_ASSERT_DEFAULT_SPEC_ID;
		r[nr++].id = w->base_spec_id;
	}
	if (w->new_schema) {
		/* The schema change rides in this commit, before the snapshot
		 * written with it; it must apply to the schema it was made from. */
		nu = schema_updates(w, u);
		r[nr].type = POND_ICEBERG_ASSERT_CURRENT_SCHEMA_ID;
		r[nr++].id = w->base_schema_id;
		r[nr].type = POND_ICEBERG_ASSERT_LAST_ASSIGNED_FIELD_ID;
		r[nr++].id = w->base_last_column_id;
	}
	u[nu].action = POND_ICEBERG_ADD_SNAPSHOT;
	u[nu++].snapshot = snap;
	u[nu].action = POND_ICEBERG_SET_SNAPSHOT_REF;
	u[nu++].ref = (pond_iceberg_ref){branch, false, c->snapshot_id, -1, -1, -1};
	/* The branch must still be where this attempt found it. */
	r[nr].type = POND_ICEBERG_ASSERT_REF_SNAPSHOT_ID;
	r[nr].ref = branch;
	r[nr].has_snapshot_id = head != NULL;
	r[nr++].snapshot_id = head ? head->snapshot_id : 0;
	*reqs = r;
	*nreqs = nr;
	*ups = u;
	*nups = nu;
	return 0;
}

/* One commit attempt (a pond_table_commit_fn) against base, the fresh
 * metadata: carries the branch head's manifests, validates, writes a
 * manifest list and describes the snapshot. What the previous attempt
 * wrote is removed first. */
static int build_change(const pond_iceberg_metadata *base, pond_arena *a, pond_iceberg_requirement **reqs,
                        size_t *nreqs, pond_iceberg_update **ups, size_t *nups, void *payload, pond_error *err)
{
	change_commit *c = payload;
	pond__write *w = c->w;
	undo_attempt(c);
	c->attempt++;
	c->deleted_records = c->deleted_files = c->removed_bytes = 0;
	c->removed_delete_files = c->removed_pos_deletes = c->removed_eq_deletes = 0;
	c->moved_files = c->moved_records = c->moved_bytes = 0;
	const char *branch = w->opts->branch ? w->opts->branch : "main";
	const pond_iceberg_ref *head = pond_iceberg_metadata_ref(base, branch);
	if (head && head->is_tag)
		return pond_error_set(err, POND_EINVAL, "cannot write to %s: it is a tag, not a branch", branch);
	/* A new branch starts from main's head, as in git. */
	const pond_iceberg_snapshot *parent = head ? pond_iceberg_metadata_snapshot(base, head->snapshot_id)
	                                           : pond_iceberg_metadata_current_snapshot(base);
	int64_t seq = base->last_sequence_number + 1;
	pond_manifest_file *parents = NULL, *carried = NULL;
	size_t nparent = 0, ncarried = 0, nchanged = 0;
	int rc = parent ? pond_snapshot_manifests(&parents, &nparent, w->io, parent, a, err) : 0;
	if (rc == 0)
		rc = carry_manifests(c, base, parents, nparent, a, &carried, &ncarried, &nchanged, err);
	if (rc == 0)
		rc = validate_since_read(c, base, branch, parent, err);
	if (rc == 0) {
		pond__merge m = {w->io, base, c->snapshot_id, c->attempt, c->has_manifest,
		                 c->manifest.partition_spec_id, a, remember_merged, c};
		rc = pond__write_merge_manifests(&m, carried, &ncarried, err);
	}
	if (rc == 0)
		rc = write_manifest_list(c, base, parent, seq, carried, ncarried, a, err);
	pond_iceberg_snapshot *snap = NULL;
	if (rc == 0)
		rc = new_snapshot(&snap, c, base, parent, seq, nchanged, a, err);
	if (rc)
		return rc;
	return snapshot_updates(c, branch, head, snap, a, reqs, nreqs, ups, nups, err);
}

/* ---- the driver ---- */

/* Undoes a write that will not be committed: its folders (real paths,
 * local), the files it uploaded from them, and its manifest (its
 * recorded path). */
static void remove_write(pond__write *w, const char *const *dirs, size_t ndirs, const char *manifest)
{
	for (size_t i = 0; i < ndirs; i++)
		if (dirs[i])
			pond__remove_tree(dirs[i]);
	pond__write_forget_uploads(w, true);
	if (manifest)
		unlink_recorded(w->io, manifest);
}

/* Writes rows (may be empty), then each of change->rows_rounds, in engine
 * writes of their own; *files (w's arena) gets every file written, and
 * dirs (room for 1 + nrows_rounds) the folders, *ndirs counting them also
 * on failure, for remove_write. */
static int write_rows(pond__write *w, const pond__change *change, const pond_buf *rows, const char **dirs,
                      size_t *ndirs, pond_written_file **files, size_t *nfiles, pond_error *err)
{
	*ndirs = 0;
	*files = NULL;
	*nfiles = 0;
	int rc = 0;
	for (size_t r = 0; r <= change->nrows_rounds && rc == 0; r++) {
		const char *sql = r == 0 ? (rows->len ? pond_buf_cstr(rows) : NULL) : change->rows_rounds[r - 1];
		pond_written_file *more = NULL;
		size_t nmore = 0;
		if (!sql)
			continue;
		dirs[*ndirs] = NULL;
		rc = pond__write_rows(w, sql, &dirs[*ndirs], &more, &nmore, err);
		(*ndirs)++;
		if (rc || nmore == 0)
			continue;
		if (*nfiles == 0) {
			*files = more;
			*nfiles = nmore;
			continue;
		}
		pond_written_file *all = pond_arena_calloc(w->arena, *nfiles + nmore, sizeof(*all));
		if (!all)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		memcpy(all, *files, *nfiles * sizeof(*all));
		memcpy(all + *nfiles, more, nmore * sizeof(*all));
		*files = all;
		*nfiles += nmore;
	}
	return rc;
}

/* Applies opts->schema_change (or opts->replace_schema) to the loaded
 * metadata in memory, so that the whole write (reads of the files it
 * rewrites included) sees the new schema; the commit adds it for real
 * with the snapshot. */
static int stage_schema(pond__write *w, pond_error *err)
{
	int rc = w->opts->replace_schema
	                 ? pond_iceberg_schema_assign_ids_after(&w->new_schema, w->opts->replace_schema,
	                                                        w->md->last_column_id, &w->new_last_column_id, w->arena,
	                                                        err)
	                 : pond_schema_change_apply(&w->new_schema, &w->new_last_column_id, w->md,
	                                            w->opts->schema_change, w->name, w->arena, err);
	if (rc)
		return rc;
	w->base_schema_id = w->md->current_schema_id;
	w->base_last_column_id = w->md->last_column_id;
	w->base_spec_id = w->md->default_spec_id;
	w->unpartition = w->opts->replace_schema && w->spec && w->spec->nfields > 0;
	pond_iceberg_update u[4];
	memset(u, 0, sizeof(u));
	size_t n = schema_updates(w, u);
	pond_iceberg_apply_options ao = POND_ICEBERG_APPLY_OPTIONS_INIT;
	ao.base_metadata_location = w->table->metadata_location;
	pond_iceberg_metadata *staged;
	if ((rc = pond_iceberg_metadata_apply(&staged, w->md, NULL, 0, u, n, &ao, err)) != 0)
		return rc;
	pond_iceberg_metadata_free(&w->table->metadata);
	w->table->metadata = staged;
	w->md = staged;
	w->schema = pond_iceberg_metadata_current_schema(staged);
	w->spec = pond_iceberg_metadata_default_spec(staged);
	return 0;
}

int pond__write_begin(pond__write *w, pond_lake *lake, const pond_table_ident *id, const pond_write_options *opts,
                      pond_error *err)
{
	static const pond_write_options defaults = POND_WRITE_OPTIONS_INIT;
	memset(w, 0, sizeof(*w));
	w->lake = lake;
	w->id = id;
	w->opts = opts ? opts : &defaults;
	int rc = pond__lake_engine(lake, err);
	if (rc)
		return rc;
	rc = pond_table_load(&w->table, lake, id, err);
	if (rc == POND_ENOTFOUND && w->opts->create_schema) {
		/* Staged: the commit creates the table with its first snapshot. */
		pond_error_clear(err);
		rc = pond__table_stage(&w->table, lake, id, w->opts->create_schema, err);
		w->creating = rc == 0;
	}
	if (rc)
		return rc;
	w->arena = w->table->arena;
	w->md = w->table->metadata;
	w->schema = pond_iceberg_metadata_current_schema(w->md);
	w->spec = pond_iceberg_metadata_default_spec(w->md);
	w->name = pond_table_ident_format(w->arena, id);
	if (!w->name)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	else if (!w->schema)
		rc = pond_error_set(err, POND_ECORRUPT, "table %s has no current schema", w->name);
	if (rc == 0 && (w->opts->schema_change || w->opts->replace_schema))
		rc = stage_schema(w, err);
	if (rc == 0)
		rc = pond__table_fileio(lake, w->md, w->creating ? NULL : w->table->metadata_location, &w->io, err);
	/* On an object store, files are written locally first. */
	if (rc == 0 && !pond_fileio_is_local(w->io))
		rc = pond__stage_open(lake, w->arena, &w->stage, &w->stage_lock, err);
	if (rc)
		pond__write_end(w);
	return rc;
}

void pond__write_end(pond__write *w)
{
	if (w->stage)
		pond__stage_close(w->stage, &w->stage_lock);
	w->stage = NULL;
	pond__write_forget_uploads(w, true);
	pond_free(w->uploaded);
	w->uploaded = NULL;
	w->capuploaded = 0;
	pond_fileio_free(&w->io);
	pond_table_free(&w->table);
	w->arena = NULL;
}

/* The branch head's scan options. */
static void head_options(pond__write *w, pond_scan_options *so)
{
	*so = (pond_scan_options)POND_SCAN_OPTIONS_INIT;
	if (w->opts->branch && pond_iceberg_metadata_ref(w->md, w->opts->branch))
		so->ref = w->opts->branch;
}

/* Keeps, in place, the tasks of md (of which w->io resolves the paths)
 * holding a row remove_where is true for; *nrows gets how many such rows
 * they hold. */
static int match_tasks(pond__write *w, const pond_iceberg_metadata *md, const char *remove_where,
                       const pond_scan_task **tasks, size_t *ntasks, int64_t *nrows, pond_error *err)
{
	*nrows = 0;
	if (*ntasks == 0)
		return 0;
	pond_buf scan = POND_BUF_INIT, sql = POND_BUF_INIT;
	int rc = pond__scan_sql_tasks(&scan, w->lake->engine, md, w->io, w->schema, tasks, *ntasks, true, err);
	if (rc == 0) {
		pond_buf_printf(&sql,
		                "SELECT string_agg(f || chr(2) || n, chr(1)) FROM (SELECT __pond_d." POND_SCAN_FILE_COLUMN
		                " AS f, count(*) AS n FROM (%s) __pond_d WHERE (%s) GROUP BY 1)",
		                pond_buf_cstr(&scan), remove_where);
		if (!pond_buf_ok(&sql))
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	char *list = NULL;
	if (rc == 0)
		rc = pond_engine_query_string(w->lake->engine, pond_buf_cstr(&sql), &list, err);
	pond_buf_dispose(&scan);
	pond_buf_dispose(&sql);
	if (rc || !list) {
		if (rc == 0)
			*ntasks = 0;
		return rc;
	}
	pond__path_map hit = {0};
	for (char *p = list, *next; p && *p && rc == 0; p = next) {
		next = strchr(p, '\1');
		if (next)
			*next++ = '\0';
		char *count = strchr(p, '\2');
		int64_t n = 0;
		if (count) {
			*count++ = '\0';
			pond_str_to_i64(count, &n);
		}
		*nrows += n;
		if (pond__path_map_put(&hit, p, 1) != 0)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	pond_free(list);
	/* The file column names what the read read: a task's local copy on
	 * an object store. */
	size_t n = 0;
	for (size_t i = 0; i < *ntasks && rc == 0; i++) {
		const char *read_as = pond_fileio_held(w->io, tasks[i]->path);
		if (read_as && pond__path_map_get(&hit, read_as, NULL))
			tasks[n++] = tasks[i];
	}
	pond__path_map_dispose(&hit);
	*ntasks = n;
	return rc;
}

/* The planned files holding rows change->remove_where is true for. */
static int find_matches(pond__write *w, const pond__change *change, pond_scan_plan *plan,
                        const pond_scan_task ***out, size_t *nout, int64_t *nrows, pond_error *err)
{
	*out = NULL;
	*nout = 0;
	*nrows = 0;
	if (plan->ntasks == 0)
		return 0;
	const pond_scan_task **tasks = pond_arena_calloc(w->arena, plan->ntasks, sizeof(*tasks));
	if (!tasks)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < plan->ntasks; i++)
		tasks[i] = &plan->tasks[i];
	*out = tasks;
	*nout = plan->ntasks;
	if (change->remove_all) {
		*nrows = plan->data_records;
		return 0;
	}
	return match_tasks(w, w->md, change->remove_where, tasks, nout, nrows, err);
}

/* The table's columns, "a", "b", for SELECT lists. */
static void column_list(pond_buf *sql, const pond_iceberg_schema *schema, const char *qualifier)
{
	for (size_t f = 0; f < schema->root->nfields; f++) {
		if (f)
			pond_buf_puts(sql, ", ");
		if (qualifier)
			pond_buf_printf(sql, "%s.", qualifier);
		pond_sql_quote_ident(sql, schema->root->fields[f].name);
	}
}

/* Plans the branch head's files that may hold rows the change removes and
 * keeps, in c->removed, those that do (none for a whole overwrite, which
 * removes whatever is live at commit time). The plan (*plan, freed by the
 * caller, owning *matched) is the snapshot the change read; *has_live says
 * whether it had any file. */
static int plan_removal(change_commit *c, pond_scan_plan **plan, const pond_scan_task ***matched, size_t *nmatched,
                        bool *has_live, int64_t *matched_records, pond_error *err)
{
	pond__write *w = c->w;
	const pond__change *change = c->change;
	pond_scan_options so;
	head_options(w, &so);
	so.filter = change->prune;
	int rc = pond_scan_plan_files(plan, w->md, w->io, &so, err);
	if (rc == POND_EINVAL && change->prune) {
		/* The filter names something pruning cannot bind: plan it all. */
		so.filter = NULL;
		rc = pond_scan_plan_files(plan, w->md, w->io, &so, err);
	}
	if (rc == 0)
		rc = find_matches(w, change, *plan, matched, nmatched, matched_records, err);
	if (rc)
		return rc;
	c->has_read = true;
	c->read_snapshot_id = (*plan)->snapshot_id;
	*has_live = (*plan)->ntasks > 0 || (*plan)->ndeletes > 0;
	/* A whole overwrite removes whatever is live at commit time. */
	for (size_t i = 0; i < *nmatched && rc == 0 && !change->remove_all; i++)
		if (pond__path_map_put(&c->removed, (*matched)[i]->path, 1) != 0)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	return rc;
}

/* The rows to write, in rows: those the rewritten files (matched) keep,
 * the rows replacing those removed, then the new rows; all read from the
 * same files, so that what is removed is exactly what is replaced. */
static int change_rows(pond__write *w, const pond__change *change, const pond_scan_task *const *matched,
                       size_t nmatched, pond_buf *rows, pond_error *err)
{
	pond_buf scan = POND_BUF_INIT;
	if (nmatched && !change->remove_all) {
		int rc = pond__scan_sql_tasks(&scan, w->lake->engine, w->md, w->io, w->schema, matched, nmatched, false, err);
		if (rc) {
			pond_buf_dispose(&scan);
			return rc;
		}
		pond_buf_puts(rows, "SELECT ");
		column_list(rows, w->schema, "__pond_d");
		pond_buf_printf(rows, " FROM (%s) __pond_d WHERE (%s) IS NOT TRUE", pond_buf_cstr(&scan),
		                change->remove_where);
		if (change->matched_rows_sql) {
			pond_buf_puts(rows, " UNION ALL SELECT ");
			const pond_iceberg_type *root = w->schema->root;
			for (size_t i = 0; i < root->nfields; i++) {
				pond_buf_printf(rows, "%sCAST(#%zu AS ", i ? ", " : "", i + 1);
				pond_engine_iceberg_type_sql(rows, root->fields[i].type);
				pond_buf_puts(rows, ")");
			}
			pond_buf_printf(rows, " FROM (WITH __pond_d AS (SELECT * FROM (%s) __pond_d WHERE (%s)) %s)",
			                pond_buf_cstr(&scan), change->remove_where, change->matched_rows_sql);
		}
	}
	pond_buf_dispose(&scan);
	if (change->rows_sql) {
		if (rows->len) {
			pond_buf_puts(rows, " UNION ALL SELECT ");
			column_list(rows, w->schema, NULL);
			pond_buf_printf(rows, " FROM (%s)", change->rows_sql);
		} else {
			pond_buf_puts(rows, change->rows_sql);
		}
	}
	return pond_buf_ok(rows) ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

/* In the commit's catalog transaction: the change's own work (a flush
 * deleting its buffer rows), then the caller's (pond_write_options). */
static int run_hooks(pond_catalog *catalog, void *payload, pond_error *err)
{
	const change_commit *c = payload;
	const pond__commit_hook *own = &c->change->hook;
	const pond_write_options *o = c->w->opts;
	int rc = own->fn ? own->fn(catalog, own->payload, err) : 0;
	if (rc == 0 && o->on_commit)
		rc = o->on_commit(catalog, o->on_commit_payload, err);
	return rc;
}

/* Commits the written files and what the change removes as one snapshot
 * (creating the table when it is staged) and fills out. On failure what
 * the last attempt wrote is removed; the files are the caller's. */
static int commit_snapshot(change_commit *c, pond_write_result *out, pond_error *err)
{
	pond__write *w = c->w;
	if (w->opts->cancel && *w->opts->cancel)
		return pond_error_set(err, POND_ECANCELED, "interrupted: nothing was committed");
	pond__commit_hook hook = {run_hooks, c};
	const pond__commit_hook *h = c->change->hook.fn || w->opts->on_commit ? &hook : NULL;
	int rc = w->creating ? pond__table_commit_create(w->lake, w->id, w->md, build_change, c, h, err)
	                     : pond__table_commit(w->lake, w->id, build_change, c, NULL, h, NULL, err);
	if (rc) {
		undo_attempt(c);
		return rc;
	}
	/* Committed: what the last attempt wrote is now the table's. */
	pond__write_forget_uploads(w, false);
	for (size_t i = 0; i < c->nwritten; i++)
		pond_free(c->written[i]);
	c->nwritten = 0;
	pond_free(c->list_path);
	c->list_path = NULL;
	out->snapshot_id = c->snapshot_id;
	out->added_records = c->added_records + c->moved_records;
	out->added_files = c->added_files + c->moved_files;
	out->added_bytes = c->added_bytes + c->moved_bytes;
	out->deleted_records = c->deleted_records;
	out->deleted_files = c->deleted_files;
	return 0;
}

/* Whether the change's rows may go to the row buffer: a plain append
 * (of few rows: pond__buffer_append counts them) to the main branch of a
 * table that exists and buffers, with nothing else riding in its commit.
 * Never with a REST catalog: the buffer's flush must share a transaction
 * with the commit, which a remote commit cannot. */
static bool may_buffer(const pond__write *w, const pond__change *change)
{
	const pond_write_options *o = w->opts;
	bool plain = !change->remove_where && !change->remove_all && !change->matched_rows_sql && !change->hook.fn &&
	             !o->on_commit &&
	             !change->nremove_files && !change->nrows_rounds && !change->has_data_sequence_number &&
	             !w->creating && !w->new_schema && !o->has_read_snapshot && o->nsummary == 0 &&
	             (!o->branch || strcmp(o->branch, "main") == 0);
	return plain && change->rows_sql && w->buffer_max_rows > 0 && !pond_catalog_is_rest(w->lake->catalog);
}

int pond__write_commit_change(pond__write *w, const pond__change *change, pond_write_result *out, pond_error *err)
{
	memset(out, 0, sizeof(*out));
	change_commit c;
	memset(&c, 0, sizeof(c));
	c.w = w;
	c.change = change;
	c.snapshot_id = pond_random_i63();
	pond_scan_plan *plan = NULL;
	const pond_scan_task **matched = NULL;
	size_t nmatched = 0;
	pond_buf rows = POND_BUF_INIT;
	const char *manifest_path = NULL;
	const char **dirs = pond_arena_calloc(w->arena, change->nrows_rounds + 1, sizeof(char *));
	size_t ndirs = 0;
	pond_written_file *files = NULL;
	size_t nfiles = 0;
	int rc = dirs ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
	bool has_live = false;
	pond_spill *spill = NULL;
	pond__change spilled;
	if (rc == 0 && may_buffer(w, change)) {
		/* A small append: its rows wait in the row buffer for a flush.
		 * A bigger one is written from the rows the buffer read. */
		bool handled;
		if ((rc = pond__buffer_append(w, change->rows_sql, &handled, &spill, out, err)) != 0 || handled)
			goto done;
		spilled = *change;
		spilled.rows_sql = pond_arena_sprintf(w->arena, "SELECT * FROM %s", pond_spill_table(spill));
		if (!spilled.rows_sql) {
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
			goto done;
		}
		change = c.change = &spilled;
	}
	if (rc == 0 && (change->remove_where || change->remove_all) &&
	    (rc = plan_removal(&c, &plan, &matched, &nmatched, &has_live, &out->matched_records, err)) != 0)
		goto fail;
	if (w->opts->has_read_snapshot) {
		/* The caller read the table before this write loaded it. */
		c.has_read = true;
		c.read_snapshot_id = w->opts->read_snapshot_id;
	} else if (change->nremove_files) {
		c.has_read = true;
		c.read_snapshot_id = change->read_snapshot_id;
	}
	/* By index: a file that moves finds its new path (add_moved). */
	for (size_t i = 0; i < change->nremove_files && rc == 0; i++)
		if (pond__path_map_put(&c.removed, change->remove_files[i], (int64_t)i) != 0)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc)
		goto fail;
	if (c.has_read) {
		const pond_iceberg_snapshot *read = c.read_snapshot_id == POND_ICEBERG_NO_SNAPSHOT
		                                        ? NULL
		                                        : pond_iceberg_metadata_snapshot(w->md, c.read_snapshot_id);
		c.read_sequence = read ? read->sequence_number : 0;
	}
	if ((rc = change_rows(w, change, matched, nmatched, &rows, err)) != 0)
		goto fail;
	if ((rc = write_rows(w, change, &rows, dirs, &ndirs, &files, &nfiles, err)) != 0)
		goto fail;
	for (size_t i = 0; i < nfiles; i++) {
		c.added_records += files[i].record_count;
		c.added_bytes += files[i].file_size;
	}
	c.added_files = (int64_t)nfiles;
	if (nfiles == 0 && ndirs) {
		/* every row was removed: no folder is left behind for pond orphans */
		remove_write(w, dirs, ndirs, NULL);
		ndirs = 0;
	}
	bool removes = nmatched || change->nremove_files || (change->remove_all && has_live);
	bool summary_only = w->opts->commit_empty && w->opts->nsummary > 0;
	if (nfiles == 0 && !removes && !w->new_schema && !summary_only) {
		/* A new table is still made (with the schema change, if any: a
		 * staged table has none). */
		if (w->creating)
			rc = pond__table_commit_create(w->lake, w->id, w->md, NULL, NULL,
			                               w->opts->on_commit ? &(pond__commit_hook){run_hooks, &c} : NULL, err);
		goto done;
	}
	if (nfiles) {
		/* Uploaded whole before any manifest names them. */
		if ((rc = pond__write_upload(w, files, nfiles, err)) != 0)
			goto fail;
		if ((rc = pond__write_manifest(w, change, c.snapshot_id, files, nfiles, &c.added_partitions, &c.manifest,
		                               &manifest_path, err)) != 0)
			goto fail;
		c.has_manifest = true;
	}
	if ((rc = commit_snapshot(&c, out, err)) == 0)
		goto done;
fail:
	remove_write(w, dirs, ndirs, manifest_path);
done:
	undo_attempt(&c);
	pond_free(c.written);
	pond__path_map_dispose(&c.removed);
	pond__path_map_dispose(&c.added_partitions);
	pond_scan_plan_free(&plan);
	pond_buf_dispose(&rows);
	pond_spill_free(&spill);
	return rc;
}
