/*
 * Snapshot references: rolling the main branch back to an earlier snapshot
 * (by id or by time), and creating, dropping and listing tags and branches.
 * Each is one set-snapshot-ref or remove-snapshot-ref commit through the
 * commit path, guarded by assert-ref-snapshot-id. A retry after a lost race
 * refuses to move a ref that moved in between, so a concurrent commit is
 * never silently undone.
 */
#include "table_internal.h"

#include <stdlib.h>
#include <string.h>

typedef enum {
	REF_ROLLBACK = 1,
	REF_ROLLBACK_TIME,
	REF_CREATE,
	REF_DROP,
} ref_change_kind;

typedef struct ref_change {
	ref_change_kind kind;
	const char *table;          /* for messages */
	const char *name;           /* create, drop */
	bool is_tag;                /* create, drop */
	bool has_snapshot;          /* create: else the current snapshot */
	int64_t snapshot_id;        /* rollback, create */
	int64_t timestamp_ms;       /* rollback to time */
	bool force;                 /* rollback: any known snapshot */
	pond_ref_options retention; /* create */
	int attempts;
	bool seen;                  /* the ref's snapshot on the first attempt, below */
	int64_t seen_snapshot_id;
	int64_t resolved;           /* the snapshot the ref points at after the commit */
} ref_change;

static int oom(pond_error *err)
{
	return pond_error_set(err, POND_ENOMEM, "out of memory");
}

/* Whether id is head or one of its ancestors (parents followed through the
 * snapshots the table still has). */
static bool is_ancestor(const pond_iceberg_metadata *md, int64_t head, int64_t id)
{
	const pond_iceberg_snapshot *s = pond_iceberg_metadata_snapshot(md, head);
	/* a parent cycle in bad metadata ends after every snapshot was seen */
	for (size_t steps = 0; s && steps <= md->nsnapshots; steps++) {
		if (s->snapshot_id == id)
			return true;
		if (!s->has_parent)
			break;
		s = pond_iceberg_metadata_snapshot(md, s->parent_snapshot_id);
	}
	return false;
}

/* The ref's snapshot must be the one seen on the first attempt: the caller
 * decided on that state. */
static int check_unmoved(ref_change *c, const char *name, const pond_iceberg_ref *ref, pond_error *err)
{
	int64_t now = ref ? ref->snapshot_id : POND_ICEBERG_NO_SNAPSHOT;
	if (!c->seen) {
		c->seen = true;
		c->seen_snapshot_id = now;
		return 0;
	}
	if (now == c->seen_snapshot_id)
		return 0;
	return pond_error_set(err, POND_ECONFLICT, "ref \"%s\" of %s moved from snapshot %lld to %lld meanwhile", name,
	                      c->table, (long long)c->seen_snapshot_id, (long long)now);
}

static int no_snapshot(ref_change *c, int64_t id, pond_error *err)
{
	return pond_error_set(err, POND_ENOTFOUND, "table %s has no snapshot %lld", c->table, (long long)id);
}

static int rollback_target(ref_change *c, const pond_iceberg_metadata *md, int64_t *target, pond_error *err)
{
	int64_t head = md->current_snapshot_id;
	if (c->kind == REF_ROLLBACK_TIME) {
		/* as Java's rollbackToTime: the newest ancestor of the current
		 * snapshot committed at or before the time */
		const pond_iceberg_snapshot *best = NULL;
		const pond_iceberg_snapshot *s = pond_iceberg_metadata_snapshot(md, head);
		for (size_t steps = 0; s && steps <= md->nsnapshots; steps++) {
			if (s->timestamp_ms <= c->timestamp_ms && (!best || s->timestamp_ms > best->timestamp_ms))
				best = s;
			s = s->has_parent ? pond_iceberg_metadata_snapshot(md, s->parent_snapshot_id) : NULL;
		}
		if (!best) {
			char when[40];
			pond_time_format_ms(when, c->timestamp_ms);
			return pond_error_set(err, POND_ENOTFOUND, "table %s has no snapshot at or before %s", c->table, when);
		}
		*target = best->snapshot_id;
		return 0;
	}
	if (!pond_iceberg_metadata_snapshot(md, c->snapshot_id))
		return no_snapshot(c, c->snapshot_id, err);
	if (!c->force && !is_ancestor(md, head, c->snapshot_id)) {
		if (head == POND_ICEBERG_NO_SNAPSHOT)
			return pond_error_set(err, POND_EINVAL,
			                      "cannot roll back %s to snapshot %lld: the main branch has no snapshot (force "
			                      "allows any snapshot)",
			                      c->table, (long long)c->snapshot_id);
		return pond_error_set(err, POND_EINVAL,
		                      "cannot roll back %s to snapshot %lld: it is not an ancestor of the current snapshot "
		                      "%lld (force allows any snapshot)",
		                      c->table, (long long)c->snapshot_id, (long long)head);
	}
	*target = c->snapshot_id;
	return 0;
}

