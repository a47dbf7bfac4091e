/*
 * The one commit path for table changes: build updates against the
 * current metadata, apply them (checking their requirements), write a new
 * metadata file, and swap the catalog's pointer from the metadata we read
 * to the new one. A lost swap means another writer committed first: reload,
 * rebuild, retry with backoff. Files are never overwritten; a failed
 * attempt deletes the metadata file it wrote. Several tables commit as
 * one (pond_table_commit_all): their swaps share one catalog transaction;
 * a single table's commit is that with one table.
 */
#include "table_internal.h"

#include <jansson.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Metadata files up to this size are kept parsed (struct pond_lake). */
#define KEEP_METADATA_BYTES ((size_t)1 << 20)

static json_t *kept_metadata(pond_lake *lake, const char *location)
{
	for (size_t i = 0; i < POND__LAKE_METADATA_KEPT; i++)
		if (lake->md_json[i].location && strcmp(lake->md_json[i].location, location) == 0)
			return json_incref(lake->md_json[i].json);
	return NULL;
}

static void keep_metadata(pond_lake *lake, const char *location, json_t *json)
{
	char *copy = pond_strdup(location);
	if (!copy)
		return;
	size_t i = lake->md_next++ % POND__LAKE_METADATA_KEPT;
	pond_free(lake->md_json[i].location);
	json_decref(lake->md_json[i].json);
	lake->md_json[i].location = copy;
	lake->md_json[i].json = json_incref(json);
}

/* A table's metadata file, local or on S3. */
static int load_metadata(pond_iceberg_metadata **out, pond_lake *lake, const char *location, pond_error *err)
{
	json_t *json = kept_metadata(lake, location);
	int rc = 0;
	if (!json) {
		char *text = NULL;
		size_t len = 0;
		pond_fileio *io = NULL;
		if (!pond_project_is_s3(location))
			rc = pond_file_read(&text, &len, location, POND_ICEBERG_METADATA_MAX_BYTES, err);
		else if ((rc = pond_lake_fileio(lake, location, &io, err)) == 0)
			rc = pond_fileio_read(io, location, &text, &len, POND_ICEBERG_METADATA_MAX_BYTES, err);
		pond_fileio_free(&io);
		if (rc == 0)
			rc = pond_iceberg_metadata_json(&json, text, len, location, err);
		if (rc == 0 && len <= KEEP_METADATA_BYTES)
			keep_metadata(lake, location, json);
		pond_free(text);
	}
	if (rc == 0)
		rc = pond_iceberg_metadata_from_json(out, json, location, err);
	json_decref(json);
	return rc;
}

/* The catalog's row of id; its location made absolute in *out. */
static int load_row(pond_lake *lake, const pond_table_ident *id, pond_arena *a, pond_catalog_table *row_out,
                    const char **out, const char **recorded, pond_error *err)
{
	pond_catalog_table row;
	int rc = pond_catalog_load_table(lake->catalog, &id->ns, id->name, a, &row, err);
	*row_out = row;
	if (rc == 0 && !row.metadata_location)
		rc = pond_error_set(err, POND_ECORRUPT, "table %s has no metadata location in the catalog",
		                    pond_table_ident_format(a, id));
	if (rc)
		return rc;
	if (recorded)
		*recorded = row.metadata_location;
	/* Other writers may record locations relative to a root (pyiceberg's
	 * catalogs in the fixtures do): those are relative to the project. */
	*out = row.metadata_location;
	if (row.metadata_location[0] != '/' && !strstr(row.metadata_location, "://") &&
	    !(*out = pond_arena_sprintf(a, "%s/%s", lake->project->root, row.metadata_location)))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	return 0;
}

int pond_table_metadata_location(pond_lake *lake, const pond_table_ident *id, pond_arena *a, const char **out,
                                 const char **recorded, pond_error *err)
{
	pond_catalog_table row;
	return load_row(lake, id, a, &row, out, recorded, err);
}

