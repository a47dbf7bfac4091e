/*
 * A server on a fresh project for the server's tests (test_server_api.c,
 * test_server_rest.c), driven through pond_server_handle without a
 * socket: the project holds sales.orders with 25 rows and two pipelines.
 */
#ifndef POND_TEST_API_FIXTURE_H
#define POND_TEST_API_FIXTURE_H

#include <jansson.h>

#include "../table/fixture.h"
#include "pond/server.h"

typedef struct api {
	table_fixture fx;
	pond_project *project;  /* reloaded after pipelines were added */
	pond_server *srv;
	pond_http_response resp;
	json_t *doc;
} api;

/* The project (its catalog in the PostgreSQL database catalog_url, or
 * SQLite when NULL) and a server with token (NULL: none) and opts (NULL:
 * defaults; the scheduler is always off). -1 on failure, said on stderr. */
int api_setup_on(api *t, const char *catalog_url, const char *token, const pond_server_options *opts);
int api_setup_with(api *t, const char *token, const pond_server_options *opts);
int api_setup(api *t, const char *token);
void api_teardown(api *t);

/* Sends one request; returns the status and leaves the parsed body in t->doc
 * (NULL when it is not JSON). */
int send_req(api *t, const char *method, const char *target, const char *body, const char *auth);
/* The JSON API's {"error": "..."} message of the last response. */
const char *error_of(api *t);

#endif
