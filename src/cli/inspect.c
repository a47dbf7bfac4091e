/*
 * `pond inspect PATH`: what an Iceberg table is made of. Reads a metadata
 * file (or the newest one of a table folder), then plans the chosen
 * snapshot to list its manifests and files. One JSON document is built and
 * either printed (--json) or rendered as text, so both show the same facts.
 */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pond/manifest.h"

static const char inspect_help[] =
	"usage: pond inspect [OPTIONS] PATH\n"
	"\n"
	"Shows an Iceberg table: format version, uuid, location, schema, partition\n"
	"specs, sort orders, properties, snapshots, refs, and for one snapshot its\n"
	"manifests and data and delete files with record counts.\n"
	"\n"
	"PATH is a metadata file (*.metadata.json, also .gz.metadata.json) or a\n"
	"table folder (its metadata/version-hint.text, else the highest-numbered\n"
	"metadata file in metadata/), on the local disk or on S3 (s3://BUCKET/KEY,\n"
	"read with the project's storage settings, or the AWS settings outside a\n"
	"project). Paths recorded for another place (s3a://..., relative paths)\n"
	"are read from where the table is now.\n"
	"\n"
	"options:\n"
	"  --json               print one JSON document\n"
	"  --snapshot ID        inspect snapshot ID (default: the current one)\n"
	"  --ref NAME           inspect the snapshot of branch or tag NAME\n"
	"  --filter EXPR        plan with a filter, e.g. \"a > 5 and b = 'x'\"\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status: 0 ok, 1 the table could not be read, 2 usage error\n";

/* The version number in a metadata file name: v12.metadata.json or
 * 00012-uuid.metadata.json; -1 when there is none. */
static long metadata_version(const char *name)
{
	if (!pond_str_ends_with(name, ".metadata.json"))
		return -1;
	const char *p = name[0] == 'v' ? name + 1 : name;
	char *end;
	long v = strtol(p, &end, 10);
	if (end == p || (*end != '-' && *end != '.'))
		return -1;
	return v;
}

typedef struct newest_metadata {
	size_t seen;       /* files listed */
	long best;
	pond_buf path;
} newest_metadata;

static int take_newest(const pond_fileio_entry *e, void *payload)
{
	newest_metadata *n = payload;
	const char *name = strrchr(e->path, '/');
	long v = metadata_version(name ? name + 1 : e->path);
	n->seen++;
	if (v > n->best) {
		n->best = v;
		pond_buf_clear(&n->path);
		pond_buf_puts(&n->path, e->path);
	}
	return 0;
}

/* The metadata file version-hint.text (read as hint) names in dir, if it
 * names one that is there: DIR/vHINT.metadata.json, else DIR/HINT. */
static bool hinted_metadata(pond_fileio *io, const char *dir, char *hint, pond_buf *out)
{
	size_t len = strlen(hint);
	while (len && (hint[len - 1] == '\n' || hint[len - 1] == '\r' || hint[len - 1] == ' '))
		hint[--len] = 0;
	int64_t size;
	pond_error ignored = POND_ERROR_INIT;
	pond_buf_printf(out, "%s/v%s.metadata.json", dir, hint);
	if (pond_buf_ok(out) && pond_fileio_size(io, pond_buf_cstr(out), &size, &ignored) == 0)
		return true;
	pond_buf_clear(out);
	pond_buf_printf(out, "%s/%s", dir, hint);
	return pond_buf_ok(out) && pond_fileio_size(io, pond_buf_cstr(out), &size, &ignored) == 0;
}

/* The metadata file of a table folder, local or on S3 (io reads it): the
 * one metadata/version-hint.text names, else the highest-numbered one in
 * metadata/. */
