/*
 * `pond maintain`: the upkeep policy of pond.yml's `maintenance:` section
 * run over one table or all of them. For each table, in this order: a
 * flush of its row buffer, compaction (pond_table_compact), expiry
 * (pond_table_expire), superseded metadata files, orphan files
 * (pond_table_orphans, within the policy's window), then, when the policy
 * names an archive folder, old partitions moved there
 * (pond_table_archive), with what the table's folder holds measured
 * before and after. A table that fails is reported and the others still
 * run.
 */
#include "pond/maintain.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

POND_PROJECT_KEYS(maintain, "maintenance")

/* ---- the policy ---- */

static int bad(pond_error *err, const char *file, const pond_yaml_node *n, const char *what)
{
	return pond_error_set(err, POND_EINVAL, "%s:%d:%d: %s", file, n->line, n->column, what);
}

static int read_age(const pond_yaml_node *n, int64_t *out, const char *file, const char *key, pond_error *err)
{
	if (!n)
		return 0;
	pond_error why = POND_ERROR_INIT;
	if (n->kind != POND_YAML_SCALAR || pond_maintain_parse_age(n->value, out, &why) != 0)
		return pond_error_set(err, POND_EINVAL, "%s:%d:%d: \"%s\" must be an age like 7d, 12h or 30m", file,
		                      n->line, n->column, key);
	return 0;
}

static int read_part(const pond_yaml_node *n, const char *name, const char *const *keys, const char *file,
                     pond_error *err)
{
	if (n && n->kind != POND_YAML_MAP)
		return bad(err, file, n, name);
	return n ? pond_yaml_check_keys(n, keys, file, err) : 0;
}

/* maintenance.archive: to (relative to the project folder), older_than
 * (required with to), column, enabled. */
static int read_archive(pond_maintain_policy *out, const pond_project *project, const pond_yaml_node *ar,
                        pond_error *err)
{
	static const char *const archive_keys[] = {"enabled", "to", "older_than", "column", NULL};
	const char *file = project->config_path;
	int rc = read_part(ar, "\"archive\" must be a map (to, older_than, column, enabled)", archive_keys, file, err);
	const pond_yaml_node *to = ar ? pond_yaml_get(ar, "to") : NULL, *v;
	bool enabled = true;
	if (rc || !to)
		return rc;
	if (rc == 0 && (v = pond_yaml_get(ar, "enabled")))
		rc = pond_yaml_bool(v, &enabled, file, "enabled", err);
	if (rc == 0)
		rc = pond_yaml_string(to, &out->archive_to, file, "to", err);
	if (rc == 0 && !out->archive_to[0])
		rc = bad(err, file, to, "\"to\" is empty");
	if (rc == 0 && !pond_yaml_get(ar, "older_than"))
		rc = bad(err, file, ar, "\"archive\" needs \"older_than\" (an age like 365d) with \"to\"");
	if (rc == 0)
		rc = read_age(pond_yaml_get(ar, "older_than"), &out->archive_older_than_ms, file, "older_than", err);
	if (rc == 0 && out->archive_older_than_ms <= 0)
		rc = bad(err, file, pond_yaml_get(ar, "older_than"), "\"older_than\" must be more than 0");
	if (rc == 0 && (v = pond_yaml_get(ar, "column")))
		rc = pond_yaml_string(v, &out->archive_column, file, "column", err);
	if (rc == 0 && !enabled)
		out->archive_to = NULL;
	return rc;
}

