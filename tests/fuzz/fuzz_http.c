/*
 * libFuzzer target for what the server reads from the network before any
 * handler runs: the request target (percent-decoding, path segments,
 * query pairs, limits), route matching, the Authorization header check,
 * listen addresses and JSON bodies. Input: "METHOD TARGET\nREST", REST
 * being the header value and the body. The Makefile links request.c and
 * route.c into this target; the handlers route.c names are stubs here.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_internal.h"

#define STUB(name) \
	int name(srv_ctx *ctx, srv_reply *reply) { (void)ctx; (void)reply; return 0; }
STUB(pond__server_health)
STUB(pond__server_tables_list)
STUB(pond__server_table_get)
STUB(pond__server_table_snapshots)
STUB(pond__server_sql)
STUB(pond__server_pipelines_list)
STUB(pond__server_pipeline_get)
STUB(pond__server_pipeline_trigger)
STUB(pond__server_runs_list)
STUB(pond__server_run_get)
STUB(pond__server_run_steps)
STUB(pond__server_run_logs)
STUB(pond__server_run_events)
STUB(pond__server_web_index)
STUB(pond__server_web_asset)
STUB(pond__server_session_get)
STUB(pond__server_login)
STUB(pond__server_logout)
STUB(pond__server_lineage)
STUB(pond__server_queries_list)
STUB(pond__server_query_save)
STUB(pond__server_query_delete)
STUB(pond__rest_config)
STUB(pond__rest_namespace_create)
STUB(pond__rest_namespace_drop)
STUB(pond__rest_namespace_load)
STUB(pond__rest_namespace_properties)
STUB(pond__rest_namespaces_list)
STUB(pond__rest_oauth_tokens)
STUB(pond__rest_table_commit)
STUB(pond__rest_table_create)
STUB(pond__rest_table_drop)
STUB(pond__rest_table_load)
STUB(pond__rest_table_metrics)
STUB(pond__rest_table_register)
STUB(pond__rest_table_rename)
STUB(pond__rest_tables_list)
STUB(pond__rest_transaction_commit)
STUB(pond__rest_view_create)
STUB(pond__rest_view_drop)
STUB(pond__rest_view_load)
STUB(pond__rest_view_rename)
STUB(pond__rest_view_replace)
STUB(pond__rest_views_list)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *rest = strchr(text, '\n');
	if (rest)
		*rest++ = '\0';
	else
		rest = text + strlen(text);
	char *target = strchr(text, ' ');
	const char *method = "GET";
	if (target) {
		*target++ = '\0';
		method = text;
	} else {
		target = text;
	}

	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_url url;
	if (pond_url_parse(&url, target, a, &err) == 0) {
		if (url.nsegments > POND_URL_MAX_SEGMENTS || url.nparams > POND_URL_MAX_PARAMS)
			abort();
		for (size_t i = 0; i < url.nsegments; i++)
			if (!url.segments[i][0])
				abort(); /* empty segments are dropped */
		for (size_t i = 0; i < url.nparams; i++)
			if (!url.keys[i] || !url.values[i] || pond_url_param(&url, url.keys[i]) == NULL)
				abort();
		const char *allow;
		const srv_route *r = pond__server_route_find(method, url.segments, url.nsegments, &allow);
		if (r && allow)
			abort();
	} else if (!err.msg[0]) {
		abort(); /* a refusal always says why */
	}

	static const char token[] = "fuzz-token-0123456789";
	bool ok = pond_server_token_ok(token, rest);
	if (ok && !strstr(rest, token))
		abort();

	pond_listen_addr addr;
	pond_listen_addr_parse(&addr, target, &err);

	json_t *doc;
	if (pond_json_parse(&doc, rest, strlen(rest), "request body", &err) == 0)
		json_decref(doc);
	pond_arena_free(&a);
	free(text);
	return 0;
}
