/*
 * Projects: pond.yml found in a folder or its parents, its core keys
 * (name, warehouse, catalog) resolved to absolute locations, and `pond
 * init`'s starting files.
 */
#include "pond/table.h"

#include "pond/io.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The top-level keys of pond.yml this layer reads; the layers above
 * register theirs (POND_PROJECT_KEYS). */
static const char *const table_keys[] = {
	"name", "warehouse", "catalog", "catalog_name", "storage", NULL,
};

static pond_project_keys table_registered = {"table", table_keys, NULL};
static pond_project_keys *registry = &table_registered;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

void pond_project_register_keys(pond_project_keys *keys)
{
	pthread_mutex_lock(&registry_lock);
	bool known = false;
	for (pond_project_keys *k = registry; k && !known; k = k->next)
		known = k == keys;
	if (!known) {
		keys->next = registry;
		registry = keys;
	}
	pthread_mutex_unlock(&registry_lock);
}

bool pond_project_key_known(const char *key)
{
	bool known = false;
	pthread_mutex_lock(&registry_lock);
	for (const pond_project_keys *k = registry; k && !known; k = k->next)
		for (const char *const *name = k->keys; *name && !known; name++)
			known = strcmp(*name, key) == 0;
	pthread_mutex_unlock(&registry_lock);
	return known;
}

/* Every registered key, NULL-terminated, in arena; NULL on allocation
 * failure. */
static const char **known_keys(pond_arena *a)
{
	pthread_mutex_lock(&registry_lock);
	size_t n = 0;
	for (const pond_project_keys *k = registry; k; k = k->next)
		for (const char *const *name = k->keys; *name; name++)
			n++;
	const char **all = pond_arena_calloc(a, n + 1, sizeof(*all));
	n = 0;
	for (const pond_project_keys *k = registry; k && all; k = k->next)
		for (const char *const *name = k->keys; *name; name++)
			all[n++] = *name;
	pthread_mutex_unlock(&registry_lock);
	return all;
}

static bool is_url(const char *s)
{
	return strstr(s, "://") != NULL;
}

/* path made absolute against root, in the arena. */
static const char *absolute(pond_arena *a, const char *root, const char *path)
{
	if (path[0] == '/' || is_url(path))
		return pond_arena_strdup(a, path);
	if (strcmp(path, ".") == 0)
		return pond_arena_strdup(a, root);
	return pond_arena_sprintf(a, "%s/%s", root, path);
}

static int read_string_key(const pond_yaml_node *root, const char *key, const char *def, const char **out,
                           const char *what, pond_error *err)
{
	const pond_yaml_node *n = pond_yaml_get(root, key);
	if (!n || pond_yaml_is_null(n)) {
		*out = def;
		return 0;
	}
	int rc = pond_yaml_string(n, out, what, key, err);
	if (rc == 0 && (*out)[0] == '\0')
		rc = pond_error_set(err, POND_EINVAL, "%s:%d: \"%s\" is empty", what, n->line, key);
	return rc;
}

bool pond_project_is_s3(const char *location)
{
	return pond_s3_is_url(location);
}

/* The keys of pond.yml's storage: block. */
static const char *const storage_keys[] = {
	"endpoint", "region", "profile", "path_style", "access_key_id_env", "secret_access_key_env",
	"session_token_env", "cache_max_bytes", NULL,
};

/* Reads the storage: block (every key optional) into p. */
static int read_storage(pond_project *p, const pond_yaml_node *root, const char *what, pond_error *err)
{
	p->storage = (pond_s3_settings)POND_S3_SETTINGS_INIT;
	p->cache_max_bytes = (int64_t)4 << 30;
	const pond_yaml_node *st = pond_yaml_get(root, "storage");
	if (!st || pond_yaml_is_null(st))
		return 0;
	if (st->kind != POND_YAML_MAP)
		return pond_error_set(err, POND_EINVAL, "%s:%d: \"storage\" must be a map of settings", what, st->line);
	int rc = pond_yaml_check_keys(st, storage_keys, what, err);
	struct {
		const char *key;
		const char **out;
	} strings[] = {
		{"endpoint", &p->storage.endpoint},
		{"region", &p->storage.region},
		{"profile", &p->storage.profile},
		{"access_key_id_env", &p->storage.access_key_id_env},
		{"secret_access_key_env", &p->storage.secret_access_key_env},
		{"session_token_env", &p->storage.session_token_env},
	};
	for (size_t i = 0; i < sizeof strings / sizeof strings[0] && rc == 0; i++)
		rc = read_string_key(st, strings[i].key, NULL, strings[i].out, what, err);
	const pond_yaml_node *n = pond_yaml_get(st, "path_style");
	bool path_style;
	if (rc == 0 && n && !pond_yaml_is_null(n) && (rc = pond_yaml_bool(n, &path_style, what, "path_style", err)) == 0)
		p->storage.path_style = path_style;
	n = pond_yaml_get(st, "cache_max_bytes");
	if (rc == 0 && n && !pond_yaml_is_null(n) &&
	    (n->kind != POND_YAML_SCALAR || !pond_str_to_size(n->value, &p->cache_max_bytes)))
		rc = pond_error_set(err, POND_EINVAL, "%s:%d: cache_max_bytes wants a size such as 4GB, not \"%s\"", what,
		                    n->line, n->kind == POND_YAML_SCALAR ? n->value : "...");
	return rc;
}

