/*
 * Expiring snapshots, by Iceberg's rules (Java's RemoveSnapshots): what
 * each ref keeps, one remove-snapshots commit through the commit path
 * (recomputed against fresh metadata after a lost race), then the files
 * that only removed snapshots reached are deleted: reachable before minus
 * reachable after, so a file a kept snapshot reaches is never touched.
 * Only files inside the table's folder go, and data files pond archived
 * (archive.c) inside the table's archive folder. Files go only after the
 * commit, so a crash leaves at worst unreferenced files (for `pond
 * orphans`), never a snapshot missing its files.
 */
#include "table_internal.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROP_MAX_AGE "history.expire.max-snapshot-age-ms"
#define PROP_MIN_KEEP "history.expire.min-snapshots-to-keep"
#define PROP_MAX_REF_AGE "history.expire.max-ref-age-ms"

/* What one attempt removes. */
typedef struct expire_plan {
	size_t nids;
	int64_t *ids;          /* snapshots */
	size_t nrefs;
	const char **refs;     /* tags and branches past their age */
} expire_plan;

typedef struct expire_run {
	const pond_expire_options *opts;
	int64_t now_ms;
	pond_iceberg_metadata *before; /* the metadata the last attempt changed (owned) */
	expire_plan plan;              /* the last attempt's */
} expire_run;

static int64_t cutoff(int64_t now, int64_t age)
{
	return age < 0 || age >= now ? INT64_MIN : now - age;
}

static ssize_t index_of(const pond_iceberg_metadata *md, int64_t id)
{
	for (size_t i = 0; i < md->nsnapshots; i++)
		if (md->snapshots[i].snapshot_id == id)
			return (ssize_t)i;
	return -1;
}

/* Marks a branch's retained ancestors in keep and all its ancestors in
 * referenced (Java's computeBranchSnapshotsToRetain). */
static void retain_branch(const pond_iceberg_metadata *md, const pond_iceberg_ref *ref, const expire_run *x,
                          int64_t default_age, int64_t default_min, bool *keep, bool *referenced)
{
	int64_t age = ref->max_snapshot_age_ms >= 0 ? ref->max_snapshot_age_ms : default_age;
	int64_t min = ref->min_snapshots_to_keep >= 0 ? ref->min_snapshots_to_keep : default_min;
	int64_t cap = x->opts->max_snapshots;
	int64_t older = cutoff(x->now_ms, age);
	if (min < 1)
		min = 1;  /* the head stays */
	int64_t kept = 0;
	bool stop = false;
	ssize_t i = index_of(md, ref->snapshot_id);
	/* a parent cycle in bad metadata ends after every snapshot was seen */
	for (size_t steps = 0; i >= 0 && steps <= md->nsnapshots; steps++) {
		const pond_iceberg_snapshot *s = &md->snapshots[i];
		referenced[i] = true;
		if (!stop && (kept < min || (s->timestamp_ms >= older && (cap < 0 || kept < cap)))) {
			keep[i] = true;
			kept++;
		} else {
			stop = true;
		}
		i = s->has_parent ? index_of(md, s->parent_snapshot_id) : -1;
	}
}

/* Decides, against md, which snapshots and refs go. */
static int plan_expiry(expire_plan *out, const pond_iceberg_metadata *md, const expire_run *x, pond_arena *a,
                       pond_error *err)
{
	const pond_expire_options *o = x->opts;
	int64_t default_age = o->older_than_ms >= 0
	                              ? o->older_than_ms
	                              : pond_iceberg_metadata_property_i64(md, PROP_MAX_AGE, POND_EXPIRE_DEFAULT_MAX_AGE_MS);
	int64_t default_min = o->retain_last >= 0 ? o->retain_last : pond_iceberg_metadata_property_i64(md, PROP_MIN_KEEP, 1);
	int64_t default_ref_age = pond_iceberg_metadata_property_i64(md, PROP_MAX_REF_AGE, -1);
	size_t n = md->nsnapshots;
	bool *keep = pond_arena_calloc(a, n + 1, sizeof(bool));
	bool *referenced = pond_arena_calloc(a, n + 1, sizeof(bool));
	out->ids = pond_arena_calloc(a, n + 1, sizeof(int64_t));
	out->refs = pond_arena_calloc(a, md->nrefs + 1, sizeof(char *));
	if (!keep || !referenced || !out->ids || !out->refs)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	out->nids = out->nrefs = 0;
	for (size_t r = 0; r < md->nrefs; r++) {
		const pond_iceberg_ref *ref = &md->refs[r];
		ssize_t i = index_of(md, ref->snapshot_id);
		int64_t ref_age = ref->max_ref_age_ms >= 0 ? ref->max_ref_age_ms : default_ref_age;
		bool is_main = strcmp(ref->name, "main") == 0;
		if (!is_main && i >= 0 && md->snapshots[i].timestamp_ms < cutoff(x->now_ms, ref_age)) {
			out->refs[out->nrefs++] = ref->name;
			continue;
		}
		if (i < 0)
			continue;
		if (ref->is_tag) {
			keep[i] = referenced[i] = true;
			continue;
		}
		retain_branch(md, ref, x, default_age, default_min, keep, referenced);
	}
	/* Snapshots on no kept ref's history stay while they are young. */
	int64_t older = cutoff(x->now_ms, default_age);
	for (size_t i = 0; i < n; i++)
		if (!keep[i] && !referenced[i] && md->snapshots[i].timestamp_ms >= older)
			keep[i] = true;
	for (size_t i = 0; i < n; i++)
		if (!keep[i])
			out->ids[out->nids++] = md->snapshots[i].snapshot_id;
	return 0;
}