static int check_retention(ref_change *c, pond_error *err)
{
	const pond_ref_options *r = &c->retention;
	const char *kind = c->is_tag ? "tag" : "branch";
	if (r->max_ref_age_ms == 0 || r->max_ref_age_ms < -1 || r->max_snapshot_age_ms == 0 ||
	    r->max_snapshot_age_ms < -1 || r->min_snapshots_to_keep == 0 || r->min_snapshots_to_keep < -1)
		return pond_error_set(err, POND_EINVAL, "retention settings of %s \"%s\" in %s must be positive", kind,
		                      c->name, c->table);
	if (c->is_tag && (r->max_snapshot_age_ms != -1 || r->min_snapshots_to_keep != -1))
		return pond_error_set(err, POND_EINVAL,
		                      "tag \"%s\" in %s takes only max-ref-age-ms: a tag keeps no snapshot history", c->name,
		                      c->table);
	return 0;
}

static int create_ref(ref_change *c, const pond_iceberg_metadata *md, pond_iceberg_ref *ref, pond_error *err)
{
	const char *kind = c->is_tag ? "tag" : "branch";
	if (!c->name || !c->name[0])
		return pond_error_set(err, POND_EINVAL, "cannot create a %s with an empty name in %s", kind, c->table);
	if (strcmp(c->name, "main") == 0)
		return pond_error_set(err, POND_EINVAL, "cannot create a %s named \"main\" in %s: main is the table's own "
		                      "branch", kind, c->table);
	const pond_iceberg_ref *old = pond_iceberg_metadata_ref(md, c->name);
	if (old)
		return pond_error_set(err, POND_EEXISTS, "%s already has a %s \"%s\"", c->table,
		                      old->is_tag ? "tag" : "branch", c->name);
	int rc = check_retention(c, err);
	if (rc)
		return rc;
	int64_t target = c->snapshot_id;
	if (!c->has_snapshot) {
		target = md->current_snapshot_id;
		if (target == POND_ICEBERG_NO_SNAPSHOT)
			return pond_error_set(err, POND_EINVAL, "cannot create %s \"%s\" in %s: the table has no snapshot yet",
			                      kind, c->name, c->table);
	} else if (!pond_iceberg_metadata_snapshot(md, target)) {
		return no_snapshot(c, target, err);
	}
	*ref = (pond_iceberg_ref){c->name, c->is_tag, target, c->retention.max_ref_age_ms,
	                          c->retention.max_snapshot_age_ms, c->retention.min_snapshots_to_keep};
	return 0;
}

static int build_ref(const pond_iceberg_metadata *base, pond_arena *arena, pond_iceberg_requirement **reqs,
                     size_t *nreqs, pond_iceberg_update **ups, size_t *nups, void *payload, pond_error *err)
{
	ref_change *c = payload;
	pond_iceberg_requirement *r = pond_arena_calloc(arena, 1, sizeof(*r));
	pond_iceberg_update *u = pond_arena_calloc(arena, 1, sizeof(*u));
	if (!r || !u)
		return oom(err);
	c->attempts++;
	int rc = 0;
	const char *name = c->kind == REF_ROLLBACK || c->kind == REF_ROLLBACK_TIME ? "main" : c->name;
	const pond_iceberg_ref *old = pond_iceberg_metadata_ref(base, name);
	r->type = POND_ICEBERG_ASSERT_REF_SNAPSHOT_ID;
	r->ref = name;
	r->has_snapshot_id = old != NULL;
	r->snapshot_id = old ? old->snapshot_id : 0;
	switch (c->kind) {
	case REF_ROLLBACK:
	case REF_ROLLBACK_TIME: {
		int64_t target = 0;
		if ((rc = check_unmoved(c, name, old, err)) || (rc = rollback_target(c, base, &target, err)))
			break;
		u->action = POND_ICEBERG_SET_SNAPSHOT_REF;
		/* main keeps its retention settings */
		u->ref = old ? *old : (pond_iceberg_ref){"main", false, 0, -1, -1, -1};
		u->ref.name = "main";
		u->ref.is_tag = false;
		u->ref.snapshot_id = target;
		c->resolved = target;
		break;
	}
	case REF_CREATE:
		if ((rc = create_ref(c, base, &u->ref, err)))
			break;
		u->action = POND_ICEBERG_SET_SNAPSHOT_REF;
		c->resolved = u->ref.snapshot_id;
		break;
	case REF_DROP: {
		const char *kind = c->is_tag ? "tag" : "branch";
		if (strcmp(c->name, "main") == 0) {
			rc = pond_error_set(err, POND_EINVAL, "cannot drop the main branch of %s", c->table);
			break;
		}
		if (!old) {
			rc = pond_error_set(err, POND_ENOTFOUND, "%s has no %s \"%s\"", c->table, kind, c->name);
			break;
		}
		if (old->is_tag != c->is_tag) {
			rc = pond_error_set(err, POND_EINVAL, "\"%s\" in %s is a %s, not a %s", c->name, c->table,
			                    old->is_tag ? "tag" : "branch", kind);
			break;
		}
		if ((rc = check_unmoved(c, name, old, err)))
			break;
		u->action = POND_ICEBERG_REMOVE_SNAPSHOT_REF;
		u->ref.name = c->name;
		break;
	}
	}
	/* A change that applied to what we saw first and no longer does was
	 * beaten by a concurrent one. */
	if (rc && rc != POND_ENOMEM && c->attempts > 1)
		err->code = rc = POND_ECONFLICT;
	if (rc)
		return rc;
	*reqs = r;
	*nreqs = 1;
	*ups = u;
	*nups = 1;
	return 0;
}

