/*
 * A small SQL lexer: enough of DuckDB's lexical rules (strings, quoted
 * identifiers, dollar quoting, comments) to split scripts, to tell when the
 * shell has a whole statement, and to find the table names a statement
 * uses, without a full parser.
 */
#include "engine_internal.h"

#include <ctype.h>
#include <string.h>

static const char *skip_space_and_comments(const char *p, bool *open_comment)
{
	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");
			if (!end) {
				*open_comment = true;
				return p + strlen(p);
			}
			p = end + 2;
		} else {
			return p;
		}
	}
}

/* Scans a quoted run starting at p (at the opening quote q), where a
 * doubled quote escapes it. Returns the end, or NULL when unterminated. */
static const char *scan_quoted(const char *p, char q)
{
	for (p++; *p; p++) {
		if (*p == q) {
			if (p[1] == q) {
				p++;
				continue;
			}
			return p + 1;
		}
	}
	return NULL;
}

bool pond_sql_next_token(const char **cursor, pond_sql_token *tok)
{
	bool open_comment = false;
	const char *p = skip_space_and_comments(*cursor, &open_comment);
	tok->start = p;
	tok->len = 0;
	if (open_comment) {
		tok->kind = POND_TOK_UNTERMINATED;
		*cursor = p;
		return true;
	}
	if (!*p) {
		tok->kind = POND_TOK_END;
		*cursor = p;
		return false;
	}
	const char *end;
	if (*p == '\'' || ((*p == 'E' || *p == 'e') && p[1] == '\'')) {
		const char *q = *p == '\'' ? p : p + 1;
		end = scan_quoted(q, '\'');
		tok->kind = end ? POND_TOK_STRING : POND_TOK_UNTERMINATED;
	} else if (*p == '"') {
		end = scan_quoted(p, '"');
		tok->kind = end ? POND_TOK_QUOTED : POND_TOK_UNTERMINATED;
	} else if (*p == '$' && (p[1] == '$' || isalpha((unsigned char)p[1]) || p[1] == '_')) {
		/* $tag$ ... $tag$ dollar quoting; a lone $1 is a parameter. */
		const char *tag_end = p + 1;
		while (isalnum((unsigned char)*tag_end) || *tag_end == '_')
			tag_end++;
		if (*tag_end == '$') {
			size_t tag_len = (size_t)(tag_end - p + 1);
			const char *close = p + tag_len;
			while ((close = strchr(close, '$')) && strncmp(close, p, tag_len) != 0)
				close++;
			end = close ? close + tag_len : NULL;
			tok->kind = end ? POND_TOK_STRING : POND_TOK_UNTERMINATED;
		} else {
			end = tag_end;
			tok->kind = POND_TOK_WORD;
		}
	} else if (isalpha((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80) {
		end = p + 1;
		while (isalnum((unsigned char)*end) || *end == '_' || *end == '$' || (unsigned char)*end >= 0x80)
			end++;
		tok->kind = POND_TOK_WORD;
	} else if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
		end = p + 1;
		while (isalnum((unsigned char)*end) || *end == '.' || *end == '_' ||
		       ((*end == '+' || *end == '-') && (end[-1] == 'e' || end[-1] == 'E')))
			end++;
		tok->kind = POND_TOK_NUMBER;
	} else if (*p == ';') {
		end = p + 1;
		tok->kind = POND_TOK_SEMICOLON;
	} else {
		static const char *const pairs[] = {"=>", "::", "<=", ">=", "<>", "!=", "||", "->"};
		end = p + 1;
		for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
			if (p[0] == pairs[i][0] && p[1] == pairs[i][1])
				end = p + 2;
		tok->kind = POND_TOK_SYMBOL;
	}
	if (!end)
		end = p + strlen(p);
	tok->len = (size_t)(end - p);
	*cursor = end;
	return true;
}

bool pond_sql_token_is(const pond_sql_token *tok, const char *kw)
{
	return tok->kind == POND_TOK_WORD && strlen(kw) == tok->len && strncasecmp(tok->start, kw, tok->len) == 0;
}

char *pond_sql_token_ident(const pond_sql_token *tok, pond_arena *arena)
{
	if (tok->kind != POND_TOK_QUOTED)
		return pond_arena_strndup(arena, tok->start, tok->len);
	char *out = pond_arena_alloc(arena, tok->len + 1);
	if (!out)
		return NULL;
	size_t n = 0;
	for (size_t i = 1; i + 1 < tok->len; i++) {
		out[n++] = tok->start[i];
		if (tok->start[i] == '"' && tok->start[i + 1] == '"')
			i++;
	}
	out[n] = '\0';
	return out;
}

bool pond_sql_is_complete(const char *text)
{
	const char *p = text;
	pond_sql_token tok;
	bool last_semicolon = false;
	while (pond_sql_next_token(&p, &tok)) {
		if (tok.kind == POND_TOK_UNTERMINATED)
			return false;
		last_semicolon = tok.kind == POND_TOK_SEMICOLON;
	}
	return last_semicolon;
}

int pond_sql_split(const char *script, pond_arena *arena, char ***out, size_t *count, pond_error *err)
{
	size_t cap = 0, n = 0;
	char **stmts = NULL;
	const char *p = script, *start = NULL, *last_end = NULL;
	pond_sql_token tok;
	for (;;) {
		bool more = pond_sql_next_token(&p, &tok);
		if (more && tok.kind != POND_TOK_SEMICOLON) {
			if (!start)
				start = tok.start;
			last_end = tok.start + tok.len;
			continue;
		}
		if (start) {
			if (!pond_arena_grow(arena, (void **)&stmts, n, &cap, sizeof(char *)) ||
			    !(stmts[n++] = pond_arena_strndup(arena, start, (size_t)(last_end - start))))
				return pond_error_set(err, POND_ENOMEM, "out of memory");
			start = NULL;
		}
		if (!more)
			break;
	}
	*out = stmts;
	*count = n;
	return 0;
}
