/*
 * The server's request parsing without a socket: targets (segments,
 * query pairs, escapes, limits), bearer tokens, listen addresses and the
 * safe-by-default rule of pond_server_new.
 */
#include "../test.h"

#include "pond/server.h"

TEST(server_url_splits_segments_and_decodes_query)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_url u;
	CHECK_OK(pond_url_parse(&u, "/api/runs//12/?pipeline=daily%20prices&status=ok+now&flag&limit=5&limit=7", a, &err),
	         &err);
	CHECK_INT(u.nsegments, 3);
	CHECK_STR(u.segments[0], "api");
	CHECK_STR(u.segments[1], "runs");
	CHECK_STR(u.segments[2], "12");
	CHECK_INT(u.nparams, 5);
	CHECK_STR(pond_url_param(&u, "pipeline"), "daily prices");
	CHECK_STR(pond_url_param(&u, "status"), "ok now");
	CHECK_STR(pond_url_param(&u, "flag"), "");
	CHECK_STR(pond_url_param(&u, "limit"), "7");  /* the last one wins */
	CHECK(pond_url_param(&u, "missing") == NULL);
	pond_arena_free(&a);
}

TEST(server_url_keeps_encoded_slash_inside_a_segment)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_url u;
	/* '+' is a space only in the query; in a path it is itself. */
	CHECK_OK(pond_url_parse(&u, "/api/tables/sales.a%2Fb+c", a, &err), &err);
	CHECK_INT(u.nsegments, 3);
	CHECK_STR(u.segments[2], "sales.a/b+c");
	CHECK_STR(u.raw_segments[2], "sales.a%2Fb+c");
	/* The unit separator is how the REST catalog writes a.b in a path. */
	CHECK_OK(pond_url_parse(&u, "/iceberg/v1/namespaces/a%1Fb?parent=x%1fy", a, &err), &err);
	CHECK_STR(u.segments[3], "a\x1f" "b");
	CHECK_STR(pond_url_param(&u, "parent"), "x\x1f" "y");
	CHECK_OK(pond_url_parse(&u, "/", a, &err), &err);
	CHECK_INT(u.nsegments, 0);
	CHECK_INT(u.nparams, 0);
	pond_arena_free(&a);
}

TEST(server_url_refuses_bad_escapes_controls_and_relative_targets)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_url u;
	CHECK_INT(pond_url_parse(&u, "/api/%zz", a, &err), POND_EINVAL);
	CHECK_INT(pond_url_parse(&u, "/api/%4", a, &err), POND_EINVAL);
	CHECK_INT(pond_url_parse(&u, "/api?x=%", a, &err), POND_EINVAL);
	CHECK_INT(pond_url_parse(&u, "/api/a%00b", a, &err), POND_EINVAL);
	CHECK_INT(pond_url_parse(&u, "/api?x=a%0Ab", a, &err), POND_EINVAL);
	CHECK_INT(pond_url_parse(&u, "/api/a%1Eb", a, &err), POND_EINVAL);
	CHECK_INT(pond_url_parse(&u, "api/health", a, &err), POND_EINVAL);
	CHECK_INT(pond_url_parse(&u, "", a, &err), POND_EINVAL);
	CHECK_INT(pond_url_parse(&u, "http://x/api", a, &err), POND_EINVAL);
	pond_arena_free(&a);
}

TEST(server_url_limits_segments_params_and_length)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_url u;
	pond_buf b = POND_BUF_INIT;
	for (int i = 0; i < POND_URL_MAX_SEGMENTS; i++)
		pond_buf_puts(&b, "/s");
	CHECK_OK(pond_url_parse(&u, pond_buf_cstr(&b), a, &err), &err);
	pond_buf_puts(&b, "/one-more");
	CHECK_INT(pond_url_parse(&u, pond_buf_cstr(&b), a, &err), POND_ELIMIT);
	pond_buf_clear(&b);
	pond_buf_putc(&b, '/');
	for (int i = 0; i <= POND_URL_MAX_PARAMS; i++)
		pond_buf_printf(&b, "%cp%d=1", i ? '&' : '?', i);
	CHECK_INT(pond_url_parse(&u, pond_buf_cstr(&b), a, &err), POND_ELIMIT);
	pond_buf_clear(&b);
	pond_buf_putc(&b, '/');
	for (int i = 0; i < POND_URL_MAX_LEN; i++)
		pond_buf_putc(&b, 'x');
	CHECK_INT(pond_url_parse(&u, pond_buf_cstr(&b), a, &err), POND_ELIMIT);
	pond_buf_dispose(&b);
	pond_arena_free(&a);
}

