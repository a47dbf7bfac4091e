/*
 * Unit tests for the table layer: projects, table creation, the commit
 * path (retries, conflicts, concurrency across processes), on SQLite and
 * PostgreSQL catalogs.
 */
#include "../test.h"

#include <dirent.h>
#include <duckdb.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pond/table.h"

static const char *project_dir(pond_arena *a, const char *catalog)
{
	const char *dir = pond_arena_sprintf(a, "%s/proj", pond_test_tmpdir());
	pond_error err = POND_ERROR_INIT;
	if (pond_project_init(dir, "t", &err) != 0) {
		fprintf(stderr, "    %s\n", err.msg);
		return NULL;
	}
	if (catalog) {
		/* Point the project at another catalog (PostgreSQL), with a catalog
		 * name of its own so tests do not see each other's tables. */
		char name[40];
		pond_uuid_v4_string(name);
		name[8] = '\0';
		const char *yml = pond_arena_sprintf(a, "name: t\nwarehouse: warehouse\ncatalog: %s\ncatalog_name: t%s\n",
		                                     catalog, name);
		const char *path = pond_arena_sprintf(a, "%s/pond.yml", dir);
		if (pond_file_write_atomic(path, yml, strlen(yml), &err) != 0)
			return NULL;
	}
	return dir;
}

static pond_iceberg_schema *simple_schema(pond_arena *a)
{
	pond_iceberg_schema *s = pond_arena_calloc(a, 1, sizeof(*s));
	pond_iceberg_type *root = pond_arena_calloc(a, 1, sizeof(*root));
	pond_iceberg_field *f = pond_arena_calloc(a, 2, sizeof(*f));
	pond_iceberg_type *l = pond_arena_calloc(a, 1, sizeof(*l)), *str = pond_arena_calloc(a, 1, sizeof(*str));
	l->id = POND_ICEBERG_LONG;
	str->id = POND_ICEBERG_STRING;
	f[0] = (pond_iceberg_field){1, "id", true, l, NULL, NULL, NULL};
	f[1] = (pond_iceberg_field){2, "name", false, str, NULL, NULL, NULL};
	root->id = POND_ICEBERG_STRUCT;
	root->nfields = 2;
	root->fields = f;
	s->root = root;
	return s;
}

static int count_metadata_files(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += pond_str_ends_with(e->d_name, ".metadata.json");
	closedir(d);
	return n;
}

TEST(project_init_then_find_from_a_subfolder)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	const char *dir = project_dir(a, NULL);
	CHECK(dir != NULL);
	const char *sub = pond_arena_sprintf(a, "%s/models", dir);
	pond_project *p;
	CHECK_OK(pond_project_find(&p, sub, true, &err), &err);
	CHECK_STR(p->name, "t");
	CHECK(pond_str_ends_with(p->warehouse, "/proj/warehouse"));
	CHECK(pond_str_ends_with(p->catalog_uri, "/proj/catalog.db"));
	CHECK_STR(p->catalog_name, "pond");
	pond_project_free(&p);
	CHECK(p == NULL);
	CHECK_INT(pond_project_find(&p, sub, false, &err), POND_ENOTFOUND);
	CHECK(strstr(err.msg, "pond init") != NULL);
	CHECK_INT(pond_project_init(dir, NULL, &err), POND_EEXISTS);
	char *gi;
	size_t len;
	CHECK_OK(pond_file_read(&gi, &len, pond_arena_sprintf(a, "%s/.gitignore", dir), 4096, &err), &err);
	CHECK(strstr(gi, "/.pond/") != NULL && strstr(gi, "/warehouse/") != NULL);
	pond_free(gi);
	pond_arena_free(&a);
}

TEST(project_config_errors_name_the_line)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	const char *dir = pond_arena_sprintf(a, "%s/bad", pond_test_tmpdir());
	CHECK_OK(pond_mkdirs(dir, &err), &err);
	const char *path = pond_arena_sprintf(a, "%s/pond.yml", dir);
	const char *yml = "name: x\nwarehous: w\n";
	CHECK_OK(pond_file_write_atomic(path, yml, strlen(yml), &err), &err);
	pond_project *p;
	CHECK_INT(pond_project_load(&p, dir, &err), POND_EINVAL);
	CHECK(strstr(err.msg, "pond.yml:2: unknown key \"warehous\"") != NULL);
	pond_arena_free(&a);
}