/* A REST catalog's metadata, as it returned it with the location. */
static int parse_metadata(pond_iceberg_metadata **out, const pond_catalog_table *row, pond_error *err)
{
	return pond_iceberg_metadata_parse(out, row->metadata_json, strlen(row->metadata_json), row->metadata_location,
	                                   err);
}

int pond_table_load(pond_table **out, pond_lake *lake, const pond_table_ident *id, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	if (!a)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_table *t = pond_arena_calloc(a, 1, sizeof(*t));
	const char *location = NULL, *recorded = NULL;
	pond_catalog_table row = {0};
	int rc = t ? load_row(lake, id, a, &row, &location, &recorded, err)
	           : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = row.metadata_json ? parse_metadata(&t->metadata, &row, err) : load_metadata(&t->metadata, lake, location, err);
	if (rc) {
		pond_arena_free(&a);
		return rc;
	}
	t->arena = a;
	t->metadata_location = location;
	t->catalog_location = recorded;
	t->ident.ns = id->ns;
	for (size_t i = 0; i < id->ns.nlevels; i++)
		t->ident.ns.levels[i] = pond_arena_strdup(a, id->ns.levels[i]);
	t->ident.name = pond_arena_strdup(a, id->name);
	*out = t;
	return 0;
}

void pond_table_free(pond_table **table)
{
	if (!table || !*table)
		return;
	pond_iceberg_metadata_free(&(*table)->metadata);
	pond_arena *a = (*table)->arena;
	pond_arena_free(&a);
	*table = NULL;
}

/* The folder a new metadata file goes to: LOCATION/metadata, or, when the
 * table moved since its location was recorded (restored from a backup at
 * another place), that folder where the previous metadata file now is
 * (io carries the remap). The catalog records the real path, since it is
 * read without a remap. */
static int metadata_dir(const char *location, pond_fileio *io, pond_arena *arena, const char **out,
                        pond_error *err)
{
	if (!(*out = pond_arena_sprintf(arena, "%s/metadata", location)))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (!pond_fileio_remapped(io))
		return 0;
	pond_buf real = POND_BUF_INIT;
	pond_fileio_resolve(io, *out, &real);
	int rc = pond_buf_ok(&real) && (*out = pond_arena_strdup(arena, pond_buf_cstr(&real)))
	                 ? 0
	                 : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&real);
	return rc;
}

int pond__table_write_metadata_text(pond_fileio *io, const char *location, const char *text, const char *previous,
                                    pond_arena *arena, const char **out_path, pond_error *err)
{
	char name[64];
	int rc = pond_iceberg_metadata_file_name(name, previous, err);
	if (rc)
		return rc;
	const char *dir;
	if ((rc = metadata_dir(location, io, arena, &dir, err)) != 0)
		return rc;
	const char *path = pond_arena_sprintf(arena, "%s/%s", dir, name);
	if (!path)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	/* Object stores have no folders to make. */
	if (pond_fileio_is_local(io) && (rc = pond_mkdirs(dir, err)) != 0)
		return rc;
	/* The path is real already: written as it is, without a remap. */
	rc = pond_fileio_is_local(io) ? pond_file_write_atomic(path, text, strlen(text), err)
	                              : pond_fileio_write(io, path, text, strlen(text), err);
	if (rc == 0)
		*out_path = path;
	return rc;
}

int pond__table_write_metadata(pond_fileio *io, const pond_iceberg_metadata *md, const char *previous,
                               pond_arena *arena, const char **out_path, pond_error *err)
{
	char *text;
	int rc = pond_iceberg_metadata_serialize(&text, md, false, err);
	if (rc)
		return rc;
	rc = pond__table_write_metadata_text(io, md->location, text, previous, arena, out_path, err);
	pond_free(text);
	return rc;
}

void pond__table_remove_file(pond_fileio *io, const char *path)
{
	pond_error ignored = POND_ERROR_INIT;
	if (pond_fileio_remove(io, &path, 1, &ignored) != 0)
		pond_debug("could not delete %s: %s", path, ignored.msg);
}

