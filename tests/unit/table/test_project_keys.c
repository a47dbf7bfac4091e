/*
 * pond.yml's top-level keys: the table layer reads its own, the layers
 * above register theirs (POND_PROJECT_KEYS), and a key nobody reads is
 * reported with its file and line.
 */
#include "../test.h"

#include <stdio.h>
#include <string.h>

#include "pond/table.h"

/* Writes dir/pond.yml with text and loads it. */
static int load(const char *name, const char *text, pond_project **out, pond_error *err)
{
	char dir[4200], path[4300];
	snprintf(dir, sizeof(dir), "%s/%s", pond_test_tmpdir(), name);
	snprintf(path, sizeof(path), "%s/pond.yml", dir);
	int rc = pond_mkdirs(dir, err);
	if (!rc)
		rc = pond_file_write_atomic(path, text, strlen(text), err);
	return rc ? rc : pond_project_load(out, dir, err);
}

TEST(project_keys_of_every_layer_are_accepted)
{
	pond_project *p = NULL;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(load("all_keys",
	              "name: demo\nwarehouse: wh\ncatalog: c.db\ncatalog_name: pond\nstorage: {}\n"
	              "defaults: {}\npipelines: {}\nserver: {}\nmodels: {}\n",
	              &p, &err), &err);
	CHECK_STR(p->name, "demo");
	pond_project_free(&p);
	/* each layer's keys come from the layer that reads them */
	CHECK(pond_project_key_known("warehouse"));
	CHECK(pond_project_key_known("pipelines"));
	CHECK(pond_project_key_known("defaults"));
	CHECK(pond_project_key_known("server"));
	CHECK(pond_project_key_known("models"));
	CHECK(!pond_project_key_known("pipeline"));
}

TEST(project_unknown_key_is_reported_with_file_and_line)
{
	pond_project *p = NULL;
	pond_error err = POND_ERROR_INIT;
	CHECK_INT(load("typo", "name: demo\nwarehouse: wh\n\npipelnes: {}\n", &p, &err), POND_EINVAL);
	CHECK(p == NULL);
	CHECK_MSG(strstr(err.msg, "/typo/pond.yml:4: unknown key \"pipelnes\""), "%s", err.msg);
	CHECK_INT(load("not_a_map", "- name\n", &p, &err), POND_EINVAL);
	CHECK_MSG(strstr(err.msg, "expected a map of keys and values"), "%s", err.msg);
}

TEST(project_keys_registered_at_run_time_are_accepted_once)
{
	static const char *const widget_keys[] = {"widgets", "gadgets", NULL};
	static pond_project_keys widgets = {"widgets", widget_keys, NULL};
	pond_project *p = NULL;
	pond_error err = POND_ERROR_INIT;
	CHECK_INT(load("widgets_before", "widgets: 3\n", &p, &err), POND_EINVAL);
	CHECK_MSG(strstr(err.msg, "pond.yml:1: unknown key \"widgets\""), "%s", err.msg);
	pond_project_register_keys(&widgets);
	pond_project_register_keys(&widgets);
	CHECK(widgets.next != &widgets);
	CHECK_OK(load("widgets_after", "widgets: 3\ngadgets: 4\nmodels: {}\n", &p, &err), &err);
	pond_project_free(&p);
}

TEST(project_catalog_names_a_rest_catalog_by_url_or_settings)
{
	pond_project *p = NULL;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(load("rest_url", "name: r\ncatalog: http://127.0.0.1:8765/iceberg\n", &p, &err), &err);
	CHECK(pond_project_is_rest(p));
	CHECK_STR(p->catalog_uri, "http://127.0.0.1:8765/iceberg");
	CHECK(pond_str_ends_with(p->state_path, "/rest_url/.pond/state.db"));
	CHECK(p->rest.token_env == NULL && p->rest.credential_env == NULL);
	pond_project_free(&p);
	CHECK_OK(load("rest_map",
	              "name: r\ncatalog:\n  uri: https://cat.example/api/catalog\n  credential: ${CAT_CRED}\n"
	              "  token: ${CAT_TOKEN}\n  warehouse: lake\n",
	              &p, &err), &err);
	CHECK(pond_project_is_rest(p));
	CHECK_STR(p->catalog_uri, "https://cat.example/api/catalog");
	CHECK_STR(p->rest.credential_env, "CAT_CRED");
	CHECK_STR(p->rest.token_env, "CAT_TOKEN");
	CHECK_STR(p->rest.warehouse, "lake");
	pond_project_free(&p);
	/* a SQL catalog is as it was */
	CHECK_OK(load("sql_cat", "name: s\ncatalog: c.db\n", &p, &err), &err);
	CHECK(!pond_project_is_rest(p));
	CHECK(pond_str_ends_with(p->catalog_uri, "/sql_cat/c.db"));
	pond_project_free(&p);
}

TEST(project_rest_catalog_settings_refuse_secrets_and_mistakes)
{
	pond_project *p = NULL;
	pond_error err = POND_ERROR_INIT;
	CHECK_INT(load("rest_secret", "name: r\ncatalog:\n  uri: http://h/iceberg\n  token: abc123\n", &p, &err),
	          POND_EINVAL);
	CHECK_MSG(strstr(err.msg, "pond.yml:4: catalog token must name an environment variable as ${NAME}"), "%s",
	          err.msg);
	CHECK_INT(load("rest_sql_map", "name: r\ncatalog:\n  uri: c.db\n", &p, &err), POND_EINVAL);
	CHECK_MSG(strstr(err.msg, "pond.yml:3: catalog uri \"c.db\" is not an http:// or https:// URL"), "%s", err.msg);
	CHECK_INT(load("rest_typo", "name: r\ncatalog:\n  uri: http://h/iceberg\n  tokn: ${X}\n", &p, &err), POND_EINVAL);
	CHECK_MSG(strstr(err.msg, "tokn"), "%s", err.msg);
	CHECK_INT(load("rest_no_uri", "name: r\ncatalog:\n  warehouse: w\n", &p, &err), POND_EINVAL);
	CHECK_MSG(strstr(err.msg, "catalog needs a uri"), "%s", err.msg);
	CHECK(p == NULL);
}
