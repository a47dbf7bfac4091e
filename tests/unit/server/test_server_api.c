/*
 * The JSON API through pond_server_handle (no socket): status codes and
 * error shapes, tokens, table endpoints and the SQL endpoint's refusals,
 * on a fresh project with one table.
 */
#include "../test.h"

#include <jansson.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api_fixture.h"
#include "server/server_internal.h"

static int sql(api *t, const char *statement)
{
	json_t *body = json_pack("{s:s}", "sql", statement);
	char *text = pond_json_dumps(body, false);
	json_decref(body);
	int status = send_req(t, "POST", "/api/sql", text, NULL);
	pond_free(text);
	return status;
}

TEST(server_api_health_and_error_shapes)
{
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	CHECK_INT(send_req(&t, "GET", "/api/health", NULL, NULL), 200);
	CHECK_STR(json_string_value(json_object_get(t.doc, "status")), "ok");
	CHECK_STR(json_string_value(json_object_get(t.doc, "project")), "t");
	CHECK_INT(send_req(&t, "HEAD", "/api/health", NULL, NULL), 200);

	CHECK_INT(send_req(&t, "GET", "/api/nope", NULL, NULL), 404);
	CHECK(strstr(error_of(&t), "no such endpoint") != NULL);
	CHECK_INT(send_req(&t, "GET", "/nothing", NULL, NULL), 404);
	CHECK(json_is_string(json_object_get(t.doc, "error")));
	CHECK_INT(send_req(&t, "DELETE", "/api/tables", NULL, NULL), 405);
	CHECK_STR(t.resp.allow, "GET, HEAD");
	CHECK(json_is_string(json_object_get(t.doc, "error")));
	CHECK_INT(send_req(&t, "GET", "/api/sql", NULL, NULL), 405);
	CHECK_STR(t.resp.allow, "POST");
	CHECK_INT(send_req(&t, "GET", "/api/tables/%zz", NULL, NULL), 400);
	CHECK(strstr(error_of(&t), "percent escape") != NULL);
	CHECK_INT(send_req(&t, "GET", "not-a-path", NULL, NULL), 400);
	api_teardown(&t);
}

TEST(server_api_token_is_enforced_when_set)
{
	api t;
	CHECK(api_setup(&t, "unit-test-token-0123456789") == 0);
	CHECK_INT(send_req(&t, "GET", "/api/health", NULL, NULL), 401);
	CHECK(t.resp.auth_challenge);
	CHECK(json_is_string(json_object_get(t.doc, "error")));
	CHECK_INT(send_req(&t, "GET", "/api/health", NULL, "Bearer wrong-token-0123456789xx"), 401);
	CHECK_STR(error_of(&t), "invalid token");
	/* Unknown routes are not revealed without the token either. */
	CHECK_INT(send_req(&t, "GET", "/api/nope", NULL, NULL), 401);
	CHECK_INT(send_req(&t, "GET", "/api/health", NULL, "Bearer unit-test-token-0123456789"), 200);
	CHECK_INT(send_req(&t, "GET", "/api/tables", NULL, "Bearer unit-test-token-0123456789"), 200);
	api_teardown(&t);
}