static int commit_ref(pond_lake *lake, const pond_table_ident *id, ref_change *c, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	if (!a || !(c->table = pond_table_ident_format(a, id))) {
		pond_arena_free(&a);
		return oom(err);
	}
	int rc = pond_table_commit(lake, id, build_ref, c, NULL, NULL, err);
	pond_arena_free(&a);
	return rc;
}

int pond_table_rollback(pond_lake *lake, const pond_table_ident *id, int64_t snapshot_id, bool force,
                        pond_error *err)
{
	ref_change c = {.kind = REF_ROLLBACK, .snapshot_id = snapshot_id, .force = force};
	/* Rows buffered since are undone with the rest. */
	int rc = pond__buffer_flush_first(lake, id, NULL, NULL, NULL, err);
	return rc ? rc : commit_ref(lake, id, &c, err);
}

int pond_table_rollback_to_time(pond_lake *lake, const pond_table_ident *id, int64_t timestamp_ms,
                                int64_t *out_snapshot_id, pond_error *err)
{
	ref_change c = {.kind = REF_ROLLBACK_TIME, .timestamp_ms = timestamp_ms};
	int rc = pond__buffer_flush_first(lake, id, NULL, NULL, NULL, err);
	if (rc == 0)
		rc = commit_ref(lake, id, &c, err);
	if (rc == 0 && out_snapshot_id)
		*out_snapshot_id = c.resolved;
	return rc;
}

static int create(pond_lake *lake, const pond_table_ident *id, const char *name, bool is_tag, int64_t snapshot_id,
                  const pond_ref_options *opts, pond_error *err)
{
	static const pond_ref_options defaults = POND_REF_OPTIONS_INIT;
	ref_change c = {.kind = REF_CREATE, .name = name, .is_tag = is_tag,
	                .has_snapshot = snapshot_id != POND_ICEBERG_NO_SNAPSHOT, .snapshot_id = snapshot_id,
	                .retention = opts ? *opts : defaults};
	/* A ref made from the head holds what reads of the head show,
	 * buffered rows included. */
	int rc = c.has_snapshot ? 0 : pond__buffer_flush_first(lake, id, NULL, NULL, NULL, err);
	return rc ? rc : commit_ref(lake, id, &c, err);
}

int pond_table_create_tag(pond_lake *lake, const pond_table_ident *id, const char *name, int64_t snapshot_id,
                          const pond_ref_options *opts, pond_error *err)
{
	return create(lake, id, name, true, snapshot_id, opts, err);
}

int pond_table_create_branch(pond_lake *lake, const pond_table_ident *id, const char *name, int64_t snapshot_id,
                             const pond_ref_options *opts, pond_error *err)
{
	return create(lake, id, name, false, snapshot_id, opts, err);
}

int pond_table_drop_tag(pond_lake *lake, const pond_table_ident *id, const char *name, pond_error *err)
{
	ref_change c = {.kind = REF_DROP, .name = name ? name : "", .is_tag = true};
	return commit_ref(lake, id, &c, err);
}

int pond_table_drop_branch(pond_lake *lake, const pond_table_ident *id, const char *name, pond_error *err)
{
	ref_change c = {.kind = REF_DROP, .name = name ? name : "", .is_tag = false};
	return commit_ref(lake, id, &c, err);
}

/* main first, then branches, then tags, each by name */
static int compare_refs(const void *pa, const void *pb)
{
	const pond_iceberg_ref *a = pa, *b = pb;
	bool a_main = strcmp(a->name, "main") == 0, b_main = strcmp(b->name, "main") == 0;
	if (a_main != b_main)
		return a_main ? -1 : 1;
	if (a->is_tag != b->is_tag)
		return a->is_tag ? 1 : -1;
	return strcmp(a->name, b->name);
}

int pond_table_list_refs(pond_iceberg_ref **out, size_t *nout, const pond_table *table, pond_arena *arena,
                         pond_error *err)
{
	const pond_iceberg_metadata *md = table->metadata;
	*out = NULL;
	*nout = 0;
	if (!md->nrefs)
		return 0;
	pond_iceberg_ref *refs = pond_arena_memdup(arena, md->refs, md->nrefs * sizeof(*refs));
	if (!refs)
		return oom(err);
	qsort(refs, md->nrefs, sizeof(*refs), compare_refs);
	*out = refs;
	*nout = md->nrefs;
	return 0;
}