static int find_metadata(char **out, pond_fileio *io, const char *folder, pond_error *err)
{
	newest_metadata n = {0, -1, POND_BUF_INIT};
	pond_buf dir = POND_BUF_INIT, hint_path = POND_BUF_INIT;
	pond_buf_printf(&dir, "%s/metadata", folder);
	pond_buf_printf(&hint_path, "%s/version-hint.text", pond_buf_cstr(&dir));
	char *hint = NULL;
	size_t len;
	pond_error ignored = POND_ERROR_INIT;
	int rc = pond_buf_ok(&dir) && pond_buf_ok(&hint_path) ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
	bool hinted = rc == 0 && pond_fileio_read(io, pond_buf_cstr(&hint_path), &hint, &len, 4096, &ignored) == 0 &&
	              hinted_metadata(io, pond_buf_cstr(&dir), hint, &n.path);
	if (rc == 0 && !hinted) {
		pond_buf_clear(&n.path);
		rc = pond_fileio_list(io, pond_buf_cstr(&dir), take_newest, &n, err);
		/* metadata/ is there: a local folder (even empty), a prefix
		 * with keys on S3 */
		bool there = pond_fileio_is_local(io) ? pond_file_exists(pond_buf_cstr(&dir)) : n.seen > 0;
		if (rc == 0 && !there)
			rc = pond_error_set(err, POND_ENOTFOUND, "could not open %s: not a metadata file or a table folder",
			                    folder);
		else if (rc == 0 && n.best < 0)
			rc = pond_error_set(err, POND_ENOTFOUND, "no metadata file in %s", pond_buf_cstr(&dir));
	}
	if (rc == 0 && !pond_buf_ok(&n.path))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		*out = pond_buf_detach(&n.path);
	pond_free(hint);
	pond_buf_dispose(&n.path);
	pond_buf_dispose(&dir);
	pond_buf_dispose(&hint_path);
	return rc;
}

static json_t *jint(int64_t v) { return json_integer(v); }

static json_t *opt_count(int64_t v) { return v < 0 ? json_null() : json_integer(v); }

static json_t *partition_json(const pond_iceberg_metadata *md, int32_t spec_id, const pond_iceberg_literal *tuple,
                              size_t n)
{
	json_t *o = json_object();
	const pond_iceberg_partition_spec *spec = pond_iceberg_metadata_spec(md, spec_id);
	for (size_t i = 0; o && i < n; i++) {
		pond_buf b = POND_BUF_INIT;
		if (spec && i < spec->nfields)
			pond_iceberg_transform_human(&b, spec->fields[i].transform, &tuple[i]);
		else
			pond_iceberg_literal_to_text(&b, &tuple[i]);
		char key[32];
		snprintf(key, sizeof key, "%zu", i);
		json_object_set_new(o, spec && i < spec->nfields ? spec->fields[i].name : key,
		                    tuple[i].is_null ? json_null() : json_string(pond_buf_cstr(&b)));
		pond_buf_dispose(&b);
	}
	return o;
}

static json_t *snapshots_json(const pond_iceberg_metadata *md)
{
	json_t *snaps = json_array();
	for (size_t i = 0; i < md->nsnapshots; i++) {
		const pond_iceberg_snapshot *s = &md->snapshots[i];
		char when[40];
		pond_time_format_ms(when, s->timestamp_ms);
		json_t *summary = json_object();
		for (size_t k = 0; k < s->nsummary; k++)
			json_object_set_new(summary, s->summary[k].key, json_string(s->summary[k].value));
		json_array_append_new(
			snaps, json_pack("{s:I,s:o,s:I,s:I,s:s,s:o,s:o,s:o}", "snapshot_id", (json_int_t)s->snapshot_id,
			                 "parent_snapshot_id", s->has_parent ? jint(s->parent_snapshot_id) : json_null(),
			                 "sequence_number", (json_int_t)s->sequence_number, "timestamp_ms",
			                 (json_int_t)s->timestamp_ms, "timestamp", when, "operation",
			                 s->operation ? json_string(s->operation) : json_null(), "manifest_list",
			                 s->manifest_list ? json_string(s->manifest_list) : json_null(), "summary", summary));
	}
	return snaps;
}