TEST(server_api_tables_list_describe_and_snapshots)
{
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	CHECK_INT(send_req(&t, "GET", "/api/tables", NULL, NULL), 200);
	json_t *tables = json_object_get(t.doc, "tables");
	CHECK_INT(json_array_size(tables), 1);
	CHECK_STR(json_string_value(json_object_get(json_array_get(tables, 0), "table")), "sales.orders");
	CHECK_INT(json_integer_value(json_object_get(json_array_get(tables, 0), "records")), 25);
	CHECK_INT(send_req(&t, "GET", "/api/tables?namespace=sales", NULL, NULL), 200);
	CHECK_INT(json_array_size(json_object_get(t.doc, "tables")), 1);
	CHECK_INT(send_req(&t, "GET", "/api/tables?namespace=other", NULL, NULL), 404);
	CHECK_MSG(strstr(error_of(&t), "other") != NULL, "%s", error_of(&t));

	CHECK_INT(send_req(&t, "GET", "/api/tables/sales.orders", NULL, NULL), 200);
	CHECK_STR(json_string_value(json_object_get(t.doc, "table")), "sales.orders");
	json_t *fields = json_object_get(json_object_get(t.doc, "schema"), "fields");
	CHECK_INT(json_array_size(fields), 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(fields, 1), "name")), "item");
	CHECK(json_is_object(json_object_get(t.doc, "partition_spec")));
	CHECK(json_is_object(json_object_get(t.doc, "properties")));
	CHECK(json_is_object(json_object_get(t.doc, "current_snapshot")));
	CHECK_INT(json_integer_value(json_object_get(json_object_get(t.doc, "totals"), "records")), 25);

	CHECK_INT(send_req(&t, "GET", "/api/tables/sales.orders/snapshots", NULL, NULL), 200);
	json_t *snaps = json_object_get(t.doc, "snapshots");
	CHECK_INT(json_array_size(snaps), 1);
	CHECK(json_is_true(json_object_get(json_array_get(snaps, 0), "current")));

	CHECK_INT(send_req(&t, "GET", "/api/tables/sales.missing", NULL, NULL), 404);
	CHECK(strstr(error_of(&t), "sales.missing") != NULL);
	CHECK_INT(send_req(&t, "GET", "/api/tables/sales./snapshots", NULL, NULL), 400);
	api_teardown(&t);
}

TEST(server_api_sql_returns_columns_and_rows)
{
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	CHECK_INT(send_req(&t, "POST", "/api/sql", "{\"sql\": \"select id, item from sales.orders where id < 3 order by id\"}",
	                   NULL),
	          200);
	json_t *cols = json_object_get(t.doc, "columns");
	CHECK_INT(json_array_size(cols), 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(cols, 0), "name")), "id");
	CHECK_STR(json_string_value(json_object_get(json_array_get(cols, 0), "type")), "bigint");
	json_t *rows = json_object_get(t.doc, "rows");
	CHECK_INT(json_array_size(rows), 3);
	CHECK_INT(json_integer_value(json_array_get(json_array_get(rows, 2), 0)), 2);
	CHECK_STR(json_string_value(json_array_get(json_array_get(rows, 2), 1)), "item 2");
	CHECK(json_is_false(json_object_get(t.doc, "truncated")));

	CHECK_INT(send_req(&t, "POST", "/api/sql", "{\"sql\": \"select * from sales.orders\", \"limit\": 10}", NULL), 200);
	CHECK_INT(json_array_size(json_object_get(t.doc, "rows")), 10);
	CHECK_INT(json_integer_value(json_object_get(t.doc, "row_count")), 10);
	CHECK(json_is_true(json_object_get(t.doc, "truncated")));
	api_teardown(&t);
}