TEST(server_token_needs_exact_bearer_match)
{
	const char *tok = "s3cret-token-0123456789";
	CHECK(pond_server_token_ok(tok, "Bearer s3cret-token-0123456789"));
	CHECK(pond_server_token_ok(tok, "bearer s3cret-token-0123456789"));
	CHECK(!pond_server_token_ok(tok, NULL));
	CHECK(!pond_server_token_ok(tok, ""));
	CHECK(!pond_server_token_ok(tok, "Bearer "));
	CHECK(!pond_server_token_ok(tok, "Bearer s3cret-token-012345678"));    /* a prefix */
	CHECK(!pond_server_token_ok(tok, "Bearer s3cret-token-01234567890"));  /* longer */
	CHECK(!pond_server_token_ok(tok, "Bearer S3cret-token-0123456789"));   /* case matters */
	CHECK(!pond_server_token_ok(tok, "Basic s3cret-token-0123456789"));
	CHECK(!pond_server_token_ok(tok, "s3cret-token-0123456789"));
	/* No token: everything passes (loopback without --token). */
	CHECK(pond_server_token_ok(NULL, NULL));
	CHECK(pond_server_token_ok("", "Bearer whatever"));
}

TEST(server_listen_addresses_parse_and_know_loopback)
{
	pond_error err = POND_ERROR_INIT;
	pond_listen_addr addr;
	CHECK_OK(pond_listen_addr_parse(&addr, "127.0.0.1:8765", &err), &err);
	CHECK_STR(addr.host, "127.0.0.1");
	CHECK_INT(addr.port, 8765);
	CHECK(addr.loopback && !addr.ipv6);
	CHECK_OK(pond_listen_addr_parse(&addr, ":9000", &err), &err);
	CHECK_STR(addr.host, "127.0.0.1");
	CHECK(addr.loopback);
	CHECK_OK(pond_listen_addr_parse(&addr, "localhost:0", &err), &err);
	CHECK(addr.loopback);
	CHECK_INT(addr.port, 0);
	CHECK_OK(pond_listen_addr_parse(&addr, "127.1.2.3:80", &err), &err);
	CHECK(addr.loopback);
	CHECK_OK(pond_listen_addr_parse(&addr, "[::1]:8765", &err), &err);
	CHECK(addr.loopback && addr.ipv6);
	CHECK_STR(addr.host, "::1");
	CHECK_OK(pond_listen_addr_parse(&addr, "0.0.0.0:8765", &err), &err);
	CHECK(!addr.loopback);
	CHECK_OK(pond_listen_addr_parse(&addr, "[::]:8765", &err), &err);
	CHECK(!addr.loopback);
	CHECK_OK(pond_listen_addr_parse(&addr, "192.168.1.10:8765", &err), &err);
	CHECK(!addr.loopback);
	CHECK_INT(pond_listen_addr_parse(&addr, "example.com:80", &err), POND_EUSAGE);
	CHECK_INT(pond_listen_addr_parse(&addr, "127.0.0.1", &err), POND_EUSAGE);
	CHECK_INT(pond_listen_addr_parse(&addr, "127.0.0.1:65536", &err), POND_EUSAGE);
	CHECK_INT(pond_listen_addr_parse(&addr, "127.0.0.1:-1", &err), POND_EUSAGE);
	CHECK_INT(pond_listen_addr_parse(&addr, "127.0.0.1:", &err), POND_EUSAGE);
	CHECK_INT(pond_listen_addr_parse(&addr, "::1:80", &err), POND_EUSAGE);
	CHECK_INT(pond_listen_addr_parse(&addr, "[::1]80", &err), POND_EUSAGE);
}

TEST(server_refuses_public_address_without_token)
{
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	const char *dir = pond_arena_sprintf(a, "%s/bind", pond_test_tmpdir());
	pond_project *project;
	CHECK_OK(pond_project_init(dir, "bind", &err), &err);
	CHECK_OK(pond_project_load(&project, dir, &err), &err);
	pond_server *srv = NULL;
	pond_server_options o = POND_SERVER_OPTIONS_INIT;
	o.listen = "0.0.0.0:8765";
	CHECK_INT(pond_server_new(&srv, project, &o, &err), POND_EUSAGE);
	CHECK(strstr(err.msg, "without a token") != NULL);
	CHECK(srv == NULL);
	o.token = "short";
	CHECK_INT(pond_server_new(&srv, project, &o, &err), POND_EUSAGE);
	CHECK(strstr(err.msg, "too short") != NULL);
	o.token = "a-long-enough-token-1234";
	CHECK_OK(pond_server_new(&srv, project, &o, &err), &err);
	pond_server_free(&srv);
	CHECK(srv == NULL);
	/* Loopback needs none. */
	o.listen = NULL;
	o.token = NULL;
	CHECK_OK(pond_server_new(&srv, project, &o, &err), &err);
	pond_server_free(&srv);
	pond_project_free(&project);
	pond_arena_free(&a);
}