static void backoff(const pond_commit_options *o, int attempt)
{
	int64_t ms = (int64_t)o->base_backoff_ms << (attempt < 16 ? attempt : 16);
	if (ms > o->max_backoff_ms)
		ms = o->max_backoff_ms;
	/* Full jitter: writers that collided spread out. */
	int64_t wait_us = ms > 0 ? pond_random_i63() % (ms * 1000) + 200 : 200;
	struct timespec ts = {wait_us / 1000000, (wait_us % 1000000) * 1000};
	nanosleep(&ts, NULL);
}

/* One table of a commit attempt: what was read, built and written. */
typedef struct attempt_table {
	pond_table *base;              /* NULL: the table is being created */
	pond_iceberg_metadata *next;   /* owned until handed to the caller */
	const char *path;              /* the metadata file written, in the attempt's arena */
	const char *name;              /* "ns.t", in the attempt's arena */
	pond_fileio *io;               /* the table's storage (pond__table_fileio) */
} attempt_table;

static void attempt_dispose(attempt_table *t, bool unlink_file)
{
	if (unlink_file && t->path && t->io)
		pond__table_remove_file(t->io, t->path);  /* not committed: the file is nobody's */
	pond_fileio_free(&t->io);
	pond_iceberg_metadata_free(&t->next);
	pond_table_free(&t->base);
	t->path = NULL;
}

/* Loads c's table (none when it is missing and c->create), builds c's
 * requirements and updates against it, applies them and writes the
 * result as the next metadata file. */
static int attempt_prepare(pond_lake *lake, const pond_table_change *c, pond_arena *a, attempt_table *t,
                           pond_error *err)
{
	int rc = pond_table_load(&t->base, lake, &c->id, err);
	if (rc == POND_ENOTFOUND && c->create) {
		pond_error_clear(err);
		rc = 0;
	}
	if (rc)
		return rc;
	const pond_iceberg_metadata *base_md = t->base ? t->base->metadata : NULL;
	pond_iceberg_requirement *reqs = NULL;
	pond_iceberg_update *ups = NULL;
	size_t nreqs = 0, nups = 0;
	rc = c->build(base_md, a, &reqs, &nreqs, &ups, &nups, c->payload, err);
	pond_iceberg_apply_options aopts = POND_ICEBERG_APPLY_OPTIONS_INIT;
	aopts.base_metadata_location = t->base ? t->base->metadata_location : NULL;
	if (rc == 0)
		rc = pond_iceberg_metadata_apply(&t->next, base_md, reqs, nreqs, ups, nups, &aopts, err);
	if (rc == 0 && !t->next->location)
		rc = pond_error_set(err, POND_EINVAL, "table %s has no location", t->name);
	/* A REST catalog's server writes the metadata file from the commit. */
	if (rc || pond_catalog_is_rest(lake->catalog))
		return rc;
	const char *previous = t->base ? t->base->metadata_location : NULL;
	if (rc == 0)
		rc = pond__table_fileio(lake, t->next, previous, &t->io, err);
	if (rc == 0)
		rc = pond__table_write_metadata(t->io, t->next, previous, a, &t->path, err);
	return rc;
}

/* After a REST commit landed: the tables' new metadata, from the response
 * (one table) or loaded again (a transaction answers with no body). */
static int rest_committed(pond_lake *lake, const pond_table_change *changes, attempt_table *tables, size_t n,
                          const pond_catalog_table *rows, pond_arena *a, pond_error *err)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		pond_iceberg_metadata *md = NULL;
		const char *path = NULL;
		if (rows[i].metadata_json) {
			rc = pond_iceberg_metadata_parse(&md, rows[i].metadata_json, strlen(rows[i].metadata_json),
			                                 tables[i].name, err);
			path = rows[i].metadata_location;
		} else {
			pond_table *t = NULL;
			if ((rc = pond_table_load(&t, lake, &changes[i].id, err)) == 0 &&
			    (rc = pond_iceberg_metadata_copy(&md, t->metadata, err)) == 0 &&
			    !(path = pond_arena_strdup(a, t->metadata_location)))
				rc = pond_error_set(err, POND_ENOMEM, "out of memory");
			pond_table_free(&t);
		}
		if (rc == 0) {
			pond_iceberg_metadata_free(&tables[i].next);
			tables[i].next = md;
			tables[i].path = path ? path : "";
		} else {
			pond_iceberg_metadata_free(&md);
		}
	}
	return rc;
}