TEST(table_ident_parse_and_format)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_table_ident id;
	CHECK_OK(pond_table_ident_parse(&id, a, "a.b.t", &err), &err);
	CHECK_INT(id.ns.nlevels, 2);
	CHECK_STR(id.name, "t");
	CHECK_STR(pond_table_ident_format(a, &id), "a.b.t");
	CHECK_OK(pond_table_ident_parse(&id, a, "t", &err), &err);
	CHECK_STR(pond_table_ident_format(a, &id), "main.t");
	CHECK_INT(pond_table_ident_parse(&id, a, "ns.", &err), POND_EINVAL);
	pond_arena_free(&a);
}

/* Opens a lake on a fresh project with the given catalog (NULL: SQLite). */
static pond_lake *open_lake(pond_arena *a, const char *catalog, pond_project **project)
{
	pond_error err = POND_ERROR_INIT;
	const char *dir = project_dir(a, catalog);
	pond_lake *lake = NULL;
	if (!dir || pond_project_load(project, dir, &err) != 0 || pond_lake_open(&lake, *project, NULL, &err) != 0)
		fprintf(stderr, "    %s\n", err.msg);
	return lake;
}

static void create_and_commit(const char *catalog)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_project *p = NULL;
	pond_lake *lake = open_lake(a, catalog, &p);
	CHECK(lake != NULL);
	pond_table_ident id;
	CHECK_OK(pond_table_ident_parse(&id, a, "sales.orders", &err), &err);
	pond_table *t;
	pond_iceberg_kv props[] = {{"owner", "finance"}};
	CHECK_OK(pond_table_create(lake, &id, simple_schema(a), NULL, props, 1, &t, &err), &err);
	CHECK(pond_str_ends_with(t->metadata->location, "/warehouse/sales/orders"));
	CHECK(strstr(t->metadata_location, "/metadata/00000-") != NULL);
	CHECK_STR(pond_iceberg_metadata_property(t->metadata, "owner"), "finance");
	CHECK_INT(t->metadata->format_version, 2);
	CHECK_INT(pond_iceberg_metadata_current_schema(t->metadata)->root->nfields, 2);
	pond_table_free(&t);

	CHECK_INT(pond_table_create(lake, &id, simple_schema(a), NULL, NULL, 0, NULL, &err), POND_EEXISTS);
	CHECK_STR(err.msg, "table sales.orders already exists");

	pond_iceberg_kv set[] = {{"color", "blue"}};
	const char *remove[] = {"owner"};
	CHECK_OK(pond_table_set_properties(lake, &id, set, 1, remove, 1, &err), &err);
	CHECK_OK(pond_table_load(&t, lake, &id, &err), &err);
	CHECK(strstr(t->metadata_location, "/metadata/00001-") != NULL);
	CHECK_STR(pond_iceberg_metadata_property(t->metadata, "color"), "blue");
	CHECK(pond_iceberg_metadata_property(t->metadata, "owner") == NULL);
	CHECK_INT(t->metadata->nmetadata_log, 1);
	const char *mdir = pond_arena_sprintf(a, "%s/metadata", t->metadata->location);
	CHECK_INT(count_metadata_files(mdir), 2);
	pond_table_free(&t);

	pond_table_ident missing;
	CHECK_OK(pond_table_ident_parse(&missing, a, "sales.nope", &err), &err);
	CHECK_INT(pond_table_load(&t, lake, &missing, &err), POND_ENOTFOUND);
	CHECK(strstr(err.msg, "sales.nope") != NULL);

	CHECK_OK(pond_table_drop(lake, &id, true, &err), &err);
	CHECK(!pond_file_exists(mdir));
	CHECK_INT(pond_table_load(&t, lake, &id, &err), POND_ENOTFOUND);
	pond_lake_close(&lake);
	pond_project_free(&p);
	pond_arena_free(&a);
}

TEST_ON_CATALOGS(table_create_commit_drop, create_and_commit)

/* A change whose requirement fails: the main branch must still be at a
 * snapshot it is not at. */