TEST(server_api_sql_refuses_writes_and_files_outside_the_warehouse)
{
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	const char *passwd = "select * from read_csv('/etc/passwd')";
	CHECK_INT(sql(&t, passwd), 400);
	CHECK_MSG(strstr(error_of(&t), "disabled by configuration") != NULL, "read_csv: %s", error_of(&t));
	/* The catalog database sits beside the warehouse, not in it. */
	char *catalog = pond_arena_sprintf(t.fx.a, "select * from read_text('%s')", t.fx.project->catalog_uri);
	CHECK_INT(sql(&t, catalog), 400);
	CHECK_MSG(strstr(error_of(&t), "disabled by configuration") != NULL, "read_text: %s", error_of(&t));
	char *escape = pond_arena_sprintf(t.fx.a, "select * from read_text('%s/../pond.yml')", t.fx.project->warehouse);
	CHECK_INT(sql(&t, escape), 400);
	/* Files inside the warehouse are readable. */
	char *inside = pond_arena_sprintf(t.fx.a, "select count(*) from read_parquet('%s/sales/orders/data/**/*.parquet')",
	                                  t.fx.project->warehouse);
	CHECK_INT(sql(&t, inside), 200);
	/* A symlink in the warehouse does not lead out of it, nor does the
	 * warehouse named through a link of its own. */
	char *link = pond_arena_sprintf(t.fx.a, "%s/link", t.fx.project->warehouse);
	CHECK(symlink("/etc", link) == 0);
	char *through = pond_arena_sprintf(t.fx.a, "select * from read_text('%s/hostname')", link);
	CHECK_INT(sql(&t, through), 400);
	CHECK_MSG(strstr(error_of(&t), "disabled by configuration") != NULL, "through a link: %s", error_of(&t));
	char *glob = pond_arena_sprintf(t.fx.a, "select * from read_text('%s/*/hostname')", t.fx.project->warehouse);
	CHECK_INT(sql(&t, glob), 400);
	CHECK_INT(sql(&t, inside), 200);
	CHECK_INT(sql(&t, "select count(*) from sales.orders"), 200);
	unlink(link);

	CHECK_INT(sql(&t, "copy (select 1) to '/tmp/pond-server-unit.csv'"), 400);
	CHECK(strstr(error_of(&t), "read-only") != NULL);
	CHECK_INT(sql(&t, "insert into sales.orders values (100, 'x')"), 400);
	CHECK(strstr(error_of(&t), "read-only") != NULL);
	CHECK_INT(sql(&t, "create table main.x as select 1"), 400);
	CHECK_INT(sql(&t, "attach '/tmp/pond-server-unit.db' as x"), 400);
	CHECK_INT(sql(&t, "set enable_external_access = true"), 400);
	CHECK_INT(sql(&t, "select 1; drop table sales.orders"), 400);
	CHECK(strstr(error_of(&t), "one statement") != NULL);
	CHECK_INT(sql(&t, "with x as (select 1) insert into sales.orders select 1, 'y'"), 400);
	CHECK_INT(sql(&t, "  "), 400);
	/* Nothing above changed the table. */
	CHECK_INT(sql(&t, "select count(*) from sales.orders"), 200);
	CHECK_INT(json_integer_value(json_array_get(json_array_get(json_object_get(t.doc, "rows"), 0), 0)), 25);
	api_teardown(&t);
}

typedef struct long_query {
	pond_server *srv;
	pond_http_response resp;
} long_query;

static void *run_long_query(void *arg)
{
	long_query *q = arg;
	static const char body[] = "{\"sql\": \"select sum(a.range * b.range) from range(100000) a, range(100000) b\"}";
	pond_http_request req = {.method = "POST", .target = "/api/sql", .body = body, .body_len = sizeof(body) - 1};
	pond_server_handle(q->srv, &req, &q->resp);
	return NULL;
}

TEST(server_api_sql_times_out_and_limits_queries_at_once)
{
	api t;
	pond_server_options o = POND_SERVER_OPTIONS_INIT;
	o.sql_timeout_ms = 3000;
	o.sql_max_concurrent = 1;
	CHECK(api_setup_with(&t, NULL, &o) == 0);
	long_query q = {t.srv, {0}};
	pthread_t th;
	CHECK(pthread_create(&th, NULL, run_long_query, &q) == 0);
	/* wait for the long query to hold the only slot (a state, not a delay;
	 * bounded for a loaded machine) */
	for (int i = 0; i < 12000 && atomic_load(&t.srv->sql_running) == 0; i++)
		usleep(10 * 1000);
	int busy = sql(&t, "select 1");
	pthread_join(th, NULL);
	int status = q.resp.status;
	char *body = q.resp.body ? pond_strdup(q.resp.body) : NULL;
	pond_http_response_dispose(&q.resp);
	CHECK_INT(busy, 503);
	CHECK_MSG(status == 504, "long query: %d %s", status, body ? body : "");
	pond_free(body);
	/* The slot is free again. */
	CHECK_INT(sql(&t, "select 1"), 200);
	api_teardown(&t);
}

/* The same long query, its client's socket one end of a socketpair. */
typedef struct dropped_query {
	pond_server *srv;
	int client_fd;
	pond_http_response resp;
} dropped_query;