/* The keys of a catalog: map (a REST catalog's settings). */
static const char *const rest_keys[] = {"uri", "credential", "token", "warehouse", NULL};

/* "${NAME}": the variable's name in arena; anything else is refused, so
 * that no secret is written into pond.yml. */
static int read_env_ref(const pond_yaml_node *map, const char *key, const char **out, pond_arena *a,
                        const char *what, pond_error *err)
{
	const char *value;
	int rc = read_string_key(map, key, NULL, &value, what, err);
	if (rc || !value)
		return rc;
	size_t len = strlen(value);
	if (len < 4 || strncmp(value, "${", 2) != 0 || value[len - 1] != '}')
		return pond_error_set(err, POND_EINVAL, "%s:%d: catalog %s must name an environment variable as ${NAME}, "
		                      "never hold the secret itself", what, pond_yaml_get(map, key)->line, key);
	*out = pond_arena_strndup(a, value + 2, len - 3);
	return *out ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

/* catalog: a SQLite path, a postgresql:// URL or an Iceberg REST catalog's
 * http(s):// URL, or a map {uri, credential, token, warehouse} for the
 * last. A REST project keeps pond's state in ROOT/.pond/state.db. */
static int read_catalog(pond_project *p, const pond_yaml_node *root, const char **uri, const char *what,
                        pond_error *err)
{
	const pond_yaml_node *n = pond_yaml_get(root, "catalog");
	if (!n || n->kind != POND_YAML_MAP)
		return read_string_key(root, "catalog", "catalog.db", uri, what, err);
	int rc = pond_yaml_check_keys(n, rest_keys, what, err);
	if (rc == 0)
		rc = read_string_key(n, "uri", NULL, uri, what, err);
	if (rc == 0 && !*uri)
		rc = pond_error_set(err, POND_EINVAL, "%s:%d: catalog needs a uri", what, n->line);
	if (rc == 0 && !pond_str_starts_with(*uri, "http://") && !pond_str_starts_with(*uri, "https://"))
		rc = pond_error_set(err, POND_EINVAL, "%s:%d: catalog uri \"%s\" is not an http:// or https:// URL: "
		                    "only a REST catalog takes settings", what, n->line, *uri);
	if (rc == 0)
		rc = read_env_ref(n, "credential", &p->rest.credential_env, p->arena, what, err);
	if (rc == 0)
		rc = read_env_ref(n, "token", &p->rest.token_env, p->arena, what, err);
	if (rc == 0)
		rc = read_string_key(n, "warehouse", NULL, &p->rest.warehouse, what, err);
	return rc;
}

int pond_project_open_catalog(pond_catalog **out, const pond_project *p, pond_error *err)
{
	pond_catalog_options o = POND_CATALOG_OPTIONS_INIT;
	o.name = p->catalog_name;
	if (pond_project_is_rest(p)) {
		const char *names[2] = {p->rest.token_env, p->rest.credential_env};
		const char **values[2] = {&o.rest_token, &o.rest_credential};
		for (int i = 0; i < 2; i++)
			if (names[i] && !(*values[i] = getenv(names[i])))
				return pond_error_set(err, POND_EINVAL, "%s: catalog %s names environment variable %s, which is not set",
				                      p->config_path, i ? "credential" : "token", names[i]);
		o.rest_warehouse = p->rest.warehouse;
		o.state_path = p->state_path;
		char *dir = pond_strndup(p->state_path, strlen(p->state_path) - strlen("/state.db"));
		int rc = dir ? pond_mkdirs(dir, err) : pond_error_set(err, POND_ENOMEM, "out of memory");
		pond_free(dir);
		if (rc)
			return rc;
	}
	return pond_catalog_open(out, p->catalog_uri, &o, err);
}

bool pond_project_is_rest(const pond_project *p)
{
	return pond_str_starts_with(p->catalog_uri, "http://") || pond_str_starts_with(p->catalog_uri, "https://");
}

/* The warehouse as pond keeps it: a folder made absolute, or an S3 URL
 * without a final slash; any other URL is refused. */
static int read_warehouse(pond_project *p, const pond_yaml_node *root, const char *warehouse, const char *what,
                          pond_error *err)
{
	const pond_yaml_node *n = pond_yaml_get(root, "warehouse");
	int line = n ? n->line : 0;
	if (pond_str_starts_with(warehouse, "file://"))
		warehouse += strlen("file://");
	if (pond_project_is_s3(warehouse)) {
		char *bucket, *key;
		if (pond_s3_url_split(warehouse, &bucket, &key, p->arena, err) != 0 || !*bucket)
			return pond_error_set(err, POND_EINVAL, "%s:%d: warehouse \"%s\" names no bucket: write "
			                      "s3://BUCKET/PREFIX", what, line, warehouse);
		size_t len = strlen(warehouse);
		while (len > 0 && warehouse[len - 1] == '/')
			len--;
		p->warehouse = pond_arena_strndup(p->arena, warehouse, len);
	} else if (is_url(warehouse) || pond_str_starts_with(warehouse, "s3:")) {
		return pond_error_set(err, POND_EUNSUPPORTED, "%s:%d: warehouse \"%s\" is not supported: use a folder "
		                      "or s3://BUCKET/PREFIX", what, line, warehouse);
	} else {
		p->warehouse = absolute(p->arena, p->root, warehouse);
	}
	return p->warehouse ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

int pond_project_load(pond_project **out, const char *dir, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	if (!a)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_project *p = pond_arena_calloc(a, 1, sizeof(*p));
	char real[PATH_MAX];
	int rc = 0;
	if (!p) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		goto fail;
	}
	if (!realpath(dir, real)) {
		rc = pond_error_set(err, POND_ENOTFOUND, "could not open project folder %s: %s", dir, strerror(errno));
		goto fail;
	}
	p->arena = a;
	p->root = pond_arena_strdup(a, real);
	p->config_path = pond_arena_sprintf(a, "%s/pond.yml", real);
	char *text;
	size_t len;
	if ((rc = pond_file_read(&text, &len, p->config_path, 1 << 22, err)) != 0)
		goto fail;
	pond_yaml_node *root;
	rc = pond_yaml_parse(&root, text, len, p->config_path, a, err);
	pond_free(text);
	if (rc)
		goto fail;
	p->config = root;
	const char *what = p->config_path;
	/* Every top-level key must be one some layer reads: a typo is an error
	 * naming its line, not a setting silently ignored. */
	const char **keys = known_keys(a);
	if (!keys) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = pond_yaml_check_keys(root, keys, what, err)) != 0)
		goto fail;
	const char *base = strrchr(p->root, '/');
	const char *warehouse, *catalog;
	if ((rc = read_string_key(root, "name", base && base[1] ? base + 1 : "pond", &p->name, what, err)) ||
	    (rc = read_string_key(root, "warehouse", "warehouse", &warehouse, what, err)) ||
	    (rc = read_catalog(p, root, &catalog, what, err)) ||
	    (rc = read_string_key(root, "catalog_name", "pond", &p->catalog_name, what, err)))
		goto fail;
	if (pond_str_starts_with(catalog, "sqlite:"))
		catalog += strlen("sqlite:");
	if ((rc = read_warehouse(p, root, warehouse, what, err)) != 0 || (rc = read_storage(p, root, what, err)) != 0)
		goto fail;
	p->catalog_uri = absolute(a, p->root, catalog);
	p->cache_dir = pond_arena_sprintf(a, "%s/.pond/cache/s3", p->root);
	p->state_path = pond_arena_sprintf(a, "%s/.pond/state.db", p->root);
	if (!p->catalog_uri || !p->cache_dir || !p->state_path) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		goto fail;
	}
	*out = p;
	return 0;