static int build_stale(const pond_iceberg_metadata *base, pond_arena *arena, pond_iceberg_requirement **reqs,
                       size_t *nreqs, pond_iceberg_update **ups, size_t *nups, void *payload, pond_error *err)
{
	(void)base; (void)payload; (void)err; (void)ups;
	pond_iceberg_requirement *r = pond_arena_calloc(arena, 1, sizeof(*r));
	r->type = POND_ICEBERG_ASSERT_REF_SNAPSHOT_ID;
	r->ref = "main";
	r->has_snapshot_id = true;
	r->snapshot_id = 12345;
	*reqs = r;
	*nreqs = 1;
	*nups = 0;
	return 0;
}

TEST(table_commit_with_a_failed_requirement_is_a_conflict_and_changes_nothing)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_project *p = NULL;
	pond_lake *lake = open_lake(a, NULL, &p);
	CHECK(lake != NULL);
	pond_table_ident id;
	CHECK_OK(pond_table_ident_parse(&id, a, "t1", &err), &err);
	CHECK_OK(pond_table_create(lake, &id, simple_schema(a), NULL, NULL, 0, NULL, &err), &err);
	CHECK_INT(pond_table_commit(lake, &id, build_stale, NULL, NULL, NULL, &err), POND_ECONFLICT);
	CHECK_MSG(pond_str_starts_with(err.msg, "commit conflict on main.t1: "), "%s", err.msg);
	pond_table *t;
	CHECK_OK(pond_table_load(&t, lake, &id, &err), &err);
	CHECK(strstr(t->metadata_location, "/00000-") != NULL);
	CHECK_INT(count_metadata_files(pond_arena_sprintf(a, "%s/metadata", t->metadata->location)), 1);
	pond_table_free(&t);
	pond_lake_close(&lake);
	pond_project_free(&p);
	pond_arena_free(&a);
}

typedef struct {
	int writer, i;
} counter_change;

static int build_counter(const pond_iceberg_metadata *base, pond_arena *arena, pond_iceberg_requirement **reqs,
                         size_t *nreqs, pond_iceberg_update **ups, size_t *nups, void *payload, pond_error *err)
{
	(void)base; (void)reqs; (void)nreqs; (void)err;
	counter_change *c = payload;
	pond_iceberg_kv *kv = pond_arena_calloc(arena, 1, sizeof(*kv));
	kv->key = pond_arena_sprintf(arena, "w%d.%d", c->writer, c->i);
	kv->value = "1";
	pond_iceberg_update *u = pond_arena_calloc(arena, 1, sizeof(*u));
	u->action = POND_ICEBERG_SET_PROPERTIES;
	u->properties = kv;
	u->nproperties = 1;
	*ups = u;
	*nups = 1;
	return 0;
}

static void concurrent_commits(const char *catalog)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_project *p = NULL;
	pond_lake *lake = open_lake(a, catalog, &p);
	CHECK(lake != NULL);
	pond_table_ident id;
	CHECK_OK(pond_table_ident_parse(&id, a, "race.t", &err), &err);
	CHECK_OK(pond_table_create(lake, &id, simple_schema(a), NULL, NULL, 0, NULL, &err), &err);
	pond_lake_close(&lake);
	enum { WRITERS = 4, COMMITS = 50 };
	/* Retries are bounded by progress: even a writer that may lose only
	 * once in a row to a table that did not move keeps going while the
	 * others' commits land, however slow the machine. */
	pond_commit_options opts = POND_COMMIT_OPTIONS_INIT;
	opts.max_attempts = 1;
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			pond_lake *mine;
			int failed = pond_lake_open(&mine, p, NULL, &err) != 0;
			for (int i = 0; i < COMMITS && !failed; i++) {
				counter_change c = {w, i};
				if (pond_table_commit(mine, &id, build_counter, &c, &opts, NULL, &err) != 0) {
					fprintf(stderr, "    writer %d: %s\n", w, err.msg);
					failed = 1;
				}
			}
			pond_lake_close(&mine);
			_exit(failed);
		}
	}
	int all_ok = 1;
	for (int w = 0; w < WRITERS; w++) {
		int status;
		waitpid(pids[w], &status, 0);
		all_ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	CHECK(all_ok);
	CHECK_OK(pond_lake_open(&lake, p, NULL, &err), &err);
	pond_table *t;
	CHECK_OK(pond_table_load(&t, lake, &id, &err), &err);
	CHECK_INT(t->metadata->nproperties, WRITERS * COMMITS);
	for (int w = 0; w < WRITERS; w++)
		for (int i = 0; i < COMMITS; i++)
			CHECK(pond_iceberg_metadata_property(t->metadata, pond_arena_sprintf(a, "w%d.%d", w, i)) != NULL);
	/* Losers delete their metadata files: one file per successful commit,
	 * of which commits keep the last write.metadata.previous-versions-max
	 * (100) and the current one. */
	CHECK_INT(count_metadata_files(pond_arena_sprintf(a, "%s/metadata", t->metadata->location)),
	          (WRITERS * COMMITS < 100 ? WRITERS * COMMITS : 100) + 1);
	pond_table_free(&t);
	pond_lake_close(&lake);
	pond_project_free(&p);
	pond_arena_free(&a);
}