int pond_maintain_policy_load(pond_maintain_policy *out, const pond_project *project, pond_error *err)
{
	static const char *const top_keys[] = {"flush", "compact", "expire", "orphans", "archive", NULL};
	static const char *const switch_keys[] = {"enabled", NULL};
	static const char *const expire_keys[] = {"enabled", "older_than", "retain_last", NULL};
	static const char *const orphan_keys[] = {"enabled", "older_than", "delete", NULL};
	*out = (pond_maintain_policy)POND_MAINTAIN_POLICY_INIT;
	const char *file = project->config_path;
	const pond_yaml_node *m = project->config ? pond_yaml_get(project->config, "maintenance") : NULL;
	if (!m || pond_yaml_is_null(m))
		return 0;
	if (m->kind != POND_YAML_MAP)
		return bad(err, file, m, "\"maintenance\" must be a map with flush:, compact:, expire: and orphans:");
	int rc = pond_yaml_check_keys(m, top_keys, file, err);
	const pond_yaml_node *ex = pond_yaml_get(m, "expire"), *or = pond_yaml_get(m, "orphans");
	const pond_yaml_node *fl = pond_yaml_get(m, "flush"), *co = pond_yaml_get(m, "compact");
	if (rc == 0)
		rc = read_part(fl, "\"flush\" must be a map (enabled)", switch_keys, file, err);
	if (rc == 0)
		rc = read_part(co, "\"compact\" must be a map (enabled)", switch_keys, file, err);
	if (rc == 0)
		rc = read_part(ex, "\"expire\" must be a map (enabled, older_than, retain_last)", expire_keys, file,
		               err);
	if (rc == 0)
		rc = read_part(or, "\"orphans\" must be a map (enabled, older_than, delete)", orphan_keys, file, err);
	int64_t n;
	const pond_yaml_node *v;
	if (rc == 0 && fl && (v = pond_yaml_get(fl, "enabled")))
		rc = pond_yaml_bool(v, &out->flush, file, "enabled", err);
	if (rc == 0 && co && (v = pond_yaml_get(co, "enabled")))
		rc = pond_yaml_bool(v, &out->compact, file, "enabled", err);
	if (rc == 0 && ex && (v = pond_yaml_get(ex, "enabled")))
		rc = pond_yaml_bool(v, &out->expire, file, "enabled", err);
	if (rc == 0 && ex)
		rc = read_age(pond_yaml_get(ex, "older_than"), &out->expire_older_than_ms, file, "older_than", err);
	if (rc == 0 && ex && (v = pond_yaml_get(ex, "retain_last"))) {
		rc = pond_yaml_int(v, &n, file, "retain_last", err);
		if (rc == 0 && (n < 1 || n > INT32_MAX))
			rc = bad(err, file, v, "\"retain_last\" must be at least 1");
		out->retain_last = (int32_t)n;
	}
	if (rc == 0 && or && (v = pond_yaml_get(or, "enabled")))
		rc = pond_yaml_bool(v, &out->orphans, file, "enabled", err);
	if (rc == 0 && or)
		rc = read_age(pond_yaml_get(or, "older_than"), &out->orphans_older_than_ms, file, "older_than", err);
	if (rc == 0 && or && (v = pond_yaml_get(or, "delete")))
		rc = pond_yaml_bool(v, &out->orphans_delete, file, "delete", err);
	if (rc == 0)
		rc = read_archive(out, project, pond_yaml_get(m, "archive"), err);
	return rc;
}

/* ---- superseded metadata files ---- */

/* The version of a "NNNNN-uuid.metadata.json" name; -1 for other names. */
static int64_t metadata_version(const char *path)
{
	const char *name = strrchr(path, '/');
	name = name ? name + 1 : path;
	int64_t v = 0;
	size_t digits = 0;
	for (; isdigit((unsigned char)name[digits]); digits++)
		v = v * 10 + (name[digits] - '0');
	if (digits < 5 || digits > 12 || name[digits] != '-' || !strstr(name, ".metadata.json"))
		return -1;
	return v;
}

typedef struct superseded {
	const char *dir;      /* the metadata folder, resolved */
	int64_t oldest;
	const char **paths;
	size_t n, cap;
	pond_arena *a;
} superseded;

static int take_superseded(const pond_fileio_entry *e, void *payload)
{
	superseded *s = payload;
	const char *slash = strrchr(e->path, '/');
	int64_t v = metadata_version(e->path);
	/* only the folder's own files, not those of folders below it */
	if (v < 0 || v >= s->oldest || !slash || (size_t)(slash - e->path) != strlen(s->dir) ||
	    strncmp(e->path, s->dir, strlen(s->dir)) != 0)
		return 0;
	if (!pond_arena_grow(s->a, (void **)&s->paths, s->n, &s->cap, sizeof(*s->paths)) ||
	    !(s->paths[s->n] = pond_arena_strdup(s->a, e->path)))
		return POND_ENOMEM;
	s->n++;
	return 0;
}

/* Deletes the table's metadata files numbered below the oldest one its
 * metadata-log keeps (or the current one): commits only ever write higher
 * numbers, so those are superseded whatever their age. Only when
 * write.metadata.delete-after-commit.enabled is not false. */
static int64_t clean_metadata(pond_lake *lake, const pond_table *t)
{
	if (!pond_iceberg_metadata_property_bool(t->metadata, "write.metadata.delete-after-commit.enabled", true))
		return 0;
	int64_t oldest = metadata_version(t->metadata_location);
	for (size_t i = 0; i < t->metadata->nmetadata_log; i++) {
		int64_t v = metadata_version(t->metadata->metadata_log[i].metadata_file);
		if (v >= 0 && (oldest < 0 || v < oldest))
			oldest = v;
	}
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", t->metadata_location);
	char *slash = strrchr(dir, '/');
	if (oldest < 0 || !slash)
		return 0;
	*slash = '\0';
	superseded s = {dir, oldest, NULL, 0, 0, pond_arena_new()};
	pond_error err = POND_ERROR_INIT;
	int rc = s.a ? pond_table_files(lake, t, "metadata", take_superseded, &s, &err) : POND_ENOMEM;
	if (rc == 0)
		rc = pond_table_remove_files(lake, t, s.paths, s.n, &err);
	if (rc)
		pond_warn("could not delete the superseded metadata files of %s: %s", t->metadata->location,
		          rc == POND_ENOMEM && !err.code ? "out of memory" : err.msg);
	int64_t n = rc == 0 ? (int64_t)s.n : 0;
	pond_arena_free(&s.a);
	return n;
}

