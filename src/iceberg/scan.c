/*
 * Scan planning (spec "Scan Planning"): pick a snapshot, read its manifest
 * list, drop manifests whose partition summaries cannot match the filter's
 * projection, stream the remaining manifests entry by entry (one scratch
 * arena reset per entry), drop entries by partition tuple and by column
 * statistics, keep live entries, and attach to each data file the delete
 * files that apply to it by partition and sequence number. Work is linear
 * in the number of entries: projections are computed once per spec, field
 * ids resolved once per manifest, deletes found through a sorted hash index.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_internal.h"

int pond_scan_select_snapshot(const pond_iceberg_snapshot **out, const pond_iceberg_metadata *md,
                              const pond_scan_options *opts, pond_error *err)
{
	*out = NULL;
	int selectors = (opts && opts->has_snapshot_id) + (opts && opts->ref != NULL) + (opts && opts->has_as_of);
	if (selectors > 1)
		return pond_error_set(err, POND_EINVAL, "choose a snapshot by one of id, ref or time, not several");
	if (opts && opts->has_snapshot_id) {
		*out = pond_iceberg_metadata_snapshot(md, opts->snapshot_id);
		if (!*out)
			return pond_error_set(err, POND_ENOTFOUND, "snapshot %lld not found in table metadata",
			                      (long long)opts->snapshot_id);
		return 0;
	}
	if (opts && opts->ref) {
		const pond_iceberg_ref *ref = pond_iceberg_metadata_ref(md, opts->ref);
		if (!ref)
			return pond_error_set(err, POND_ENOTFOUND, "no branch or tag named \"%s\"", opts->ref);
		*out = pond_iceberg_metadata_snapshot(md, ref->snapshot_id);
		if (!*out)
			return pond_error_set(err, POND_ECORRUPT, "%s \"%s\" points at snapshot %lld, which is not in the table",
			                      ref->is_tag ? "tag" : "branch", ref->name, (long long)ref->snapshot_id);
		return 0;
	}
	if (opts && opts->has_as_of) {
		/* The snapshot log says what main was at each time; without one,
		 * the latest snapshot committed by then. */
		int64_t id = POND_ICEBERG_NO_SNAPSHOT;
		bool found = false;
		for (size_t i = 0; i < md->nsnapshot_log; i++)
			if (md->snapshot_log[i].timestamp_ms <= opts->as_of_ms) {
				id = md->snapshot_log[i].snapshot_id;
				found = true;
			}
		if (!md->nsnapshot_log) {
			int64_t best = INT64_MIN;
			for (size_t i = 0; i < md->nsnapshots; i++)
				if (md->snapshots[i].timestamp_ms <= opts->as_of_ms && md->snapshots[i].timestamp_ms >= best) {
					best = md->snapshots[i].timestamp_ms;
					id = md->snapshots[i].snapshot_id;
					found = true;
				}
		}
		char when[40];
		pond_time_format_ms(when, opts->as_of_ms);
		if (!found)
			return pond_error_set(err, POND_ENOTFOUND, "no snapshot at or before %s", when);
		*out = pond_iceberg_metadata_snapshot(md, id);
		if (!*out)
			return pond_error_set(err, POND_ENOTFOUND, "snapshot %lld current at %s has expired",
			                      (long long)id, when);
		return 0;
	}
	*out = pond_iceberg_metadata_current_snapshot(md);
	if (!*out && md->current_snapshot_id != POND_ICEBERG_NO_SNAPSHOT)
		return pond_error_set(err, POND_ECORRUPT, "current snapshot %lld not found in table metadata",
		                      (long long)md->current_snapshot_id);
	return 0;
}

/* What planning keeps per spec: the filter projected onto it. */
typedef struct spec_cache {
	int32_t spec_id;
	const pond_iceberg_partition_spec *spec;
	pond_expr *projected;
	bool unpartitioned;
} spec_cache;

