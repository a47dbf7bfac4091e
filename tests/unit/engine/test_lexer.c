/*
 * Unit tests for the SQL lexer: tokens, statement completeness, splitting.
 */
#include "../test.h"

#include "pond/engine.h"

TEST(lexer_tokens_strings_quoted_identifiers_and_comments)
{
	const char *p = "SELECT \"a\"\"b\", 'it''s', $x$ a;b $x$, 1.5e+3 -- c;\n/* d; */ from ns.t at (version => 3);";
	pond_sql_token t;
	pond_arena *a = pond_arena_new();
	const char *want[] = {"SELECT", "\"a\"\"b\"", ",", "'it''s'", ",", "$x$ a;b $x$", ",", "1.5e+3", "from", "ns",
	                      ".", "t", "at", "(", "version", "=>", "3", ")", ";"};
	size_t n = 0;
	while (pond_sql_next_token(&p, &t)) {
		CHECK(n < sizeof(want) / sizeof(want[0]));
		CHECK_MSG(t.len == strlen(want[n]) && strncmp(t.start, want[n], t.len) == 0, "token %zu: %.*s", n,
		          (int)t.len, t.start);
		if (n == 1) {
			CHECK_INT(t.kind, POND_TOK_QUOTED);
			CHECK_STR(pond_sql_token_ident(&t, a), "a\"b");
		}
		if (n == 3 || n == 5)
			CHECK_INT(t.kind, POND_TOK_STRING);
		n++;
	}
	CHECK_INT(n, sizeof(want) / sizeof(want[0]));
	p = "x";
	CHECK(pond_sql_next_token(&p, &t));
	CHECK(pond_sql_token_is(&t, "X"));
	pond_arena_free(&a);
}

TEST(lexer_knows_complete_statements)
{
	CHECK(pond_sql_is_complete("select 1;"));
	CHECK(pond_sql_is_complete("select 1;  -- trailing comment"));
	CHECK(!pond_sql_is_complete("select 1"));
	CHECK(!pond_sql_is_complete("select ';"));
	CHECK(!pond_sql_is_complete("select 1 /* ; "));
	CHECK(!pond_sql_is_complete("select \"a;"));
	CHECK(pond_sql_is_complete("select 'a;b';"));
}

TEST(lexer_splits_scripts)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	char **s;
	size_t n;
	CHECK_OK(pond_sql_split(" select 1 ; ;select ';' as x -- c\n; \n insert into t values (1)", a, &s, &n, &err), &err);
	CHECK_INT(n, 3);
	CHECK_STR(s[0], "select 1");
	CHECK_STR(s[1], "select ';' as x");
	CHECK_STR(s[2], "insert into t values (1)");
	CHECK_OK(pond_sql_split("  -- only a comment\n", a, &s, &n, &err), &err);
	CHECK_INT(n, 0);
	pond_arena_free(&a);
}