TEST_ON_CATALOGS(table_concurrent_commits_from_four_processes_all_land, concurrent_commits)

/* 4 processes x 25 "update t set v = v + 1" on one table: every update that
 * reports success is in the table (sum(v) = 100 x successes), and every
 * other one failed with a conflict error. The writers start together at a
 * pipe that the parent closes. */
static void concurrent_updates(const char *catalog)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_project *p = NULL;
	pond_lake *lake = open_lake(a, catalog, &p);
	CHECK(lake != NULL);
	pond_session *s;
	CHECK_OK(pond_session_open(&s, lake, &err), &err);
	pond_result *res = NULL;
	const char *msg;
	CHECK_OK(pond_session_run(s, "create table race.u as select range::int id, 0 v from range(100)", a, &res, &msg,
	                          &err), &err);
	pond_session_close(&s);
	pond_lake_close(&lake);
	enum { WRITERS = 4, UPDATES = 15 };
	int go[2], report[2];
	CHECK(pipe(go) == 0 && pipe(report) == 0);
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			close(go[1]);
			close(report[0]);
			pond_lake *mine = NULL;
			pond_session *ms = NULL;
			int ok = 0, conflicts = 0, other = 0;
			if (pond_lake_open(&mine, p, NULL, &err) != 0 || pond_session_open(&ms, mine, &err) != 0)
				other++;
			char c;
			while (read(go[0], &c, 1) > 0) {}
			for (int i = 0; i < UPDATES && !other; i++) {
				pond_arena *sa = pond_arena_new();
				pond_result *r = NULL;
				const char *m = NULL;
				int rc = pond_session_run(ms, "update race.u set v = v + 1", sa, &r, &m, &err);
				if (rc == 0 && m && strcmp(m, "updated 100 rows in race.u") == 0) {
					ok++;
				} else if (rc == POND_ECONFLICT && strstr(err.msg, "conflict on race.u")) {
					conflicts++;
				} else {
					fprintf(stderr, "    writer %d: %d %s\n", w, rc, rc ? err.msg : m);
					other++;
				}
				pond_result_free(&r);
				pond_arena_free(&sa);
			}
			pond_session_close(&ms);
			pond_lake_close(&mine);
			int counts[3] = {ok, conflicts, other};
			_exit(write(report[1], counts, sizeof counts) == sizeof counts ? 0 : 1);
		}
	}
	close(go[0]);
	close(report[1]);
	close(go[1]);  /* everyone starts */
	int ok = 0, conflicts = 0, other = 0, all_exited = 1;
	for (int w = 0; w < WRITERS; w++) {
		int status;
		waitpid(pids[w], &status, 0);
		all_exited &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	int counts[3];
	for (int w = 0; w < WRITERS; w++) {
		if (read(report[0], counts, sizeof counts) != sizeof counts)
			break;
		ok += counts[0];
		conflicts += counts[1];
		other += counts[2];
	}
	close(report[0]);
	CHECK(all_exited);
	CHECK_INT(other, 0);
	CHECK_INT(ok + conflicts, WRITERS * UPDATES);
	CHECK(ok > 0);
	CHECK_OK(pond_lake_open(&lake, p, NULL, &err), &err);
	CHECK_OK(pond_session_open(&s, lake, &err), &err);
	pond_result *r = NULL;
	CHECK_OK(pond_session_run(s, "select sum(v)::bigint, count(*) from race.u", a, &r, &msg, &err), &err);
	duckdb_data_chunk c;
	CHECK(pond_result_next(r, &c, &err) == 1);
	int64_t sum = ((int64_t *)duckdb_vector_get_data(duckdb_data_chunk_get_vector(c, 0)))[0];
	int64_t rows = ((int64_t *)duckdb_vector_get_data(duckdb_data_chunk_get_vector(c, 1)))[0];
	duckdb_destroy_data_chunk(&c);
	pond_result_free(&r);
	fprintf(stderr, "    %d updates landed, %d conflicts\n", ok, conflicts);
	CHECK_INT(rows, 100);
	CHECK_INT(sum, 100 * (int64_t)ok);
	/* Every committed snapshot keeps its manifest list: a losing attempt
	 * removes only what it wrote itself (it once removed a path from a
	 * reset arena: another snapshot's list). */
	pond_table *t;
	pond_table_ident id;
	CHECK_OK(pond_table_ident_parse(&id, a, "race.u", &err), &err);
	CHECK_OK(pond_table_load(&t, lake, &id, &err), &err);
	for (size_t i = 0; t && i < t->metadata->nsnapshots; i++)
		CHECK_MSG(pond_file_exists(t->metadata->snapshots[i].manifest_list), "snapshot %lld has no manifest list %s",
		          (long long)t->metadata->snapshots[i].snapshot_id, t->metadata->snapshots[i].manifest_list);
	pond_table_free(&t);
	pond_session_close(&s);
	pond_lake_close(&lake);
	pond_project_free(&p);
	pond_arena_free(&a);
}