typedef struct planner {
	pond_scan_plan *plan;
	const pond_iceberg_metadata *md;
	const pond_iceberg_schema *schema;
	pond_fileio *io;
	pond_expr *bound;
	pond_expr *metrics_bound;   /* bound, less what statistics cannot prove */
	spec_cache *specs;
	size_t nspecs, cap_specs;
	/* growing arrays (pond_malloc), moved into the plan at the end */
	pond_scan_task *tasks;
	const char **task_raw_paths;
	size_t ntasks, cap_tasks;
	pond_scan_delete *deletes;
	size_t ndeletes, cap_deletes;
	pond_buf path;
	pond_error *err;
} planner;

static int oom(planner *p)
{
	return pond_error_set(p->err, POND_ENOMEM, "out of memory planning a scan");
}

static int get_spec(planner *p, const pond_iceberg_partition_spec *spec, spec_cache **out)
{
	for (size_t i = 0; i < p->nspecs; i++)
		if (p->specs[i].spec == spec) {
			*out = &p->specs[i];
			return 0;
		}
	if (p->nspecs == p->cap_specs) {
		size_t ncap = p->cap_specs ? p->cap_specs * 2 : 4;
		spec_cache *n = pond_reallocarray(p->specs, ncap, sizeof *n);
		if (!n)
			return oom(p);
		p->specs = n;
		p->cap_specs = ncap;
	}
	spec_cache *c = &p->specs[p->nspecs];
	memset(c, 0, sizeof *c);
	c->spec = spec;
	c->spec_id = spec->spec_id;
	c->unpartitioned = true;
	for (size_t i = 0; i < spec->nfields; i++)
		if (spec->fields[i].transform.kind != POND_ICEBERG_VOID)
			c->unpartitioned = false;
	if (p->bound) {
		pond_error e2 = POND_ERROR_INIT;
		int rc = pond_expr_project(&c->projected, p->bound, spec, p->schema, p->plan->arena, &e2);
		if (rc == POND_ENOMEM)
			return pond_error_set(p->err, rc, "%s", e2.msg);
		if (rc)
			c->projected = NULL; /* a spec the schema cannot type: no partition pruning */
	}
	p->nspecs++;
	*out = c;
	return 0;
}

static int copy_partition(planner *p, pond_iceberg_literal **out, const pond_data_file *df)
{
	*out = NULL;
	if (!df->npartition)
		return 0;
	pond_iceberg_literal *t = pond_arena_memdup(p->plan->arena, df->partition, df->npartition * sizeof *t);
	if (!t)
		return oom(p);
	for (size_t i = 0; i < df->npartition; i++) {
		pond_iceberg_type_id ty = t[i].type;
		if (!t[i].is_null && (ty == POND_ICEBERG_STRING || ty == POND_ICEBERG_BINARY || ty == POND_ICEBERG_FIXED)) {
			const uint8_t *b = pond_arena_memdup(p->plan->arena, t[i].v.bytes.len ? (const void *)t[i].v.bytes.ptr : "",
			                                     t[i].v.bytes.len + 1);
			if (!b)
				return oom(p);
			t[i].v.bytes.ptr = b;
		}
	}
	*out = t;
	return 0;
}

static const char *resolved_path(planner *p, const char *raw)
{
	pond_buf_clear(&p->path);
	pond_fileio_resolve(p->io, raw, &p->path);
	if (!pond_buf_ok(&p->path))
		return NULL;
	return pond_arena_strdup(p->plan->arena, pond_buf_cstr(&p->path));
}