/* The metadata file's own fields: schema, specs, sort orders, properties,
 * snapshots and refs. */
static json_t *metadata_json(const char *path, const pond_iceberg_metadata *md)
{
	json_t *doc = json_object();
	json_object_set_new(doc, "metadata_file", json_string(path));
	json_object_set_new(doc, "format_version", jint(md->format_version));
	json_object_set_new(doc, "table_uuid", md->table_uuid ? json_string(md->table_uuid) : json_null());
	json_object_set_new(doc, "location", md->location ? json_string(md->location) : json_null());
	json_object_set_new(doc, "last_sequence_number", jint(md->last_sequence_number));
	json_object_set_new(doc, "last_updated_ms", jint(md->last_updated_ms));
	const pond_iceberg_schema *schema = pond_iceberg_metadata_current_schema(md);
	json_object_set_new(doc, "current_schema", schema ? pond_iceberg_schema_to_json(schema) : json_null());
	json_t *specs = json_array();
	for (size_t i = 0; i < md->nspecs; i++)
		json_array_append_new(specs, pond_iceberg_partition_spec_to_json(md->specs[i]));
	json_object_set_new(doc, "partition_specs", specs);
	json_object_set_new(doc, "default_spec_id", jint(md->default_spec_id));
	json_t *orders = json_array();
	for (size_t i = 0; i < md->nsort_orders; i++)
		json_array_append_new(orders, pond_iceberg_sort_order_to_json(md->sort_orders[i]));
	json_object_set_new(doc, "sort_orders", orders);
	json_object_set_new(doc, "default_sort_order_id", jint(md->default_sort_order_id));
	json_t *props = json_object();
	for (size_t i = 0; i < md->nproperties; i++)
		json_object_set_new(props, md->properties[i].key, json_string(md->properties[i].value));
	json_object_set_new(doc, "properties", props);
	json_object_set_new(doc, "current_snapshot_id",
	                    md->current_snapshot_id == POND_ICEBERG_NO_SNAPSHOT ? json_null()
	                                                                       : jint(md->current_snapshot_id));
	json_object_set_new(doc, "snapshots", snapshots_json(md));
	json_t *refs = json_object();
	for (size_t i = 0; i < md->nrefs; i++)
		json_object_set_new(refs, md->refs[i].name,
		                    json_pack("{s:s,s:I}", "type", md->refs[i].is_tag ? "tag" : "branch", "snapshot_id",
		                              (json_int_t)md->refs[i].snapshot_id));
	json_object_set_new(doc, "refs", refs);
	return doc;
}

static json_t *manifests_json(const pond_manifest_file *mfs, size_t nmf)
{
	json_t *manifests = json_array();
	for (size_t i = 0; i < nmf; i++) {
		const pond_manifest_file *m = &mfs[i];
		json_array_append_new(
			manifests,
			json_pack("{s:s,s:s,s:I,s:i,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o}", "path", m->manifest_path, "content",
			          m->content == POND_MANIFEST_CONTENT_DELETES ? "deletes" : "data", "length",
			          (json_int_t)m->manifest_length, "partition_spec_id", (int)m->partition_spec_id,
			          "sequence_number", (json_int_t)m->sequence_number, "added_snapshot_id",
			          (json_int_t)m->added_snapshot_id, "added_files_count", opt_count(m->added_files_count),
			          "existing_files_count", opt_count(m->existing_files_count), "deleted_files_count",
			          opt_count(m->deleted_files_count), "added_rows_count", opt_count(m->added_rows_count),
			          "existing_rows_count", opt_count(m->existing_rows_count), "deleted_rows_count",
			          opt_count(m->deleted_rows_count)));
	}
	return manifests;
}

