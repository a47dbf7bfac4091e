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