TEST_ON_CATALOGS(table_concurrent_updates_land_or_conflict_never_lost, concurrent_updates)

/* A catalog row may hold the metadata location relative to the project
 * (pyiceberg's catalogs in the fixtures do): writes commit against the row
 * as it is, not the absolute path read through it (which once made every
 * swap "lose" until the commit gave up). */
TEST(table_commit_to_a_relative_catalog_location)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_project *p = NULL;
	pond_lake *lake = open_lake(a, NULL, &p);
	CHECK(lake != NULL);
	pond_table_ident id;
	CHECK_OK(pond_table_ident_parse(&id, a, "rel.t", &err), &err);
	pond_table *t;
	CHECK_OK(pond_table_create(lake, &id, simple_schema(a), NULL, NULL, 0, &t, &err), &err);
	const char *root = p->root;
	CHECK(pond_str_starts_with(t->metadata_location, root));
	const char *relative = pond_arena_strdup(a, t->metadata_location + strlen(root) + 1);
	pond_table_free(&t);
	const char *params[] = {relative, "rel", "t"};
	long changed = 0;
	CHECK_OK(pond_catalog_exec(pond_lake_catalog(lake),
	                           "UPDATE iceberg_tables SET metadata_location = ? WHERE table_namespace = ? AND "
	                           "table_name = ?",
	                           params, 3, &changed, &err), &err);
	CHECK_INT(changed, 1);
	CHECK_OK(pond_table_load(&t, lake, &id, &err), &err);
	CHECK_STR(t->catalog_location, relative);
	pond_table_free(&t);
	pond_iceberg_kv kv = {"owner", "rel"};
	CHECK_OK(pond_table_set_properties(lake, &id, &kv, 1, NULL, 0, &err), &err);
	CHECK_OK(pond_table_load(&t, lake, &id, &err), &err);
	CHECK_STR(pond_iceberg_metadata_property(t->metadata, "owner"), "rel");
	CHECK(t->metadata_location[0] == '/');
	pond_table_free(&t);
	pond_lake_close(&lake);
	pond_project_free(&p);
	pond_arena_free(&a);
}

/* ---- several tables in one commit (pond_table_commit_all) ---- */