static int add_task(planner *p, const pond_manifest_entry *e)
{
	const pond_data_file *df = &e->data_file;
	if (p->ntasks == p->cap_tasks) {
		size_t ncap = p->cap_tasks ? p->cap_tasks * 2 : 64;
		pond_scan_task *nt = pond_reallocarray(p->tasks, ncap, sizeof *nt);
		if (!nt)
			return oom(p);
		p->tasks = nt;
		const char **np = pond_reallocarray(p->task_raw_paths, ncap, sizeof *np);
		if (!np)
			return oom(p);
		p->task_raw_paths = np;
		p->cap_tasks = ncap;
	}
	pond_scan_task *t = &p->tasks[p->ntasks];
	memset(t, 0, sizeof *t);
	t->path = resolved_path(p, df->file_path);
	t->file_format = pond_arena_strdup(p->plan->arena, df->file_format);
	const char *raw = pond_arena_strdup(p->plan->arena, df->file_path);
	if (!t->path || !t->file_format || !raw)
		return oom(p);
	t->record_count = df->record_count;
	t->file_size_in_bytes = df->file_size_in_bytes;
	t->spec_id = df->spec_id;
	t->npartition = df->npartition;
	t->sequence_number = e->has_sequence_number ? e->sequence_number : 0;
	int rc = copy_partition(p, &t->partition, df);
	if (rc)
		return rc;
	p->task_raw_paths[p->ntasks++] = raw;
	p->plan->data_records += df->record_count;
	p->plan->data_bytes += df->file_size_in_bytes > 0 ? df->file_size_in_bytes : 0;
	return 0;
}

static int add_delete(planner *p, const pond_manifest_entry *e)
{
	const pond_data_file *df = &e->data_file;
	if (p->ndeletes == p->cap_deletes) {
		size_t ncap = p->cap_deletes ? p->cap_deletes * 2 : 16;
		pond_scan_delete *nd = pond_reallocarray(p->deletes, ncap, sizeof *nd);
		if (!nd)
			return oom(p);
		p->deletes = nd;
		p->cap_deletes = ncap;
	}
	pond_scan_delete *d = &p->deletes[p->ndeletes];
	memset(d, 0, sizeof *d);
	d->content = df->content;
	d->path = resolved_path(p, df->file_path);
	d->file_format = pond_arena_strdup(p->plan->arena, df->file_format);
	if (!d->path || !d->file_format)
		return oom(p);
	if (df->referenced_data_file && !(d->referenced_data_file = pond_arena_strdup(p->plan->arena,
	                                                                              df->referenced_data_file)))
		return oom(p);
	d->record_count = df->record_count;
	d->file_size_in_bytes = df->file_size_in_bytes;
	d->spec_id = df->spec_id;
	d->npartition = df->npartition;
	d->sequence_number = e->has_sequence_number ? e->sequence_number : 0;
	if (df->nequality_ids) {
		d->equality_ids = pond_arena_memdup(p->plan->arena, df->equality_ids, df->nequality_ids * sizeof(int32_t));
		if (!d->equality_ids)
			return oom(p);
		d->nequality_ids = df->nequality_ids;
	}
	int rc = copy_partition(p, &d->partition, df);
	if (rc)
		return rc;
	p->ndeletes++;
	p->plan->delete_records += df->record_count;
	return 0;
}

static int plan_manifest(planner *p, const pond_manifest_file *mf, pond_arena *scratch)
{
	const pond_iceberg_partition_spec *spec = pond_iceberg_metadata_spec(p->md, mf->partition_spec_id);
	spec_cache *sc = NULL;
	int rc;
	if (spec && (rc = get_spec(p, spec, &sc)))
		return rc;
	if (sc && sc->projected && mf->has_partitions && mf->npartitions == spec->nfields) {
		if (!pond_expr_summaries_may_match(sc->projected, spec, NULL, mf->partitions, mf->npartitions)) {
			p->plan->manifests_skipped++;
			return 0;
		}
	}
	pond_manifest_reader *r = NULL;
	rc = pond_manifest_reader_open(&r, p->io, mf->manifest_path, mf, spec, p->schema, p->err);
	if (rc)
		return rc;
	spec_cache local;
	if (!sc) {
		/* A spec only the manifest knows: project for this file alone (the
		 * spec lives in the reader). */
		const pond_iceberg_partition_spec *rs = pond_manifest_reader_spec(r);
		memset(&local, 0, sizeof local);
		local.spec = rs;
		local.spec_id = rs->spec_id;
		pond_error e2 = POND_ERROR_INIT;
		if (p->bound && pond_expr_project(&local.projected, p->bound, rs, p->schema, p->plan->arena, &e2) != 0) {
			local.projected = NULL;
			if (e2.code == POND_ENOMEM) {
				pond_manifest_reader_close(&r);
				return oom(p);
			}
		}
		sc = &local;
	}
	bool deletes = mf->content == POND_MANIFEST_CONTENT_DELETES;
	for (;;) {
		const pond_manifest_entry *e = NULL;
		pond_arena_reset(scratch);
		rc = pond_manifest_reader_next(r, scratch, &e, p->err);
		if (rc <= 0)
			break;
		p->plan->entries_read++;
		if (e->status == POND_MANIFEST_DELETED)
			continue;
		const pond_data_file *df = &e->data_file;
		if (sc->projected && !pond_expr_partition_may_match(sc->projected, sc->spec, df->partition, df->npartition)) {
			p->plan->files_skipped++;
			continue;
		}
		if (df->content == POND_CONTENT_DATA && !deletes) {
			if (p->metrics_bound && !pond_expr_metrics_may_match(p->metrics_bound, df)) {
				p->plan->files_skipped++;
				continue;
			}
			rc = add_task(p, e);
		} else if (df->content != POND_CONTENT_DATA) {
			rc = add_delete(p, e);
		}
		if (rc)
			break;
	}
	pond_manifest_reader_close(&r);
	return rc < 0 ? rc : 0;
}

