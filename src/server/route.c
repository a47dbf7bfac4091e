/*
 * The route table: every endpoint of the JSON API, matched on decoded
 * path segments. A path that matches with another method is a 405 (with
 * Allow), one that matches nothing a 404. HEAD is answered as GET.
 */
#include "server_internal.h"

#include <string.h>

static const srv_route routes[] = {
	{"GET", "/api/health", pond__server_health},
	{"GET", "/api/pipelines", pond__server_pipelines_list},
	{"GET", "/api/pipelines/*", pond__server_pipeline_get},
	{"POST", "/api/pipelines/*/runs", pond__server_pipeline_trigger},
	{"GET", "/api/runs", pond__server_runs_list},
	{"GET", "/api/runs/*", pond__server_run_get},
	{"GET", "/api/runs/*/steps", pond__server_run_steps},
	{"GET", "/api/runs/*/logs", pond__server_run_logs},
	{"GET", "/api/tables", pond__server_tables_list},
	{"GET", "/api/tables/*", pond__server_table_get},
	{"GET", "/api/tables/*/snapshots", pond__server_table_snapshots},
	{"POST", "/api/sql", pond__server_sql},
};

static bool path_matches(const char *pattern, char *const *segments, size_t nsegments)
{
	size_t i = 0;
	const char *p = pattern;
	while (*p == '/') {
		const char *seg = p + 1, *end = strchr(seg, '/');
		size_t len = end ? (size_t)(end - seg) : strlen(seg);
		if (i == nsegments)
			return false;
		if (!(len == 1 && seg[0] == '*') && (strlen(segments[i]) != len || memcmp(segments[i], seg, len) != 0))
			return false;
		i++;
		p = seg + len;
	}
	return i == nsegments;
}

const srv_route *pond__server_route_find(const char *method, char *const *segments, size_t nsegments,
                                         const char **allow)
{
	*allow = NULL;
	bool head = strcmp(method, "HEAD") == 0;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!path_matches(routes[i].pattern, segments, nsegments))
			continue;
		if (strcmp(routes[i].method, method) == 0 || (head && strcmp(routes[i].method, "GET") == 0))
			return &routes[i];
		if (!*allow)
			*allow = strcmp(routes[i].method, "GET") == 0 ? "GET, HEAD" : routes[i].method;
	}
	return NULL;
}