/* ---- the run ---- */

static int maintain_table(pond_lake *lake, const pond_table_ident *id, const pond_maintain_policy *policy,
                          int64_t now_ms, pond_maintain_table_result *r, pond_error *err)
{
	pond_table *t = NULL;
	int rc = pond_table_load(&t, lake, id, err);
	if (rc)
		return rc;
	pond_maintain_measure(&r->before, lake, t);
	pond_table_free(&t);
	/* Buffered rows first, so compaction sees them as files; compaction
	 * before expiry, so that the files it replaces expire with their
	 * snapshots. */
	if (policy->flush) {
		pond_write_result fr;
		if ((rc = pond_table_flush(lake, id, &fr, err)) != 0)
			return rc;
		r->flushed_records = fr.snapshot_id ? fr.added_records : 0;
	}
	if (policy->compact && (rc = pond_table_compact(lake, id, NULL, &r->compact, err)) != 0)
		return rc;
	if (policy->expire) {
		pond_expire_options eo = POND_EXPIRE_OPTIONS_INIT;
		eo.now_ms = now_ms;
		eo.older_than_ms = policy->expire_older_than_ms;
		eo.retain_last = policy->retain_last;
		if ((rc = pond_table_expire(lake, id, &eo, &r->expire, err)) != 0)
			return rc;
	}
	if ((rc = pond_table_load(&t, lake, id, err)) != 0)
		return rc;
	/* A REST catalog's server owns the metadata files and what lies in
	 * the tables' folders beside them: it tidies them, not a client. */
	bool rest = pond_catalog_is_rest(pond_lake_catalog(lake));
	r->metadata_files = rest ? 0 : clean_metadata(lake, t);
	pond_table_free(&t);
	if (policy->orphans && !rest) {
		pond_orphans_options oo = POND_ORPHANS_OPTIONS_INIT;
		oo.now_ms = now_ms;
		oo.older_than_ms = policy->orphans_older_than_ms;
		oo.remove = policy->orphans_delete;
		if ((rc = pond_table_orphans(lake, id, &oo, &r->orphans, err)) != 0)
			return rc;
	}
	/* Last, so that a share not mounted leaves the rest done. */
	int archived = 0;
	if (policy->archive_to) {
		char dest[PATH_MAX];
		const char *to = policy->archive_to;
		/* relative to the project folder, as the warehouse is */
		if (to[0] != '/')
			snprintf(dest, sizeof dest, "%s/%s", pond_lake_project(lake)->root, to);
		pond_archive_options ao = POND_ARCHIVE_OPTIONS_INIT;
		ao.dest = to[0] == '/' ? to : dest;
		ao.older_than_ms = policy->archive_older_than_ms;
		ao.column = policy->archive_column;
		ao.now_ms = now_ms;
		archived = pond_table_archive(lake, id, &ao, &r->archive, err);
	}
	/* re-read: a folder may have gone */
	pond_error ignored = POND_ERROR_INIT;
	if ((rc = pond_table_load(&t, lake, id, archived ? &ignored : err)) != 0)
		return archived ? archived : rc;
	pond_maintain_measure(&r->after, lake, t);
	pond_table_free(&t);
	return archived;
}

int pond_maintain_run(pond_lake *lake, const char *table, const pond_maintain_policy *policy, int64_t now_ms,
                      pond_maintain_progress_fn progress, void *payload, pond_maintain_table_result **results,
                      size_t *nresults, pond_arena *arena, pond_error *err)
{
	pond_table_ident *ids = NULL;
	size_t n = 0;
	*results = NULL;
	*nresults = 0;
	int rc = pond_maintain_tables(&ids, &n, lake, table, arena, err);
	pond_maintain_table_result *rs = rc == 0 ? pond_arena_calloc(arena, n ? n : 1, sizeof(*rs)) : NULL;
	if (rc == 0 && !rs)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc)
		return rc;
	size_t failed = 0;
	for (size_t i = 0; i < n; i++) {
		pond_maintain_table_result *r = &rs[i];
		r->table = pond_table_ident_format(arena, &ids[i]);
		if (progress)
			progress(i, n, r, false, payload);
		pond_error terr = POND_ERROR_INIT;
		if (maintain_table(lake, &ids[i], policy, now_ms, r, &terr) != 0) {
			r->error = pond_arena_strdup(arena, terr.msg);
			failed++;
		}
		if (progress)
			progress(i, n, r, true, payload);
	}
	*results = rs;
	*nresults = n;
	if (failed)
		return pond_error_set(err, POND_EIO, "maintenance failed on %zu of %zu tables", failed, n);
	return 0;
}