/* ---- what column statistics can prove ---- */

typedef struct mapped_ids {
	int32_t *ids;
	size_t n, cap;
	bool oom;
} mapped_ids;

static void collect_mapped_ids(const json_t *fields, mapped_ids *m, int depth)
{
	size_t i;
	const json_t *f;
	if (depth > 64)
		return;
	json_array_foreach(fields, i, f) {
		const json_t *id = json_object_get(f, "field-id");
		if (json_is_integer(id)) {
			if (m->n == m->cap) {
				size_t cap = m->cap ? m->cap * 2 : 32;
				int32_t *ids = pond_realloc(m->ids, cap * sizeof(*ids));
				if (!ids) {
					m->oom = true;
					return;
				}
				m->ids = ids;
				m->cap = cap;
			}
			m->ids[m->n++] = (int32_t)json_integer_value(id);
		}
		collect_mapped_ids(json_object_get(f, "fields"), m, depth + 1);
	}
}

static bool is_mapped(const mapped_ids *m, int32_t id)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->ids[i] == id)
			return true;
	return false;
}

static pond_expr *drop_unmapped(const pond_expr *e, const mapped_ids *m, bool all, pond_arena *arena)
{
	switch (e->op) {
	case POND_EXPR_AND:
	case POND_EXPR_OR: {
		pond_expr *l = drop_unmapped(e->left, m, all, arena), *r = drop_unmapped(e->right, m, all, arena);
		if (!l || !r)
			return NULL;
		return e->op == POND_EXPR_AND ? pond_expr_and(arena, l, r) : pond_expr_or(arena, l, r);
	}
	case POND_EXPR_TRUE:
	case POND_EXPR_FALSE:
	case POND_EXPR_NOT:
		return (pond_expr *)e;
	default:
		return all || !is_mapped(m, e->field_id) ? pond_expr_true(arena) : (pond_expr *)e;
	}
}

/* The filter that column statistics are checked against. Files imported
 * without field ids read their columns through the table's name mapping,
 * and a column the mapping leaves unmapped reads as null (or its default)
 * in them, whatever statistics their manifest entries carry. Which files
 * have no ids only their footers say, so in a table with a name mapping
 * the statistics of columns it does not map prune no file (none at all
 * when the mapping cannot be read). */
static int metrics_filter(pond_expr **out, pond_expr *bound, const pond_iceberg_metadata *md, pond_arena *arena,
                          pond_error *err)
{
	const char *text = pond_iceberg_metadata_property(md, "schema.name-mapping.default");
	*out = bound;
	if (!text)
		return 0;
	json_t *mapping = json_loads(text, 0, NULL);
	mapped_ids m = {0};
	collect_mapped_ids(mapping, &m, 0);
	*out = m.oom ? NULL : drop_unmapped(bound, &m, !json_is_array(mapping), arena);
	json_decref(mapping);
	pond_free(m.ids);
	return *out ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory planning a scan");
}