fail:
	pond_arena_free(&a);
	return rc;
}

int pond_project_find(pond_project **out, const char *dir, bool search_parents, pond_error *err)
{
	char path[PATH_MAX];
	if (!realpath(dir ? dir : ".", path))
		return pond_error_set(err, POND_ENOTFOUND, "could not open folder %s: %s", dir ? dir : ".", strerror(errno));
	for (;;) {
		char config[PATH_MAX + 16];
		snprintf(config, sizeof(config), "%s/pond.yml", path);
		if (pond_file_exists(config))
			return pond_project_load(out, path, err);
		char *slash = strrchr(path, '/');
		if (!search_parents || !slash || slash == path)
			break;
		*slash = '\0';
	}
	return pond_error_set(err, POND_ENOTFOUND,
	                      "no pond project here (no pond.yml in %s%s); create one with 'pond init DIR' or "
	                      "point to one with --project DIR",
	                      dir ? dir : "this folder", search_parents ? " or its parents" : "");
}

void pond_project_free(pond_project **project)
{
	if (project && *project) {
		pond_arena *a = (*project)->arena;
		pond_arena_free(&a);
		*project = NULL;
	}
}

static const char init_config[] =
	"# pond project: %s\n"
	"#\n"
	"# Paths are relative to this file.\n"
	"name: %s\n"
	"\n"
	"# Where table data and metadata live: a folder, or s3://bucket/prefix\n"
	"# (AWS S3, MinIO, Garage, R2, Ceph) with the storage settings below.\n"
	"warehouse: warehouse\n"
	"\n"
	"# For an s3:// warehouse (every key optional; see docs/storage.md).\n"
	"# Secrets never go here: name the variables that hold them, or use\n"
	"# AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or ~/.aws/credentials.\n"
	"# storage:\n"
	"#   endpoint: http://nas.local:9000      # an S3-compatible server\n"
	"#   region: us-east-1\n"
	"#   path_style: true\n"
	"#   profile: lake                        # a profile of ~/.aws/config\n"
	"#   access_key_id_env: LAKE_KEY_ID\n"
	"#   secret_access_key_env: LAKE_SECRET\n"
	"#   cache_max_bytes: 4GB                 # local copies of data files\n"
	"\n"
	"# The Iceberg SQL catalog: a SQLite file, or postgresql://user@host/db to\n"
	"# share tables between machines. Spark, Trino, pyiceberg and DuckDB open\n"
	"# the same catalog. Or an Iceberg REST catalog pond does not host:\n"
	"# catalog:                              (docs/scale-out.md)\n"
	"#   uri: https://host/prefix\n"
	"#   credential: ${CATALOG_CREDENTIAL}   # CLIENT_ID:SECRET, by variable\n"
	"catalog: catalog.db\n";