/* The plan as updates: refs first, then the snapshots. */
static int plan_updates(const expire_plan *p, pond_arena *a, pond_iceberg_update **ups, size_t *nups, pond_error *err)
{
	pond_iceberg_update *u = pond_arena_calloc(a, p->nrefs + 1, sizeof(*u));
	if (!u)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t r = 0; r < p->nrefs; r++) {
		u[n].action = POND_ICEBERG_REMOVE_SNAPSHOT_REF;
		u[n++].ref.name = p->refs[r];
	}
	u[n].action = POND_ICEBERG_REMOVE_SNAPSHOTS;
	u[n].nsnapshot_ids = p->nids;
	u[n++].snapshot_ids = p->ids;
	*ups = u;
	*nups = n;
	return 0;
}

static int build_expire(const pond_iceberg_metadata *base, pond_arena *a, pond_iceberg_requirement **reqs,
                        size_t *nreqs, pond_iceberg_update **ups, size_t *nups, void *payload, pond_error *err)
{
	expire_run *x = payload;
	*reqs = NULL;
	*nreqs = 0;
	pond_iceberg_metadata_free(&x->before);
	int rc = plan_expiry(&x->plan, base, x, a, err);
	if (rc == 0)
		rc = pond_iceberg_metadata_copy(&x->before, base, err);
	if (rc == 0)
		rc = plan_updates(&x->plan, a, ups, nups, err);
	return rc;
}

/* ---- deleting what only removed snapshots reached ---- */

typedef struct sweep {
	pond_expire_result *out;
	const char *root;   /* the table's folder, resolved */
	const pond_iceberg_metadata *md;  /* names the table in archive folders */
	pond_buf archive;   /* an archive folder of the table found last */
	bool dry_run;
	pond_fileio *io;
	/* Not on a local disk: the files under root and their sizes (one
	 * listing), and the files to delete, in one batch at the end. */
	bool listed;
	pond__path_map sizes;
	const char **doomed;  /* room for every file of gone */
	size_t ndoomed;
} sweep;

/* The folder holding a data file just deleted, when it is a write's own
 * folder under data/ and now empty (each write has one: no other writer
 * adds to it); with up, its parents below data/ too (a write's partition
 * folders in an archive, which pond orphans never visits). */
