/*
 * libFuzzer target: the web-page source's readers of outside input. The
 * input up to the first newline is a CSS selector, then a date format up
 * to the second; the rest is a page. The page is decoded (charset from
 * its <meta>, iconv), parsed, every table laid out as a grid with its
 * column names, the selector run over it, and each cell read as a number
 * and as a date. Never a crash, a leak or a loop.
 */
#include <stdint.h>
#include <string.h>

#include "ingest/html.h"

static void cells(const html_grid *g, const char *format, pond_arena *a)
{
	html_number_format f = {'.', ','};
	size_t n = g->nrows * g->ncols;
	for (size_t i = 0; i < n; i++) {
		const char *cell = g->cells[i];
		char out[64];
		bool pct;
		int64_t days, us;
		if (!cell)
			continue;
		(void)pond__html_parse_number(cell, &f, out, sizeof(out), &pct);
		(void)pond__html_parse_datetime(cell, format, &days, &us);
		(void)pond__html_is_null(cell, NULL);
	}
	(void)pond__html_column_names(g->cells, g->ncols, a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pond_arena *a = pond_arena_new();
	char *text = pond_malloc(size + 1);
	if (!a || !text) {
		pond_free(text);
		pond_arena_free(&a);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	char *nl1 = memchr(text, '\n', size);
	char *nl2 = nl1 ? memchr(nl1 + 1, '\n', size - (size_t)(nl1 + 1 - text)) : NULL;
	if (nl1 && nl2) {
		*nl1 = *nl2 = '\0';
		const char *page = nl2 + 1;
		size_t len = size - (size_t)(page - text);
		pond_error err = POND_ERROR_INIT;
		pond_css *sel = NULL, *tables = NULL;
		htmlDocPtr doc = NULL;
		(void)pond__css_parse(&sel, text, a, &err);
		if (pond__css_parse(&tables, "table", a, &err) == 0 && pond__html_parse(&doc, page, len, NULL, "f", &err) == 0) {
			xmlNode **found;
			size_t n = pond__css_select(&found, tables, (xmlNode *)doc, a);
			for (size_t i = 0; n != (size_t)-1 && i < n; i++) {
				html_grid g;
				if (pond__html_table_grid(&g, found[i], a, &err) == 0)
					cells(&g, nl1 + 1, a);
			}
			if (sel && pond__css_select(&found, sel, (xmlNode *)doc, a) != (size_t)-1)
				(void)pond__html_text((xmlNode *)doc, false, a);
			xmlFreeDoc(doc);
		}
	}
	pond_free(text);
	pond_arena_free(&a);
	return 0;
}