/* Sets property key to the payload's value, asserting nothing. */
static int build_set_prop(const pond_iceberg_metadata *base, pond_arena *arena, pond_iceberg_requirement **reqs,
                          size_t *nreqs, pond_iceberg_update **ups, size_t *nups, void *payload, pond_error *err)
{
	(void)base; (void)reqs; (void)nreqs; (void)err;
	pond_iceberg_kv *kv = pond_arena_calloc(arena, 1, sizeof(*kv));
	pond_iceberg_update *u = pond_arena_calloc(arena, 1, sizeof(*u));
	kv->key = "k";
	kv->value = payload;
	*u = (pond_iceberg_update){.action = POND_ICEBERG_SET_PROPERTIES, .properties = kv, .nproperties = 1};
	*ups = u;
	*nups = 1;
	return 0;
}

/* The requirements and updates of a prepared commit (the payload). */
static int build_from_commit(const pond_iceberg_metadata *base, pond_arena *arena, pond_iceberg_requirement **reqs,
                             size_t *nreqs, pond_iceberg_update **ups, size_t *nups, void *payload, pond_error *err)
{
	(void)base; (void)arena; (void)err;
	pond_iceberg_commit *c = payload;
	*reqs = c->requirements;
	*nreqs = c->nrequirements;
	*ups = c->updates;
	*nups = c->nupdates;
	return 0;
}

static const char *location_of(pond_lake *lake, const pond_table_ident *id, pond_arena *a)
{
	pond_table *t;
	pond_error err = POND_ERROR_INIT;
	if (pond_table_load(&t, lake, id, &err) != 0)
		return "(missing)";
	const char *loc = pond_arena_strdup(a, t->metadata_location);
	pond_table_free(&t);
	return loc;
}

static void commit_all(const char *catalog)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_project *p = NULL;
	pond_lake *full = open_lake(a, catalog, &p);
	CHECK(full != NULL);
	/* An engine-less lake over the same catalog does all of it. */
	pond_lake *lake;
	CHECK_OK(pond_lake_open_catalog(&lake, p, pond_lake_catalog(full), &err), &err);
	CHECK(pond_lake_engine(lake) == NULL);
	pond_table_ident x, y, z;
	CHECK_OK(pond_table_ident_parse(&x, a, "s.x", &err), &err);
	CHECK_OK(pond_table_ident_parse(&y, a, "s.y", &err), &err);
	CHECK_OK(pond_table_ident_parse(&z, a, "s.z", &err), &err);
	CHECK_OK(pond_table_create(lake, &x, simple_schema(a), NULL, NULL, 0, NULL, &err), &err);
	CHECK_OK(pond_table_create(lake, &y, simple_schema(a), NULL, NULL, 0, NULL, &err), &err);

	/* Both land, and out holds what was written. */
	pond_table_change both[] = {{x, build_set_prop, "1", false}, {y, build_set_prop, "1", false}};
	pond_table *out[2];
	CHECK_OK(pond_table_commit_all(lake, both, 2, NULL, out, &err), &err);
	for (int i = 0; i < 2; i++) {
		CHECK_STR(pond_iceberg_metadata_property(out[i]->metadata, "k"), "1");
		CHECK_STR(out[i]->metadata_location, location_of(lake, &both[i].id, a));
		pond_table_free(&out[i]);
	}

	/* y's requirement fails: x, whose change applies, is not changed either. */
	const char *x_before = location_of(lake, &x, a), *y_before = location_of(lake, &y, a);
	pond_table_change half[] = {{x, build_set_prop, "2", false}, {y, build_stale, NULL, false}};
	CHECK_INT(pond_table_commit_all(lake, half, 2, NULL, NULL, &err), POND_ECONFLICT);
	CHECK_MSG(strstr(err.msg, "commit conflict on s.y: requirement assert-ref-snapshot-id failed") != NULL, "%s",
	          err.msg);
	CHECK_STR(location_of(lake, &x, a), x_before);
	CHECK_STR(location_of(lake, &y, a), y_before);
	const char *xdir = pond_arena_sprintf(a, "%s/warehouse/s/x/metadata", p->root);
	CHECK_INT(count_metadata_files(xdir), 2);

	/* A table created in the same commit as another's change; then again:
	 * assert-create fails. A table named twice is refused. */
	const char *zloc = pond_arena_sprintf(a, "%s/warehouse/s/z", p->root);
	pond_iceberg_commit *zc;
	CHECK_OK(pond_iceberg_create_commit(&zc, simple_schema(a), NULL, NULL, zloc, NULL, 0, &err), &err);
	pond_table_change create[] = {{z, build_from_commit, zc, true}, {x, build_set_prop, "3", false}};
	CHECK_OK(pond_table_commit_all(lake, create, 2, NULL, NULL, &err), &err);
	CHECK(strstr(location_of(lake, &z, a), "/warehouse/s/z/metadata/00000-") != NULL);
	CHECK_INT(pond_table_commit_all(lake, create, 2, NULL, NULL, &err), POND_ECONFLICT);
	CHECK_MSG(strstr(err.msg, "commit conflict on s.z: requirement assert-create failed") != NULL, "%s", err.msg);
	pond_iceberg_commit_free(&zc);
	pond_table_change twice[] = {{x, build_set_prop, "4", false}, {x, build_set_prop, "5", false}};
	CHECK_INT(pond_table_commit_all(lake, twice, 2, NULL, NULL, &err), POND_EINVAL);
	pond_table_ident gone;
	CHECK_OK(pond_table_ident_parse(&gone, a, "s.gone", &err), &err);
	pond_table_change missing[] = {{x, build_set_prop, "6", false}, {gone, build_set_prop, "6", false}};
	CHECK_INT(pond_table_commit_all(lake, missing, 2, NULL, NULL, &err), POND_ENOTFOUND);
	CHECK_MSG(strstr(err.msg, "s.gone") != NULL, "%s", err.msg);
	pond_table *t = NULL;
	CHECK_OK(pond_table_load(&t, lake, &x, &err), &err);
	CHECK_STR(pond_iceberg_metadata_property(t->metadata, "k"), "3");
	pond_table_free(&t);
	pond_lake_close(&lake);
	pond_lake_close(&full);
	pond_project_free(&p);
	pond_arena_free(&a);
}