/* ---- attaching deletes ---- */

typedef struct delete_key {
	uint64_t hash;
	size_t index;
} delete_key;

static int cmp_key(const void *a, const void *b)
{
	const delete_key *x = a, *y = b;
	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

static bool applies(const pond_scan_delete *d, const pond_scan_task *t, const char *raw_path, bool global)
{
	if (d->content == POND_CONTENT_POSITION_DELETES) {
		/* Spec: position deletes apply to data files with a data sequence
		 * number <= theirs, in the same partition. */
		if (t->sequence_number > d->sequence_number)
			return false;
		if (d->referenced_data_file && strcmp(d->referenced_data_file, raw_path) != 0)
			return false;
	} else {
		/* Equality deletes: strictly older data only. */
		if (t->sequence_number >= d->sequence_number)
			return false;
	}
	if (global)
		return true;
	return d->spec_id == t->spec_id && d->npartition == t->npartition &&
	       pond__partition_equal(d->partition, t->partition, t->npartition);
}

static int attach_deletes(planner *p)
{
	pond_scan_plan *plan = p->plan;
	if (!p->ndeletes)
		return 0;
	delete_key *keys = pond_calloc(p->ndeletes, sizeof *keys);
	size_t *global = pond_calloc(p->ndeletes, sizeof *global);
	const pond_scan_delete **scratch = pond_calloc(p->ndeletes, sizeof *scratch);
	int rc = 0;
	if (!keys || !global || !scratch) {
		rc = oom(p);
		goto done;
	}
	size_t nkeys = 0, nglobal = 0;
	for (size_t i = 0; i < p->ndeletes; i++) {
		const pond_scan_delete *d = &plan->deletes[i];
		const pond_iceberg_partition_spec *spec = pond_iceberg_metadata_spec(p->md, d->spec_id);
		bool unpartitioned = d->npartition == 0 || (spec && spec->nfields == 0);
		if (d->content == POND_CONTENT_EQUALITY_DELETES && unpartitioned) {
			global[nglobal++] = i;
			continue;
		}
		keys[nkeys].hash = pond__partition_hash(d->partition, d->npartition, d->spec_id);
		keys[nkeys++].index = i;
	}
	qsort(keys, nkeys, sizeof *keys, cmp_key);
	for (size_t t = 0; t < plan->ntasks; t++) {
		pond_scan_task *task = &plan->tasks[t];
		size_t n = 0;
		for (size_t g = 0; g < nglobal; g++)
			if (applies(&plan->deletes[global[g]], task, p->task_raw_paths[t], true))
				scratch[n++] = &plan->deletes[global[g]];
		if (nkeys) {
			uint64_t h = pond__partition_hash(task->partition, task->npartition, task->spec_id);
			size_t lo = 0, hi = nkeys;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (keys[mid].hash < h)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (size_t k = lo; k < nkeys && keys[k].hash == h; k++)
				if (applies(&plan->deletes[keys[k].index], task, p->task_raw_paths[t], false))
					scratch[n++] = &plan->deletes[keys[k].index];
		}
		if (!n)
			continue;
		const pond_scan_delete **list = pond_arena_memdup(plan->arena, scratch, n * sizeof *list);
		if (!list) {
			rc = oom(p);
			goto done;
		}
		task->deletes = list;
		task->ndeletes = n;
	}
done:
	pond_free(keys);
	pond_free(global);
	pond_free(scratch);
	return rc;
}

int pond_scan_plan_files(pond_scan_plan **out, const pond_iceberg_metadata *md, pond_fileio *io,
                         const pond_scan_options *opts, pond_error *err)
{
	*out = NULL;
	const pond_iceberg_snapshot *snap = NULL;
	int rc = pond_scan_select_snapshot(&snap, md, opts, err);
	if (rc)
		return rc;
	pond_scan_plan *plan = pond_calloc(1, sizeof *plan);
	if (!plan)
		return pond_error_set(err, POND_ENOMEM, "out of memory planning a scan");
	plan->arena = pond_arena_new();
	pond_arena *scratch = pond_arena_new();
	planner p = {0};
	p.plan = plan;
	p.md = md;
	p.io = io;
	p.err = err;
	pond_buf empty = POND_BUF_INIT;
	p.path = empty;
	if (!plan->arena || !scratch) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory planning a scan");
		goto done;
	}
	plan->snapshot_id = snap ? snap->snapshot_id : POND_ICEBERG_NO_SNAPSHOT;
	/* Time travel (a snapshot id, a tag, a time) reads the schema the
	 * snapshot was written with; the current table and branch heads read
	 * the table's current schema, so columns added, renamed or retyped
	 * since the last write show at once (as Java does). */
	const pond_iceberg_ref *ref = opts && opts->ref ? pond_iceberg_metadata_ref(md, opts->ref) : NULL;
	bool time_travel = opts && (opts->has_snapshot_id || opts->has_as_of || (ref && ref->is_tag));
	p.schema = time_travel && snap && snap->has_schema_id ? pond_iceberg_metadata_schema(md, snap->schema_id) : NULL;
	if (!p.schema)
		p.schema = pond_iceberg_metadata_current_schema(md);
	if (!p.schema) {
		rc = pond_error_set(err, POND_ECORRUPT, "table metadata has no current schema");
		goto done;
	}
	plan->schema_id = p.schema->schema_id;
	if (opts && opts->filter && (rc = pond_expr_bind(&p.bound, opts->filter, p.schema, plan->arena, err)))
		goto done;
	if (p.bound && p.bound->op == POND_EXPR_TRUE)
		p.bound = NULL;
	if (p.bound && (rc = metrics_filter(&p.metrics_bound, p.bound, md, plan->arena, err)))
		goto done;
	if (!snap)
		goto done;
	pond_manifest_file *manifests = NULL;
	size_t nmanifests = 0;
	if ((rc = pond_snapshot_manifests(&manifests, &nmanifests, io, snap, plan->arena, err)))
		goto done;
	plan->manifests_total = nmanifests;
	if (p.bound && p.bound->op == POND_EXPR_FALSE) {
		plan->manifests_skipped = nmanifests;
		goto done;
	}
	/* Delete manifests are read after data manifests only for clarity of
	 * output order; the order does not change the result. */
	for (int pass = 0; pass < 2 && !rc; pass++)
		for (size_t i = 0; i < nmanifests && !rc; i++) {
			bool is_delete = manifests[i].content == POND_MANIFEST_CONTENT_DELETES;
			if (is_delete != (pass == 1))
				continue;
			rc = plan_manifest(&p, &manifests[i], scratch);
		}
	if (rc)
		goto done;
	if (p.ntasks) {
		plan->tasks = pond_arena_memdup(plan->arena, p.tasks, p.ntasks * sizeof *plan->tasks);
		if (!plan->tasks) {
			rc = oom(&p);
			goto done;
		}
		plan->ntasks = p.ntasks;
	}
	if (p.ndeletes) {
		plan->deletes = pond_arena_memdup(plan->arena, p.deletes, p.ndeletes * sizeof *plan->deletes);
		if (!plan->deletes) {
			rc = oom(&p);
			goto done;
		}
		plan->ndeletes = p.ndeletes;
	}
	rc = attach_deletes(&p);
done:
	pond_free(p.tasks);
	pond_free(p.task_raw_paths);
	pond_free(p.deletes);
	pond_free(p.specs);
	pond_buf_dispose(&p.path);
	pond_arena_free(&scratch);
	if (rc) {
		pond_scan_plan_free(&plan);
		return rc;
	}
	*out = plan;
	return 0;
}

void pond_scan_plan_free(pond_scan_plan **plan)
{
	if (!plan || !*plan)
		return;
	pond_arena_free(&(*plan)->arena);
	pond_free(*plan);
	*plan = NULL;
}