/* The hook's work on the state database, after the remote commit: it
 * cannot share the REST server's transaction, so its failure leaves the
 * commit in place and says so. */
int pond__table_rest_hook(pond_lake *lake, const pond__commit_hook *hook, pond_error *err)
{
	int rc = pond_catalog_tx_begin(lake->catalog, err);
	if (rc == 0 && (rc = hook->fn(lake->catalog, hook->payload, err)) == 0)
		return pond_catalog_tx_commit(lake->catalog, err);
	pond_catalog_tx_rollback(lake->catalog);
	return pond_error_prefix(err, "the commit landed in the REST catalog, but what goes with it in pond's state did not");
}

/* The commit of every table to a REST catalog: requirements and updates
 * from the metadata each attempt read to the one it built; 409 is
 * POND_ECONFLICT, a lost swap. */
static int swap_rest(pond_lake *lake, const pond_table_change *changes, attempt_table *tables, size_t n,
                     const pond__commit_hook *hook, bool *hook_failed, pond_arena *a, pond_error *err)
{
	pond_catalog_commit *commits = pond_arena_calloc(a, n, sizeof(*commits));
	pond_catalog_table *rows = pond_arena_calloc(a, n, sizeof(*rows));
	pond_iceberg_commit **diffs = pond_calloc(n, sizeof(*diffs));
	int rc = commits && rows && diffs ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = pond_iceberg_metadata_diff(&diffs[i], tables[i].base ? tables[i].base->metadata : NULL, tables[i].next, err);
		commits[i] = (pond_catalog_commit){&changes[i].id.ns, changes[i].id.name, diffs[i]};
	}
	if (rc == 0)
		rc = pond_catalog_commit_tables(lake->catalog, commits, n, a, rows, err);
	for (size_t i = 0; diffs && i < n; i++)
		pond_iceberg_commit_free(&diffs[i]);
	pond_free(diffs);
	if (rc == POND_EEXISTS) {  /* a table created meanwhile */
		pond_error_prefix(err, "commit conflict");
		rc = err->code = POND_ECONFLICT;
	}
	if (rc == 0)
		rc = rest_committed(lake, changes, tables, n, rows, a, err);
	if (rc == 0 && hook && hook->fn && (rc = pond__table_rest_hook(lake, hook, err)) != 0)
		*hook_failed = true;
	return rc;
}

/* The catalog swaps of every table (an insert for a table being created),
 * with hook (if any), in one transaction: a failing hook rolls them back
 * and sets *hook_failed. One swap without a hook needs no transaction of
 * its own: the UPDATE is the compare-and-swap. */
static int swap_all(pond_lake *lake, const pond_table_change *changes, const attempt_table *tables, size_t n,
                    const pond__commit_hook *hook, bool *hook_failed, pond_error *err)
{
	*hook_failed = false;
	bool with_hook = hook && hook->fn;
	/* The swap compares with the row as the catalog holds it. */
#define EXPECTED(t) ((t)->base->catalog_location ? (t)->base->catalog_location : (t)->base->metadata_location)
	if (n == 1 && tables[0].base && !with_hook)
		return pond_catalog_commit_table(lake->catalog, &changes[0].id.ns, changes[0].id.name, EXPECTED(&tables[0]),
		                                 tables[0].path, err);
	int rc = pond_catalog_tx_begin(lake->catalog, err);
	if (rc)
		return rc;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const pond_table_ident *id = &changes[i].id;
		if (tables[i].base) {
			rc = pond_catalog_commit_table(lake->catalog, &id->ns, id->name, EXPECTED(&tables[i]), tables[i].path, err);
		} else if ((rc = pond_catalog_create_table(lake->catalog, &id->ns, id->name, tables[i].path, err)) ==
		           POND_EEXISTS) {
			/* Another writer created it first: the next attempt reads it. */
			rc = pond_error_set(err, POND_ECONFLICT, "commit conflict on %s: another writer created it first",
			                    tables[i].name);
		}
	}