TEST_ON_CATALOGS(table_commit_all_lands_every_table_or_none, commit_all)

/* An allocation that fails anywhere in a commit of two tables leaves both
 * loadable: a failure before the swaps lands nothing, and one after them
 * (the upkeep, building what out returns) keeps the metadata files the
 * catalog now names. */
TEST(table_commit_all_failing_allocations_leave_every_table_loadable)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_project *p = NULL;
	pond_lake *lake = open_lake(a, NULL, &p);
	CHECK(lake != NULL);
	pond_table_ident x, y;
	CHECK_OK(pond_table_ident_parse(&x, a, "s.x", &err), &err);
	CHECK_OK(pond_table_ident_parse(&y, a, "s.y", &err), &err);
	CHECK_OK(pond_table_create(lake, &x, simple_schema(a), NULL, NULL, 0, NULL, &err), &err);
	CHECK_OK(pond_table_create(lake, &y, simple_schema(a), NULL, NULL, 0, NULL, &err), &err);
	pond_table_change both[] = {{x, build_set_prop, "1", false}, {y, build_set_prop, "1", false}};
	pond_table *out[2] = {NULL, NULL};
	bool done = false;
	long failed = 0, n;
	/* Up to the first n past the commit's last allocation. */
	for (n = 1; n < 100000 && !done; n++) {
		pond_alloc_fail_at(n);
		int rc = pond_table_commit_all(lake, both, 2, NULL, out, &err);
		done = pond_alloc_count() < n;
		pond_alloc_fail_at(0);
		failed += rc != 0;
		for (int i = 0; i < 2; i++) {
			if (rc == 0 && !done)
				pond_table_free(&out[i]);
			pond_table *t = NULL;
			int lrc = pond_table_load(&t, lake, &both[i].id, &err);
			CHECK_MSG(lrc == 0, "allocation %ld failed the commit: %s is not loadable: %s", n, both[i].id.name, err.msg);
			pond_table_free(&t);
		}
	}
	CHECK(done);
	CHECK_MSG(failed > 20, "only %ld of %ld allocations failed the commit", failed, n - 1);
	for (int i = 0; i < 2; i++) {
		CHECK(out[i] != NULL);
		CHECK_STR(pond_iceberg_metadata_property(out[i]->metadata, "k"), "1");
		pond_table_free(&out[i]);
	}
	pond_lake_close(&lake);
	pond_project_free(&p);
	pond_arena_free(&a);
}
