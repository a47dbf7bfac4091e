/*
 * The server tests' fixture (api_fixture.h).
 */
#include "../test.h"
#include "api_fixture.h"

static const char pipelines_yml[] =
	"\npipelines:\n"
	"  hello:\n"
	"    steps:\n"
	"      - shell: echo hello\n"
	"  nightly:\n"
	"    schedule: \"0 3 * * *\"\n"
	"    steps:\n"
	"      - shell: echo night\n";

int api_setup_on(api *t, const char *catalog_url, const char *token, const pond_server_options *opts)
{
	memset(t, 0, sizeof(*t));
	if ((catalog_url ? fx_setup_pg(&t->fx, "sales.orders", catalog_url) : fx_setup(&t->fx, "sales.orders")) != 0 ||
	    fx_create_with(&t->fx, "select range as id, 'item ' || range as item from range(25)", NULL) != 0)
		return -1;
	pond_error err = POND_ERROR_INIT;
	char *yml;
	size_t len;
	if (pond_file_read(&yml, &len, t->fx.project->config_path, 1 << 20, &err) != 0)
		return -1;
	pond_buf b = POND_BUF_INIT;
	pond_buf_put(&b, yml, len);
	pond_buf_puts(&b, pipelines_yml);
	pond_free(yml);
	int rc = pond_file_write_atomic(t->fx.project->config_path, b.ptr, b.len, &err);
	pond_buf_dispose(&b);
	if (rc || pond_project_load(&t->project, t->fx.project->root, &err) != 0) {
		fprintf(stderr, "    project: %s\n", err.msg);
		return -1;
	}
	pond_server_options o = POND_SERVER_OPTIONS_INIT;
	if (opts)
		o = *opts;
	o.token = token;
	o.scheduler = false;
	if (pond_server_new(&t->srv, t->project, &o, &err) != 0) {
		fprintf(stderr, "    server: %s\n", err.msg);
		return -1;
	}
	return 0;
}

int api_setup_with(api *t, const char *token, const pond_server_options *opts)
{
	return api_setup_on(t, NULL, token, opts);
}

int api_setup(api *t, const char *token)
{
	return api_setup_with(t, token, NULL);
}

void api_teardown(api *t)
{
	json_decref(t->doc);
	pond_http_response_dispose(&t->resp);
	pond_server_free(&t->srv);
	pond_project_free(&t->project);
	fx_teardown(&t->fx);
}

int send_req(api *t, const char *method, const char *target, const char *body, const char *auth)
{
	json_decref(t->doc);
	t->doc = NULL;
	pond_http_response_dispose(&t->resp);
	pond_http_request req = {.method = method, .target = target, .authorization = auth, .body = body,
	                         .body_len = body ? strlen(body) : 0};
	pond_server_handle(t->srv, &req, &t->resp);
	t->doc = json_loadb(t->resp.body, t->resp.body_len, 0, NULL);
	return t->resp.status;
}

const char *error_of(api *t)
{
	const char *e = json_string_value(json_object_get(t->doc, "error"));
	return e ? e : "(no error field)";
}