#undef EXPECTED
	if (rc == 0 && with_hook && (rc = hook->fn(lake->catalog, hook->payload, err)) != 0)
		*hook_failed = true;
	if (rc == 0)
		return pond_catalog_tx_commit(lake->catalog, err);
	pond_catalog_tx_rollback(lake->catalog);
	return rc;
}

/* The committed state of a table: its new metadata (taken from t) at the
 * file this commit wrote. */
static int committed_table(pond_table **out, const pond_table_ident *id, attempt_table *t, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	pond_table *c = a ? pond_arena_calloc(a, 1, sizeof(*c)) : NULL;
	bool ok = c != NULL;
	if (ok) {
		c->arena = a;
		c->ident.ns = id->ns;
		for (size_t i = 0; i < id->ns.nlevels; i++)
			ok &= (c->ident.ns.levels[i] = pond_arena_strdup(a, id->ns.levels[i])) != NULL;
		ok &= (c->ident.name = pond_arena_strdup(a, id->name)) != NULL;
		ok &= (c->metadata_location = pond_arena_strdup(a, t->path)) != NULL;
	}
	if (!ok) {
		pond_arena_free(&a);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	c->metadata = t->next;
	t->next = NULL;
	*out = c;
	return 0;
}

/* Where the tables stood when an attempt read them, to tell whether they
 * moved between attempts. */
static char *bases_signature(const attempt_table *tables, size_t n)
{
	pond_buf b = POND_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		pond_buf_puts(&b, tables[i].base ? tables[i].base->metadata_location : "-");
		pond_buf_putc(&b, '\n');
	}
	char *s = pond_buf_ok(&b) ? pond_strdup(pond_buf_cstr(&b)) : NULL;
	pond_buf_dispose(&b);
	return s;
}

static int check_changes(const pond_table_change *changes, size_t n, pond_arena *a, pond_error *err)
{
	if (n == 0)
		return pond_error_set(err, POND_EINVAL, "a commit needs at least one table");
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++) {
			const pond_table_ident *x = &changes[i].id, *y = &changes[j].id;
			const char *xs = pond_table_ident_format(a, x), *ys = pond_table_ident_format(a, y);
			if (!xs || !ys)
				return pond_error_set(err, POND_ENOMEM, "out of memory");
			if (strcmp(xs, ys) == 0 && x->ns.nlevels == y->ns.nlevels)
				return pond_error_set(err, POND_EINVAL, "table %s is changed twice in one commit", xs);
		}
	return 0;
}

/* One attempt: prepare every table, then swap them all. *lost says the
 * swap lost a race (retry); *sig gets where the tables stood. */
static int attempt_all(pond_lake *lake, const pond_table_change *changes, attempt_table *tables, size_t n,
                       const pond__commit_hook *hook, pond_arena *a, char **sig, bool *lost, pond_error *err)
{
	*lost = false;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!(tables[i].name = pond_table_ident_format(a, &changes[i].id)))
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		rc = attempt_prepare(lake, &changes[i], a, &tables[i], err);
		/* Which table, when there are several. */
		if (rc == POND_ECONFLICT)
			pond_error_prefix(err, "commit conflict on %s", tables[i].name);
		else if (rc && rc != POND_ENOMEM && n > 1 && !strstr(err->msg, tables[i].name))
			pond_error_prefix(err, "table %s", tables[i].name);
	}
	if (rc == 0 && !(*sig = bases_signature(tables, n)))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc)
		return rc;
	bool hook_failed = false;
	rc = pond_catalog_is_rest(lake->catalog) ? swap_rest(lake, changes, tables, n, hook, &hook_failed, a, err)
	                                         : swap_all(lake, changes, tables, n, hook, &hook_failed, err);
	*lost = rc == POND_ECONFLICT && !hook_failed;
	if (rc == POND_ECONFLICT && hook_failed && n == 1)
		pond_error_prefix(err, "commit conflict on %s", tables[0].name);
	return rc;
}