int pond_project_init(const char *dir, const char *name, pond_error *err)
{
	int rc = pond_mkdirs(dir, err);
	if (rc)
		return rc;
	pond_buf path = POND_BUF_INIT;
	pond_buf_printf(&path, "%s/pond.yml", dir);
	if (pond_file_exists(pond_buf_cstr(&path))) {
		rc = pond_error_set(err, POND_EEXISTS, "%s already exists; not overwriting it", pond_buf_cstr(&path));
		pond_buf_dispose(&path);
		return rc;
	}
	char real[PATH_MAX];
	const char *base = realpath(dir, real) ? strrchr(real, '/') : NULL;
	if (!name)
		name = base && base[1] ? base + 1 : "pond";
	pond_buf text = POND_BUF_INIT;
	pond_buf_printf(&text, init_config, name, name);
	static const char *const folders[] = {"warehouse", "sources", "models", "exports"};
	for (size_t i = 0; i < sizeof(folders) / sizeof(folders[0]) && rc == 0; i++) {
		pond_buf sub = POND_BUF_INIT;
		pond_buf_printf(&sub, "%s/%s", dir, folders[i]);
		rc = pond_mkdirs(pond_buf_cstr(&sub), err);
		pond_buf_dispose(&sub);
	}
	/* Data and secrets stay out of version control; the project's own
	 * files (pond.yml, sources, models, exports) go in. */
	static const char gitignore[] =
		"# pond: data and secrets are not committed\n"
		"/warehouse/\n"
		"/catalog.db\n"
		"/catalog.db-*\n"
		"/.pond/\n";
	if (rc == 0) {
		pond_buf gi = POND_BUF_INIT;
		pond_buf_printf(&gi, "%s/.gitignore", dir);
		if (!pond_file_exists(pond_buf_cstr(&gi)))
			rc = pond_file_write_atomic(pond_buf_cstr(&gi), gitignore, sizeof(gitignore) - 1, err);
		pond_buf_dispose(&gi);
	}
	if (rc == 0)
		rc = pond_buf_ok(&text) ? pond_file_write_atomic(pond_buf_cstr(&path), text.ptr, text.len, err)
		                        : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&text);
	pond_buf_dispose(&path);
	return rc;
}