static json_t *data_files_json(const pond_iceberg_metadata *md, const pond_scan_plan *plan)
{
	json_t *files = json_array();
	for (size_t i = 0; i < plan->ntasks; i++) {
		const pond_scan_task *t = &plan->tasks[i];
		json_t *dels = json_array();
		for (size_t k = 0; k < t->ndeletes; k++)
			json_array_append_new(dels, json_string(t->deletes[k]->path));
		json_array_append_new(
			files, json_pack("{s:s,s:s,s:I,s:I,s:i,s:I,s:o,s:o}", "path", t->path, "file_format", t->file_format,
			                 "record_count", (json_int_t)t->record_count, "file_size_in_bytes",
			                 (json_int_t)t->file_size_in_bytes, "spec_id", (int)t->spec_id, "sequence_number",
			                 (json_int_t)t->sequence_number, "partition",
			                 partition_json(md, t->spec_id, t->partition, t->npartition), "deletes", dels));
	}
	return files;
}

static json_t *delete_files_json(const pond_iceberg_metadata *md, const pond_scan_plan *plan)
{
	json_t *delete_files = json_array();
	for (size_t i = 0; i < plan->ndeletes; i++) {
		const pond_scan_delete *d = &plan->deletes[i];
		json_t *ids = json_array();
		for (size_t k = 0; k < d->nequality_ids; k++)
			json_array_append_new(ids, jint(d->equality_ids[k]));
		json_array_append_new(
			delete_files,
			json_pack("{s:s,s:s,s:s,s:I,s:I,s:i,s:I,s:o,s:o}", "path", d->path, "content",
			          d->content == POND_CONTENT_POSITION_DELETES ? "position_deletes" : "equality_deletes",
			          "file_format", d->file_format, "record_count", (json_int_t)d->record_count,
			          "file_size_in_bytes", (json_int_t)d->file_size_in_bytes, "spec_id", (int)d->spec_id,
			          "sequence_number", (json_int_t)d->sequence_number, "equality_ids", ids, "partition",
			          partition_json(md, d->spec_id, d->partition, d->npartition)));
	}
	return delete_files;
}

/* The chosen snapshot: its manifests, then the planned files and their
 * totals (only the totals without with_files). */
static int snapshot_json(json_t **out, const pond_iceberg_metadata *md, pond_fileio *io, const pond_scan_options *opts,
                         const pond_iceberg_snapshot *snap, bool with_files, pond_error *err)
{
	pond_arena *arena = pond_arena_new();
	pond_manifest_file *mfs = NULL;
	size_t nmf = 0;
	pond_scan_plan *plan = NULL;
	int rc = arena ? pond_snapshot_manifests(&mfs, &nmf, io, snap, arena, err)
	               : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (!rc)
		rc = pond_scan_plan_files(&plan, md, io, opts, err);
	if (rc) {
		pond_arena_free(&arena);
		return rc;
	}
	json_t *manifests = manifests_json(mfs, nmf);
	json_t *files = data_files_json(md, plan);
	json_t *delete_files = delete_files_json(md, plan);
	if (!with_files) {
		/* A summary (pond show): the totals without the lists. */
		json_array_clear(manifests);
		json_array_clear(files);
		json_array_clear(delete_files);
	}
	*out = json_pack("{s:I,s:o,s:o,s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I}}", "snapshot_id", (json_int_t)snap->snapshot_id,
	                 "manifests", manifests, "data_files", files, "delete_files", delete_files, "totals", "data_files",
	                 (json_int_t)plan->ntasks, "data_records", (json_int_t)plan->data_records, "data_bytes",
	                 (json_int_t)plan->data_bytes, "delete_files", (json_int_t)plan->ndeletes, "delete_records",
	                 (json_int_t)plan->delete_records, "manifests_skipped", (json_int_t)plan->manifests_skipped);
	pond_scan_plan_free(&plan);
	pond_arena_free(&arena);
	return 0;
}