int pond_table_commit(pond_lake *lake, const pond_table_ident *id, pond_table_commit_fn build, void *payload,
                      const pond_commit_options *opts, pond_table **out, pond_error *err)
{
	return pond__table_commit(lake, id, build, payload, opts, NULL, out, err);
}

int pond__table_commit(pond_lake *lake, const pond_table_ident *id, pond_table_commit_fn build, void *payload,
                       const pond_commit_options *opts, const pond__commit_hook *hook, pond_table **out,
                       pond_error *err)
{
	pond_table_change change = {*id, build, payload, false};
	int rc = pond__table_commit_all(lake, &change, 1, opts, hook, NULL, err);
	if (rc == 0 && out)
		rc = pond_table_load(out, lake, id, err);
	return rc;
}

int pond_table_commit_all(pond_lake *lake, const pond_table_change *changes, size_t n, const pond_commit_options *opts,
                          pond_table **out, pond_error *err)
{
	return pond__table_commit_all(lake, changes, n, opts, NULL, out, err);
}

int pond__table_commit_all(pond_lake *lake, const pond_table_change *changes, size_t n,
                           const pond_commit_options *opts, const pond__commit_hook *hook, pond_table **out,
                           pond_error *err)
{
	static const pond_commit_options defaults = POND_COMMIT_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	pond_arena *a = pond_arena_new();
	attempt_table *tables = pond_calloc(n ? n : 1, sizeof(*tables));
	if (!a || !tables) {
		pond_arena_free(&a);
		pond_free(tables);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	int rc = check_changes(changes, n, a, err);
	/* Retries are bounded by progress, not by a count: a lost swap means
	 * another writer landed a commit, and as long as the tables keep moving
	 * between our attempts someone is getting work done, so we keep going
	 * (a slow machine only makes each round longer). Only attempts that
	 * lose to tables that did not move count against max_attempts. */
	char *last_sig = NULL;
	int stalled = 0, attempt = 0;
	bool lost = rc == 0, landed = false;
	while (lost && stalled < opts->max_attempts) {
		char *sig = NULL;
		pond_arena_reset(a);
		rc = attempt_all(lake, changes, tables, n, hook, a, &sig, &lost, err);
		if (sig) {
			stalled = last_sig && strcmp(last_sig, sig) == 0 ? stalled + 1 : 0;
			pond_free(last_sig);
			last_sig = sig;
		}
		if (lost) {
			/* Someone else committed first: our files are orphans. */
			pond_debug("commit on %s lost a race (attempt %d); retrying", n == 1 ? tables[0].name : "several tables",
			           attempt + 1);
			for (size_t i = 0; i < n; i++)
				attempt_dispose(&tables[i], true);
			if (stalled < opts->max_attempts)
				backoff(opts, attempt++);
			continue;
		}
		if (rc == 0) {
			/* The files written are the catalog's now: whatever fails
			 * below, they stay. */
			landed = true;
			for (size_t i = 0; i < n; i++)
				if (tables[i].base)
					pond__table_after_commit(lake, &changes[i].id, tables[i].base->metadata, tables[i].next,
					                         tables[i].path);
			for (size_t i = 0; out && i < n; i++)
				out[i] = NULL;
			for (size_t i = 0; rc == 0 && out && i < n; i++)
				rc = committed_table(&out[i], &changes[i].id, &tables[i], err);
			if (rc)
				for (size_t i = 0; i < n; i++)
					pond_table_free(&out[i]);
		}
		break;
	}
	if (lost)
		rc = pond_error_set(err, POND_ECONFLICT, "commit conflict on %s: the swap failed %d times while %s did not change",
		               n == 1 && tables[0].name ? tables[0].name : "several tables", opts->max_attempts,
		               n == 1 ? "the table" : "the tables");
	for (size_t i = 0; i < n; i++)
		attempt_dispose(&tables[i], rc != 0 && !landed);
	pond_free(tables);
	pond_free(last_sig);
	pond_arena_free(&a);
	return rc;
}