static void *run_dropped_query(void *arg)
{
	dropped_query *q = arg;
	static const char body[] = "{\"sql\": \"select sum(a.range * b.range) from range(1000000) a, range(1000000) b\"}";
	pond_http_request req = {.method = "POST", .target = "/api/sql", .body = body, .body_len = sizeof(body) - 1,
	                         .client_fd = q->client_fd};
	pond_server_handle(q->srv, &req, &q->resp);
	return NULL;
}

/* The page's Cancel closes the request's connection: the query stops then,
 * not at the SQL timeout (a minute here: without the close noticed, the
 * query ends by the timeout with 504 and the test fails). */
TEST(server_api_sql_stops_when_the_client_closes_the_connection)
{
	api t;
	pond_server_options o = POND_SERVER_OPTIONS_INIT;
	o.sql_timeout_ms = 60000;
	o.sql_max_concurrent = 1;
	CHECK(api_setup_with(&t, NULL, &o) == 0);
	int fds[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
	dropped_query q = {t.srv, fds[0], {0}};
	pthread_t th;
	CHECK(pthread_create(&th, NULL, run_dropped_query, &q) == 0);
	/* A client still connected keeps its query running: the slot is
	 * still taken after several of the watchdog's looks at the socket
	 * (a pause to let it look, not a race: nothing else moves). */
	for (int i = 0; i < 12000 && atomic_load(&t.srv->sql_running) == 0; i++)
		usleep(10 * 1000);
	CHECK_INT(atomic_load(&t.srv->sql_running), 1);
	usleep(300 * 1000);
	int busy = sql(&t, "select 1");
	close(fds[1]);
	pthread_join(th, NULL);
	close(fds[0]);
	int status = q.resp.status;
	char *body = q.resp.body ? pond_strdup(q.resp.body) : NULL;
	pond_http_response_dispose(&q.resp);
	CHECK_INT(busy, 503);
	CHECK_MSG(status == 499 && body && strstr(body, "client closed the connection"), "dropped query: %d %s", status,
	          body ? body : "");
	pond_free(body);
	CHECK_INT(atomic_load(&t.srv->sql_running), 0);
	CHECK_INT(sql(&t, "select 1"), 200);
	api_teardown(&t);
}

TEST(server_api_sql_body_errors_are_400)
{
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	CHECK_INT(send_req(&t, "POST", "/api/sql", NULL, NULL), 400);
	CHECK(strstr(error_of(&t), "empty") != NULL);
	CHECK_INT(send_req(&t, "POST", "/api/sql", "{\"sql\": ", NULL), 400);
	CHECK(strstr(error_of(&t), "request body") != NULL);
	CHECK_INT(send_req(&t, "POST", "/api/sql", "[1]", NULL), 400);
	CHECK_INT(send_req(&t, "POST", "/api/sql", "{\"sql\": 1}", NULL), 400);
	CHECK_INT(send_req(&t, "POST", "/api/sql", "{\"sql\": \"select 1\", \"limit\": -1}", NULL), 400);
	CHECK_INT(send_req(&t, "POST", "/api/sql", "{\"sql\": \"select 1\", \"limit\": \"5\"}", NULL), 400);
	CHECK_INT(send_req(&t, "POST", "/api/sql", "{\"sql\": \"select 1\", \"sqll\": 1}", NULL), 400);
	CHECK(strstr(error_of(&t), "sqll") != NULL);
	CHECK_INT(send_req(&t, "POST", "/api/sql", "{\"sql\": \"select nonsense from\"}", NULL), 400);
	api_teardown(&t);
}

TEST(server_api_pipelines_and_queued_runs_without_scheduler)
{
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	CHECK_INT(send_req(&t, "GET", "/api/pipelines", NULL, NULL), 200);
	json_t *ps = json_object_get(t.doc, "pipelines");
	CHECK_INT(json_array_size(ps), 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(ps, 0), "name")), "hello");
	CHECK(json_is_null(json_object_get(json_array_get(ps, 0), "last_run")));
	CHECK_INT(send_req(&t, "GET", "/api/pipelines/nightly", NULL, NULL), 200);
	CHECK_STR(json_string_value(json_object_get(t.doc, "schedule")), "0 3 * * *");
	CHECK(json_is_integer(json_object_get(t.doc, "next_run_ms")));
	CHECK_INT(send_req(&t, "GET", "/api/pipelines/nope", NULL, NULL), 404);
	CHECK(strstr(error_of(&t), "nope") != NULL);

	/* Triggers: bodies are checked, then the run is queued (no scheduler). */
	CHECK_INT(send_req(&t, "POST", "/api/pipelines/nope/runs", NULL, NULL), 404);
	CHECK_INT(send_req(&t, "POST", "/api/pipelines/hello/runs", "{\"parameters\": [1]}", NULL), 400);
	CHECK_INT(send_req(&t, "POST", "/api/pipelines/hello/runs", "{\"parameters\": {\"n\": 1}}", NULL), 400);
	CHECK_INT(send_req(&t, "POST", "/api/pipelines/hello/runs", "{\"params\": {}}", NULL), 400);
	CHECK_INT(send_req(&t, "POST", "/api/pipelines/hello/runs", "{nope", NULL), 400);
	CHECK_INT(send_req(&t, "GET", "/api/pipelines/hello/runs", NULL, NULL), 405);
	CHECK_INT(send_req(&t, "POST", "/api/pipelines/hello/runs", "{\"parameters\": {\"day\": \"2024-01-31\"}}", NULL),
	          202);
	json_int_t id = json_integer_value(json_object_get(t.doc, "run_id"));
	CHECK(id > 0);
	CHECK_STR(json_string_value(json_object_get(t.doc, "status")), "queued");
	CHECK_INT(send_req(&t, "POST", "/api/pipelines/nightly/runs", "", NULL), 202);

	char path[64];
	snprintf(path, sizeof(path), "/api/runs/%lld", (long long)id);
	CHECK_INT(send_req(&t, "GET", path, NULL, NULL), 200);
	CHECK_STR(json_string_value(json_object_get(t.doc, "status")), "queued");
	CHECK_STR(json_string_value(json_object_get(t.doc, "trigger")), "api");
	CHECK_STR(json_string_value(json_object_get(json_object_get(t.doc, "parameters"), "day")), "2024-01-31");
	snprintf(path, sizeof(path), "/api/runs/%lld/steps", (long long)id);
	CHECK_INT(send_req(&t, "GET", path, NULL, NULL), 200);
	CHECK_INT(json_array_size(json_object_get(t.doc, "steps")), 0);
	snprintf(path, sizeof(path), "/api/runs/%lld/logs?step=hello", (long long)id);
	CHECK_INT(send_req(&t, "GET", path, NULL, NULL), 200);
	CHECK_STR(json_string_value(json_object_get(t.doc, "log")), "");

	CHECK_INT(send_req(&t, "GET", "/api/runs", NULL, NULL), 200);
	CHECK_INT(json_array_size(json_object_get(t.doc, "runs")), 2);
	CHECK_INT(send_req(&t, "GET", "/api/runs?pipeline=hello&status=queued", NULL, NULL), 200);
	CHECK_INT(json_array_size(json_object_get(t.doc, "runs")), 1);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(json_object_get(t.doc, "runs"), 0), "id")), id);
	CHECK_INT(send_req(&t, "GET", "/api/runs?status=success", NULL, NULL), 200);
	CHECK_INT(json_array_size(json_object_get(t.doc, "runs")), 0);
	CHECK_INT(send_req(&t, "GET", "/api/runs?limit=1", NULL, NULL), 200);
	CHECK_INT(json_array_size(json_object_get(t.doc, "runs")), 1);
	CHECK_INT(send_req(&t, "GET", "/api/runs?status=done", NULL, NULL), 400);
	CHECK_INT(send_req(&t, "GET", "/api/runs?limit=0", NULL, NULL), 400);
	CHECK_INT(send_req(&t, "GET", "/api/runs?limit=5x", NULL, NULL), 400);
	CHECK_INT(send_req(&t, "GET", "/api/runs/424242", NULL, NULL), 404);
	CHECK_INT(send_req(&t, "GET", "/api/runs/-3", NULL, NULL), 400);
	CHECK_INT(send_req(&t, "GET", "/api/runs/x/logs", NULL, NULL), 400);

	/* The list shows each pipeline's newest run. */
	CHECK_INT(send_req(&t, "GET", "/api/pipelines", NULL, NULL), 200);
	json_t *last = json_object_get(json_array_get(json_object_get(t.doc, "pipelines"), 0), "last_run");
	CHECK_INT(json_integer_value(json_object_get(last, "id")), id);
	api_teardown(&t);
}