static int build_doc(json_t **out, const char *path, const pond_iceberg_metadata *md, pond_fileio *io,
                     const pond_scan_options *opts, bool with_files, pond_error *err)
{
	json_t *doc = metadata_json(path, md);
	const pond_iceberg_snapshot *snap = NULL;
	int rc = pond_scan_select_snapshot(&snap, md, opts, err);
	json_t *snapshot = NULL;
	if (rc == 0 && snap)
		rc = snapshot_json(&snapshot, md, io, opts, snap, with_files, err);
	if (rc) {
		json_decref(doc);
		return rc;
	}
	json_object_set_new(doc, "snapshot", snap ? snapshot : json_null());
	*out = doc;
	return 0;
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "-";
}

static long long num(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void print_type(FILE *f, const json_t *type)
{
	if (json_is_string(type)) {
		fputs(json_string_value(type), f);
		return;
	}
	char *s = pond_json_dumps(type, false);
	fputs(s ? s : "?", f);
	pond_free(s);
}

static void print_text(FILE *f, const json_t *doc)
{
	size_t i;
	json_t *v;
	fprintf(f, "table       %s\n", str(doc, "metadata_file"));
	fprintf(f, "format      v%lld\n", num(doc, "format_version"));
	fprintf(f, "uuid        %s\n", str(doc, "table_uuid"));
	fprintf(f, "location    %s\n", str(doc, "location"));
	json_t *schema = json_object_get(doc, "current_schema");
	fprintf(f, "\nschema %lld\n", num(schema, "schema-id"));
	json_array_foreach(json_object_get(schema, "fields"), i, v) {
		fprintf(f, "  %4lld  %-24s ", num(v, "id"), str(v, "name"));
		print_type(f, json_object_get(v, "type"));
		fprintf(f, "%s\n", json_is_true(json_object_get(v, "required")) ? "  required" : "");
	}
	fprintf(f, "\npartition specs (default %lld)\n", num(doc, "default_spec_id"));
	json_array_foreach(json_object_get(doc, "partition_specs"), i, v) {
		size_t k;
		json_t *pf;
		fprintf(f, "  spec %lld:", num(v, "spec-id"));
		if (!json_array_size(json_object_get(v, "fields")))
			fprintf(f, " unpartitioned");
		json_array_foreach(json_object_get(v, "fields"), k, pf)
			fprintf(f, "%s %s=%s(%lld) [%lld]", k ? "," : "", str(pf, "name"), str(pf, "transform"),
			        num(pf, "source-id"), num(pf, "field-id"));
		fputc('\n', f);
	}
	fprintf(f, "\nsort orders (default %lld)\n", num(doc, "default_sort_order_id"));
	json_array_foreach(json_object_get(doc, "sort_orders"), i, v) {
		size_t k;
		json_t *sf;
		fprintf(f, "  order %lld:", num(v, "order-id"));
		if (!json_array_size(json_object_get(v, "fields")))
			fprintf(f, " unsorted");
		json_array_foreach(json_object_get(v, "fields"), k, sf)
			fprintf(f, "%s %s(%lld) %s %s", k ? "," : "", str(sf, "transform"), num(sf, "source-id"),
			        str(sf, "direction"), str(sf, "null-order"));
		fputc('\n', f);
	}
	const char *key;
	fprintf(f, "\nproperties\n");
	json_object_foreach(json_object_get(doc, "properties"), key, v)
		fprintf(f, "  %s = %s\n", key, json_string_value(v));
	json_t *cur = json_object_get(doc, "current_snapshot_id");
	if (json_is_null(cur))
		fprintf(f, "\nsnapshots (current: none)\n");
	else
		fprintf(f, "\nsnapshots (current: %lld)\n", (long long)json_integer_value(cur));
	json_array_foreach(json_object_get(doc, "snapshots"), i, v) {
		json_t *sum = json_object_get(v, "summary");
		char parent[32] = "-";
		if (!json_is_null(json_object_get(v, "parent_snapshot_id")))
			snprintf(parent, sizeof parent, "%lld", num(v, "parent_snapshot_id"));
		fprintf(f, "  %lld  parent %s  seq %lld  %s  %s  added-records %s  total-records %s  total-data-files %s\n",
		        num(v, "snapshot_id"), parent, num(v, "sequence_number"), str(v, "timestamp"), str(v, "operation"),
		        str(sum, "added-records"), str(sum, "total-records"), str(sum, "total-data-files"));
	}
	fprintf(f, "\nrefs\n");
	json_object_foreach(json_object_get(doc, "refs"), key, v)
		fprintf(f, "  %-12s %-6s %lld\n", key, str(v, "type"), num(v, "snapshot_id"));
	json_t *snap = json_object_get(doc, "snapshot");
	if (json_is_null(snap)) {
		fprintf(f, "\nno snapshot: the table is empty\n");
		return;
	}
	fprintf(f, "\nsnapshot %lld\n", num(snap, "snapshot_id"));
	if (!json_array_size(json_object_get(snap, "manifests")))
		goto totals;  /* a summary without file lists */
	fprintf(f, "manifests\n");
	json_array_foreach(json_object_get(snap, "manifests"), i, v)
		fprintf(f, "  %-7s spec %lld  seq %lld  added %lld  existing %lld  deleted %lld  %s\n", str(v, "content"),
		        num(v, "partition_spec_id"), num(v, "sequence_number"), num(v, "added_files_count"),
		        num(v, "existing_files_count"), num(v, "deleted_files_count"), str(v, "path"));
	fprintf(f, "data files\n");
	json_array_foreach(json_object_get(snap, "data_files"), i, v) {
		char *part = pond_json_dumps(json_object_get(v, "partition"), false);
		fprintf(f, "  %8lld records  %10lld bytes  seq %lld  %s  %s\n", num(v, "record_count"),
		        num(v, "file_size_in_bytes"), num(v, "sequence_number"), part ? part : "{}", str(v, "path"));
		pond_free(part);
		size_t k;
		json_t *d;
		json_array_foreach(json_object_get(v, "deletes"), k, d)
			fprintf(f, "      deleted by %s\n", json_string_value(d));
	}
	fprintf(f, "delete files\n");
	json_array_foreach(json_object_get(snap, "delete_files"), i, v)
		fprintf(f, "  %8lld records  %-16s seq %lld  %s\n", num(v, "record_count"), str(v, "content"),
		        num(v, "sequence_number"), str(v, "path"));
totals:;
	json_t *t = json_object_get(snap, "totals");
	fprintf(f, "total: %lld data files, %lld records, %lld bytes; %lld delete files, %lld delete records\n",
	        num(t, "data_files"), num(t, "data_records"), num(t, "data_bytes"), num(t, "delete_files"),
	        num(t, "delete_records"));
}

int cli_print_metadata(pond_fileio *io, const char *path, const pond_iceberg_metadata *md,
                       const pond_scan_options *opts, bool as_json, bool with_files, pond_error *err)
{
	json_t *doc = NULL;
	int rc = build_doc(&doc, path, md, io, opts, with_files, err);
	if (rc == 0 && as_json) {
		char *text = pond_json_dumps(doc, true);
		if (text)
			puts(text);
		else
			rc = pond_error_set(err, POND_ENOMEM, "out of memory printing JSON");
		pond_free(text);
	} else if (rc == 0) {
		print_text(stdout, doc);
	}
	json_decref(doc);
	return rc;
}

/* The file IO PATH is read through: on S3 a client of its own (*client)
 * with the project's storage settings, or the AWS settings alone outside
 * a project (no object cache: each file is read once); else the local
 * disk. No catalog or engine is opened. */
static int path_fileio(const char *arg, pond_s3_client **client, pond_fileio **out, pond_error *err)
{
	if (!pond_project_is_s3(arg))
		return pond_fileio_local_new(out, err);
	pond_project *p = NULL;
	int rc = cli_project_dir ? pond_project_load(&p, cli_project_dir, err) : pond_project_find(&p, NULL, true, err);
	if (rc == POND_ENOTFOUND && !cli_project_dir) {
		pond_error_clear(err);
		rc = 0;
	}
	pond_s3_settings aws = POND_S3_SETTINGS_INIT;
	pond_s3_config cfg;
	if (rc == 0 && (rc = pond_s3_config_resolve(&cfg, p ? &p->storage : &aws, NULL, NULL, err)) == 0) {
		rc = pond_s3_client_new(client, &cfg, NULL, err);
		pond_s3_config_dispose(&cfg);
	}
	pond_project_free(&p);
	return rc ? rc : pond_fileio_s3_new(out, *client, NULL, err);
}

/* The metadata file PATH names: itself, or a table folder's. A local
 * PATH must be there; on S3 a key not ending in .metadata.json is a
 * folder. */
static int metadata_path(char **out, pond_fileio *io, const char *arg, pond_error *err)
{
	bool folder = !pond_str_ends_with(arg, ".metadata.json");
	struct stat st;
	if (pond_fileio_is_local(io)) {
		if (stat(arg, &st) != 0)
			return pond_error_set(err, POND_ENOTFOUND, "could not open %s: no such file or folder", arg);
		folder = S_ISDIR(st.st_mode);
	}
	if (folder)
		return find_metadata(out, io, arg, err);
	*out = pond_strdup(arg);
	return *out ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

/* pond inspect PATH, once the options are read. */
static int inspect_path(const char *arg, pond_scan_options *opts, const char *filter_text, bool as_json)
{
	pond_error err = POND_ERROR_INIT;
	pond_s3_client *client = NULL;
	pond_fileio *io = NULL;
	pond_iceberg_metadata *md = NULL;
	pond_expr *filter = NULL;
	char *path = NULL;
	pond_arena *arena = pond_arena_new();
	int rc = arena ? path_fileio(arg, &client, &io, &err) : pond_error_set(&err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = metadata_path(&path, io, arg, &err);
	if (rc == 0 && filter_text)
		rc = pond_expr_parse(&filter, filter_text, arena, &err);
	opts->filter = filter;
	if (rc == 0)
		rc = pond_fileio_load_metadata(&md, io, path, &err);
	if (rc == 0)
		rc = pond_fileio_remap_table(io, md, path, &err);
	if (rc == 0)
		rc = cli_print_metadata(io, path, md, opts, as_json, true, &err);
	pond_iceberg_metadata_free(&md);
	pond_fileio_free(&io);
	pond_s3_client_free(&client);
	pond_free(path);
	pond_arena_free(&arena);
	if (rc == POND_EINVAL && filter_text && strncmp(err.msg, "filter", 6) == 0)
		return cli_usage_error("inspect", "%s", err.msg);
	return rc ? cli_fail(&err) : EXIT_OK;
}

static int inspect_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},     {"snapshot", required_argument, NULL, 's'},
		{"ref", required_argument, NULL, 'r'}, {"filter", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0},
	};
	bool as_json = false;
	pond_scan_options opts = POND_SCAN_OPTIONS_INIT;
	const char *filter_text = NULL;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j': as_json = true; break;
		case 's':
			if (!pond_str_to_i64(optarg, &opts.snapshot_id))
				return cli_usage_error("inspect", "snapshot id \"%s\" is not a number", optarg);
			opts.has_snapshot_id = true;
			break;
		case 'r': opts.ref = optarg; break;
		case 'F': filter_text = optarg; break;
		case 'h': return cli_print_help(&cli_inspect_command);
		case ':': return cli_usage_error("inspect", "option %s needs a value", argv[optind - 1]);
		default: return cli_usage_error("inspect", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("inspect", "expected one PATH (a metadata file or a table folder)");
	return inspect_path(argv[optind], &opts, filter_text, as_json);
}

const cli_command cli_inspect_command = {
	"inspect",
	"show an Iceberg table's metadata, snapshots, manifests and files",
	inspect_help,
	inspect_run,
};