static void remove_folder_if_empty(const char *file, const char *root, bool up)
{
	char dir[PATH_MAX], data[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", file);
	snprintf(data, sizeof data, "%s/data", root);
	for (char *slash; (slash = strrchr(dir, '/')) != NULL;) {
		*slash = '\0';
		/* rmdir fails, as it should, on a folder still holding files */
		if (!pond__path_under(dir, data) || rmdir(dir) != 0 || !up)
			return;
	}
}

/* Where a file of gone may be deleted: inside the table's folder, or (a
 * data or delete file, content, of a table on a local disk: archive.c
 * moves only those) in the table's archive folder. NULL: not at all. */
static const char *deletable_within(sweep *s, const char *p, bool content)
{
	if (pond__path_under(p, s->root))
		return s->root;
	if (!content || s->listed)
		return NULL;
	if (s->archive.len && pond__path_under(p, pond_buf_cstr(&s->archive)))
		return pond_buf_cstr(&s->archive);
	return pond__archive_root(p, s->md, &s->archive) ? pond_buf_cstr(&s->archive) : NULL;
}

/* A file of the table as it is now: its size, and false when it is not
 * there (or not a regular file). */
static bool present(sweep *s, const char *p, int64_t *size)
{
	if (s->listed)
		return pond__path_map_get(&s->sizes, p, size);
	struct stat st;
	if (lstat(p, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	*size = (int64_t)st.st_size;
	return true;
}

/* Deletes (or counts) each path of gone that kept lacks, where
 * deletable_within allows; for content files on a local disk, also the
 * write folders that leaves empty. */
static void sweep_set(sweep *s, const pond__path_map *gone, const pond__path_map *kept, int64_t *count, bool content)
{
	for (size_t i = 0; i < gone->cap; i++) {
		const char *p = gone->keys[i];
		int64_t size;
		const char *within = p && !pond__path_map_get(kept, p, NULL) ? deletable_within(s, p, content) : NULL;
		if (!within || !present(s, p, &size))
			continue;
		if (!s->dry_run && s->listed)
			s->doomed[s->ndoomed++] = p;
		else if (!s->dry_run && unlink(p) != 0)
			continue;
		(*count)++;
		s->out->bytes += size;
		if (!s->dry_run && content && !s->listed)
			remove_folder_if_empty(p, within, within != s->root);
	}
}

static int take_size(const pond_fileio_entry *e, void *payload)
{
	sweep *s = payload;
	return pond__path_map_put(&s->sizes, e->path, e->size) == 0 ? 0 : POND_ENOMEM;
}

/* Deletes the four kinds of files the sweep chose, and for an object store
 * first lists what is there (sizes, and which still exist). */
static int sweep_all(sweep *s, pond__reach *kept, pond__reach *gone, pond__reach *live, pond_error *err)
{
	pond_expire_result *out = s->out;
	int rc = 0;
	if (!pond_fileio_is_local(s->io)) {
		s->listed = true;
		size_t most = gone->lists.n + gone->manifests.n + gone->files.n + gone->other.n;
		if (!s->dry_run && !(s->doomed = pond_calloc(most ? most : 1, sizeof(*s->doomed))))
			rc = POND_ENOMEM;
		if (rc == 0)
			rc = pond_fileio_list(s->io, s->root, take_size, s, err);
		if (rc == POND_ENOMEM && !err->code)
			pond_error_set(err, rc, "out of memory");
	}
	if (rc == 0) {
		sweep_set(s, &gone->lists, &kept->lists, &out->manifest_lists, false);
		sweep_set(s, &gone->manifests, &kept->manifests, &out->manifests, false);
		sweep_set(s, &gone->files, &live->files, &out->content_files, true);
		sweep_set(s, &gone->other, &kept->other, &out->other_files, false);
	}
	if (rc == 0 && s->ndoomed && (rc = pond_fileio_remove(s->io, s->doomed, s->ndoomed, err)) != 0) {
		/* Which of the batch went is not known: none counts as deleted
		 * (pond orphans finds those that stayed). */
		out->manifest_lists = out->manifests = out->content_files = out->other_files = out->bytes = 0;
	}
	pond_free(s->doomed);
	pond__path_map_dispose(&s->sizes);
	return rc;
}

/* Deletes the files before's snapshots (those after lacks) reached that
 * after's snapshots do not. */
static int sweep_files(pond_lake *lake, const pond_iceberg_metadata *before, const pond_iceberg_metadata *after,
                       const char *after_location, bool dry_run, pond_expire_result *out, pond_error *err)
{
	pond_fileio *io = NULL;
	pond__reach kept, gone, live;
	bool init_kept = false, init_gone = false, init_live = false;
	pond_buf root = POND_BUF_INIT;
	int rc = pond__table_fileio(lake, after, after_location, &io, err);
	if (rc == 0 && (rc = pond__reach_init(&kept, io, false, true, err)) == 0)
		init_kept = true;
	if (rc == 0 && (rc = pond__reach_init(&gone, io, true, false, err)) == 0)
		init_gone = true;
	if (rc == 0 && (rc = pond__reach_init(&live, io, true, true, err)) == 0)
		init_live = true;
	for (size_t i = 0; rc == 0 && i < after->nsnapshots; i++)
		rc = pond__reach_snapshot(&kept, &after->snapshots[i], NULL, err);
	if (rc == 0)
		rc = pond__reach_statistics(&kept, after->statistics, err);
	if (rc == 0)
		rc = pond__reach_statistics(&kept, after->partition_statistics, err);
	/* Removed snapshots: the entries of the manifests no kept one lists. */
	for (size_t i = 0; rc == 0 && i < before->nsnapshots; i++)
		if (!pond_iceberg_metadata_snapshot(after, before->snapshots[i].snapshot_id))
			rc = pond__reach_snapshot(&gone, &before->snapshots[i], &kept.manifests, err);
	if (rc == 0)
		rc = pond__reach_statistics(&gone, before->statistics, err);
	if (rc == 0)
		rc = pond__reach_statistics(&gone, before->partition_statistics, err);
	/* The files kept snapshots hold live, read only when some file may go. */
	for (size_t i = 0; rc == 0 && gone.files.n && i < after->nsnapshots; i++)
		rc = pond__reach_snapshot(&live, &after->snapshots[i], NULL, err);
	if (rc == 0) {
		pond_fileio_resolve(io, after->location, &root);
		if (!pond_buf_ok(&root))
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	if (rc == 0) {
		sweep s = {out, pond_buf_cstr(&root), after, POND_BUF_INIT, dry_run, io, false, {0}, NULL, 0};
		rc = sweep_all(&s, &kept, &gone, &live, err);
		pond_buf_dispose(&s.archive);
	}
	if (init_kept)
		pond__reach_dispose(&kept);
	if (init_gone)
		pond__reach_dispose(&gone);
	if (init_live)
		pond__reach_dispose(&live);
	pond_buf_dispose(&root);
	pond_fileio_free(&io);
	return rc;
}

/* A dry run: the plan against the current metadata, applied in memory. */
static int expire_dry(pond_lake *lake, const pond_table_ident *id, expire_run *x, pond_expire_result *out,
                      pond_error *err)
{
	pond_table *t = NULL;
	pond_iceberg_metadata *after = NULL;
	pond_arena *a = pond_arena_new();
	pond_iceberg_update *ups = NULL;
	size_t nups = 0;
	int rc = a ? pond_table_load(&t, lake, id, err) : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = plan_expiry(&x->plan, t->metadata, x, a, err);
	if (rc == 0 && (x->plan.nids || x->plan.nrefs)) {
		pond_iceberg_apply_options ao = POND_ICEBERG_APPLY_OPTIONS_INIT;
		ao.base_metadata_location = t->metadata_location;
		rc = plan_updates(&x->plan, a, &ups, &nups, err);
		if (rc == 0)
			rc = pond_iceberg_metadata_apply(&after, t->metadata, NULL, 0, ups, nups, &ao, err);
		if (rc == 0)
			rc = sweep_files(lake, t->metadata, after, t->metadata_location, true, out, err);
	}
	if (rc == 0) {
		out->snapshots = (int64_t)x->plan.nids;
		out->refs = (int64_t)x->plan.nrefs;
		out->snapshots_left = (int64_t)(t->metadata->nsnapshots - x->plan.nids);
	}
	pond_iceberg_metadata_free(&after);
	pond_table_free(&t);
	pond_arena_free(&a);
	return rc;
}

/* Whether the plan against md removes anything; *rc gets a planning error. */
static bool has_work(const pond_iceberg_metadata *md, expire_run *x, int *rc, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	*rc = a ? plan_expiry(&x->plan, md, x, a, err) : pond_error_set(err, POND_ENOMEM, "out of memory");
	bool work = *rc == 0 && (x->plan.nids || x->plan.nrefs);
	/* The plan lived in a: each commit attempt plans again. */
	x->plan = (expire_plan){0, NULL, 0, NULL};
	pond_arena_free(&a);
	return work;
}

bool pond__expire_pending(const pond_iceberg_metadata *md, const pond_expire_options *opts)
{
	expire_run x = {opts, opts->now_ms ? opts->now_ms : pond_time_now_ms(), NULL, {0, NULL, 0, NULL}};
	int rc;
	return has_work(md, &x, &rc, NULL);
}

int pond_table_expire(pond_lake *lake, const pond_table_ident *id, const pond_expire_options *opts,
                      pond_expire_result *out, pond_error *err)
{
	static const pond_expire_options defaults = POND_EXPIRE_OPTIONS_INIT;
	expire_run x = {opts ? opts : &defaults, 0, NULL, {0, NULL, 0, NULL}};
	memset(out, 0, sizeof(*out));
	x.now_ms = x.opts->now_ms ? x.opts->now_ms : pond_time_now_ms();
	if (x.opts->dry_run)
		return expire_dry(lake, id, &x, out, err);
	/* Decide on the current state first: nothing to expire commits nothing. */
	pond_table *t = NULL;
	int rc = pond_table_load(&t, lake, id, err);
	bool work = rc == 0 && has_work(t->metadata, &x, &rc, err);
	if (rc == 0)
		out->snapshots_left = (int64_t)t->metadata->nsnapshots;
	pond_table_free(&t);
	if (rc || !work)
		return rc;
	pond_table *after = NULL;
	rc = pond_table_commit(lake, id, build_expire, &x, NULL, &after, err);
	if (rc == 0) {
		out->snapshots = (int64_t)x.plan.nids;
		out->refs = (int64_t)x.plan.nrefs;
		out->snapshots_left = (int64_t)after->metadata->nsnapshots;
		pond_error why = POND_ERROR_INIT;
		/* The commit stands whatever happens to the files. */
		if (sweep_files(lake, x.before, after->metadata, after->metadata_location, false, out, &why) != 0)
			pond_warn("expired snapshots of %s but could not delete their files: %s",
			          pond_table_ident_format(after->arena, id), why.msg);
	}
	pond_table_free(&after);
	pond_iceberg_metadata_free(&x.before);
	return rc;
}