TEST(server_refuses_a_bad_pipeline_config)
{
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	const char *dir = pond_arena_sprintf(a, "%s/badpipe", pond_test_tmpdir());
	CHECK_OK(pond_project_init(dir, "badpipe", &err), &err);
	const char *yml = pond_arena_sprintf(a, "%s/pond.yml", dir);
	const char *text = "name: badpipe\npipelines:\n  x:\n    schedule: \"0 25 * * *\"\n    steps:\n      - shell: true\n";
	CHECK_OK(pond_file_write_atomic(yml, text, strlen(text), &err), &err);
	pond_project *p;
	CHECK_OK(pond_project_load(&p, dir, &err), &err);
	pond_server *srv = NULL;
	CHECK(pond_server_new(&srv, p, NULL, &err) != 0);
	CHECK(srv == NULL);
	CHECK_MSG(strstr(err.msg, "pond.yml:4") != NULL, "%s", err.msg);
	pond_project_free(&p);
	pond_arena_free(&a);
}

TEST(server_options_read_pond_yml_server_section)
{
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	const char *dir = pond_arena_sprintf(a, "%s/cfg", pond_test_tmpdir());
	CHECK_OK(pond_project_init(dir, "cfg", &err), &err);
	const char *yml = pond_arena_sprintf(a, "%s/pond.yml", dir);
	const char *text = "name: cfg\nserver:\n  listen: 127.0.0.1:9911\n  token_env: POND_UNIT_SERVER_TOKEN\n";
	CHECK_OK(pond_file_write_atomic(yml, text, strlen(text), &err), &err);
	pond_project *p;
	CHECK_OK(pond_project_load(&p, dir, &err), &err);
	pond_server_options o = POND_SERVER_OPTIONS_INIT;
	unsetenv("POND_UNIT_SERVER_TOKEN");
	CHECK_INT(pond_server_options_from_project(&o, p, &err), POND_EUSAGE);
	CHECK(strstr(err.msg, "POND_UNIT_SERVER_TOKEN") != NULL);
	setenv("POND_UNIT_SERVER_TOKEN", "from-the-environment-123", 1);
	CHECK_OK(pond_server_options_from_project(&o, p, &err), &err);
	CHECK_STR(o.listen, "127.0.0.1:9911");
	CHECK_STR(o.token, "from-the-environment-123");
	/* What the command line set wins. */
	pond_server_options o2 = POND_SERVER_OPTIONS_INIT;
	o2.listen = "127.0.0.1:1";
	CHECK_OK(pond_server_options_from_project(&o2, p, &err), &err);
	CHECK_STR(o2.listen, "127.0.0.1:1");
	unsetenv("POND_UNIT_SERVER_TOKEN");
	pond_project_free(&p);

	text = "name: cfg\nserver:\n  listn: 127.0.0.1:9911\n";
	CHECK_OK(pond_file_write_atomic(yml, text, strlen(text), &err), &err);
	CHECK_OK(pond_project_load(&p, dir, &err), &err);
	CHECK(pond_server_options_from_project(&o, p, &err) != 0);
	CHECK(strstr(err.msg, "listn") != NULL);
	pond_project_free(&p);
	pond_arena_free(&a);
}
