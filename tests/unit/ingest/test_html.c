/*
 * Unit tests for the web-page source: the CSS selector engine over
 * libxml2's tree, the parsers of typed cell text (numbers as pages write
 * them, dates with a format, null strings), charsets, tables as grids
 * (colspan, rowspan, nested tables, missing cells), column names, the
 * politeness delay with an injected clock, and the source's YAML.
 */
#include "../test.h"

#include <stdlib.h>

#include "ingest/html.h"

static const char page[] =
	"<html><body>"
	"<div id='main' class='box wide'>"
	"  <ul class='items'>"
	"    <li class='item' data-id='1'><a href='/a?x=1'>One</a> <span class='price'>1</span></li>"
	"    <li class='item sale' data-id='2'><a href='b.html'>Two</a><span class='price'>2</span></li>"
	"    <li class='item' data-id='3'><b><a href='#c'>Three</a></b></li>"
	"  </ul>"
	"  <p lang='en-GB'>para</p>"
	"</div>"
	"<div class='box'><span class='price'>9</span></div>"
	"</body></html>";

static htmlDocPtr doc_of(const char *html)
{
	htmlDocPtr doc = NULL;
	pond_error err = POND_ERROR_INIT;
	if (pond__html_parse(&doc, html, strlen(html), "text/html; charset=utf-8", "test", &err) != 0)
		return NULL;
	return doc;
}

/* The texts of what sel selects under scope, joined by "|". */
static const char *select_texts(const char *sel, xmlNode *scope, pond_arena *a)
{
	pond_css *css;
	pond_error err = POND_ERROR_INIT;
	if (pond__css_parse(&css, sel, a, &err) != 0)
		return pond_arena_sprintf(a, "error: %s", err.msg);
	xmlNode **found;
	size_t n = pond__css_select(&found, css, scope, a);
	pond_buf b = POND_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		pond_buf_puts(&b, i ? "|" : "");
		pond_buf_puts(&b, pond__html_text(found[i], false, a));
	}
	const char *out = pond_arena_strdup(a, b.ptr ? b.ptr : "");
	pond_buf_dispose(&b);
	return out;
}

TEST(html_css_selects_by_tag_id_class_and_attribute)
{
	pond_arena *a = pond_arena_new();
	htmlDocPtr doc = doc_of(page);
	CHECK(doc != NULL);
	xmlNode *root = (xmlNode *)doc;
	CHECK_STR(select_texts("a", root, a), "One|Two|Three");
	CHECK_STR(select_texts("li.item.sale a", root, a), "Two");
	CHECK_STR(select_texts("#main .price", root, a), "1|2");
	CHECK_STR(select_texts(".price", root, a), "1|2|9");
	CHECK_STR(select_texts("li[data-id=3]", root, a), "Three");
	CHECK_STR(select_texts("li[data-id='2'] span", root, a), "2");
	CHECK_STR(select_texts("[lang]", root, a), "para");
	CHECK_STR(select_texts("p[lang^=en]", root, a), "para");
	CHECK_STR(select_texts("p[lang$=GB]", root, a), "para");
	CHECK_STR(select_texts("a[href*='html']", root, a), "Two");
	CHECK_STR(select_texts("div[class~=wide] > p", root, a), "para");
	CHECK_STR(select_texts("DIV.box > SPAN", root, a), "9");
	CHECK_STR(select_texts("*#main > ul > li > a", root, a), "One|Two");
	CHECK_STR(select_texts("li > a, p", root, a), "One|Two|para");
	CHECK_STR(select_texts("li:nth-child(2) a", root, a), "Two");
	CHECK_STR(select_texts("li:nth-child(odd) a", root, a), "One|Three");
	CHECK_STR(select_texts("li:nth-child(2n) a", root, a), "Two");
	CHECK_STR(select_texts("li:nth-child(-n+2) a", root, a), "One|Two");
	CHECK_STR(select_texts("li:first-child a, li:last-child a", root, a), "One|Three");
	CHECK_STR(select_texts("li span:nth-of-type(1)", root, a), "1|2");
	CHECK_STR(select_texts("table", root, a), "");
	xmlDocPtr d = doc;
	xmlFreeDoc(d);
	pond_arena_free(&a);
}

/* Relative to a row, combinators stop at the row, and ">" starts at it. */
TEST(html_css_relative_to_an_element)
{
	pond_arena *a = pond_arena_new();
	htmlDocPtr doc = doc_of(page);
	CHECK(doc != NULL);
	pond_css *css;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond__css_parse(&css, "li.item", a, &err), &err);
	xmlNode **items;
	CHECK_INT(pond__css_select(&items, css, (xmlNode *)doc, a), 3);
	CHECK_STR(select_texts("a", items[2], a), "Three");
	CHECK_STR(select_texts("> a", items[2], a), "");
	CHECK_STR(select_texts("> b > a", items[2], a), "Three");
	/* The row's ancestors are outside: "ul a" does not match inside a row. */
	CHECK_STR(select_texts("ul a", items[0], a), "");
	CHECK_STR(select_texts("span", items[0], a), "1");
	xmlFreeDoc(doc);
	pond_arena_free(&a);
}

TEST(html_css_errors_name_the_position)
{
	static const struct {
		const char *sel, *want;
	} cases[] = {
		{"", "expected a selector"},          {"a >", "expected a selector"},
		{"a[", "attribute name"},             {"a[x=", "expected a value"},
		{"a[x='1'", "expected \"]\""},        {"li:hover", "unsupported pseudo-class \":hover\""},
		{"li:nth-child(x)", "an+b"},          {"a, ", "expected a selector"},
		{"a + b", "unexpected character"},   {"#", "after \"#\""},
	};
	pond_arena *a = pond_arena_new();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pond_css *css;
		pond_error err = POND_ERROR_INIT;
		CHECK_MSG(pond__css_parse(&css, cases[i].sel, a, &err) == POND_EINVAL, "accepted \"%s\"", cases[i].sel);
		CHECK_MSG(strstr(err.msg, cases[i].want) && strstr(err.msg, "position"), "\"%s\": %s", cases[i].sel, err.msg);
	}
	pond_arena_free(&a);
}

TEST(html_numbers_read_as_pages_write_them)
{
	static const struct {
		const char *text, *want;
		char decimal, thousands;
		bool pct;
	} ok[] = {
		{"1,234.56", "1234.56", '.', ',', false},    {"  -0.50 ", "-0.5", '.', ',', false},
		{"$1,234,567", "1234567", '.', ',', false},  {"(1,234)", "-1234", '.', ',', false},
		{"($12.00)", "-12", '.', ',', false},        {"+3.2%", "3.2", '.', ',', true},
		{"\xe2\x88\x92" "7", "-7", '.', ',', false}, {"1.234,5 \xe2\x82\xac", "1234.5", ',', '.', false},
		{"1\xc2\xa0" "234,5", "1234.5", ',', '.', false}, {"12 345", "12345", '.', ',', false},
		{"USD 10", "10", '.', ',', false},           {"007", "7", '.', ',', false},
		{".5", "0.5", '.', ',', false},              {"-0", "0", '.', ',', false},
		{"1'000.25", "1000.25", '.', '\'', false},  {"\xc2\xa3" "3", "3", '.', ',', false},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		html_number_format f = {ok[i].decimal, ok[i].thousands};
		char out[64];
		bool pct;
		CHECK_MSG(pond__html_parse_number(ok[i].text, &f, out, sizeof(out), &pct), "refused \"%s\"", ok[i].text);
		CHECK_STR(out, ok[i].want);
		CHECK_INT(pct, ok[i].pct);
	}
	/* 1,5 with a decimal point is not 15: a group of one digit. */
	static const char *const bad[] = {"abc", "1,5", "1,2345", "12,34,567", "1.2.3", "(5", "5)", "", "-", "1e5",
	                                  "12a34", "1,234,56"};
	html_number_format dot = {'.', ','};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char out[64];
		bool pct;
		CHECK_MSG(!pond__html_parse_number(bad[i], &dot, out, sizeof(out), &pct), "accepted \"%s\" as %s", bad[i],
		          out);
	}
}

TEST(html_dates_read_with_a_format)
{
	static const struct {
		const char *text, *format;
		int64_t days, us;
	} ok[] = {
		{"2024-01-31", "%Y-%m-%d", 19753, 0},
		{"31/01/2024", "%d/%m/%Y", 19753, 0},
		{"Jan 31, 2024", "%b %d, %Y", 19753, 0},
		{"31 january 2024", "%d %B %Y", 19753, 0},
		{"Wed, 31 Jan 24", "%a, %d %b %y", 19753, 0},
		{"Sept 1 1999", "%b %e %Y", 10835, 0},
		{"2024-01-31 13:05:09", "%Y-%m-%d %H:%M:%S", 19753, (13 * 3600 + 5 * 60 + 9) * 1000000LL},
		{"1/2/2024 1:30 PM", "%m/%d/%Y %I:%M %p", 19724, (13 * 3600 + 30 * 60) * 1000000LL},
		{"12:00 am 2024-01-31", "%I:%M %p %Y-%m-%d", 19753, 0},
		{"2024-01-31T10:00:00.25+02:00", "%Y-%m-%dT%H:%M:%S.%f%z", 19753, 8 * 3600 * 1000000LL + 250000},
		{"2024 032", "%Y %j", 19754, 0},
		{"2024-02-29", "%Y-%m-%d", 19782, 0},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t days, us;
		CHECK_MSG(pond__html_parse_datetime(ok[i].text, ok[i].format, &days, &us), "refused \"%s\" with %s",
		          ok[i].text, ok[i].format);
		CHECK_INT(days, ok[i].days);
		CHECK_INT(us, ok[i].us);
	}
	static const struct {
		const char *text, *format;
	} bad[] = {
		{"2023-02-29", "%Y-%m-%d"}, {"2024-13-01", "%Y-%m-%d"}, {"2024-01-31 extra", "%Y-%m-%d"},
		{"31/01/2024", "%Y-%m-%d"}, {"Foo 1, 2024", "%b %d, %Y"}, {"13:00 PM", "%I:%M %p"},
		{"25:00", "%H:%M"},          {"", "%Y"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t days, us;
		CHECK_MSG(!pond__html_parse_datetime(bad[i].text, bad[i].format, &days, &us), "accepted \"%s\" with %s",
		          bad[i].text, bad[i].format);
	}
}

TEST(html_null_strings_default_and_configured)
{
	CHECK(pond__html_is_null("", NULL));
	CHECK(pond__html_is_null("-", NULL));
	CHECK(pond__html_is_null("N/A", NULL));
	CHECK(pond__html_is_null("\xe2\x80\x94", NULL));
	CHECK(!pond__html_is_null("0", NULL));
	CHECK(!pond__html_is_null("none", NULL));
	static const char *const mine[] = {"none", "?", NULL};
	CHECK(pond__html_is_null("NONE", mine));
	CHECK(pond__html_is_null("?", mine));
	CHECK(!pond__html_is_null("-", mine));
}

/* The text of a cell: entities decoded, whitespace squeezed, <br> a space,
 * scripts out. */
TEST(html_text_as_a_reader_sees_it)
{
	pond_arena *a = pond_arena_new();
	htmlDocPtr doc = doc_of("<p id=x> Caf&eacute;&nbsp;&amp;\n  <b>bar</b><br>baz&#8364;<script>var x=1;</script>"
	                        "<style>p{}</style></p>");
	CHECK(doc != NULL);
	CHECK_STR(select_texts("#x", (xmlNode *)doc, a), "Caf\xc3\xa9 & bar baz\xe2\x82\xac");
	xmlFreeDoc(doc);
	pond_arena_free(&a);
}

/* A windows-1252 page that says so in a <meta>, served without a charset. */
TEST(html_charset_from_meta_converted_to_utf8)
{
	pond_arena *a = pond_arena_new();
	const char cp1252[] = "<html><head><meta http-equiv='Content-Type' content='text/html; charset=windows-1252'>"
	                      "</head><body><p id=x>Caf\xe9 \x80" "5 \x93q\x94</p></body></html>";
	CHECK_STR(pond__html_charset("text/html", cp1252, strlen(cp1252), a), "windows-1252");
	CHECK_STR(pond__html_charset("text/html; charset=\"ISO-8859-15\"", cp1252, strlen(cp1252), a), "ISO-8859-15");
	const char meta5[] = "<meta charset=iso-8859-1><p id=x>\xe9t\xe9</p>";
	CHECK_STR(pond__html_charset(NULL, meta5, strlen(meta5), a), "iso-8859-1");
	htmlDocPtr doc;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond__html_parse(&doc, cp1252, strlen(cp1252), "text/html", "p", &err), &err);
	CHECK_STR(select_texts("#x", (xmlNode *)doc, a), "Caf\xc3\xa9 \xe2\x82\xac" "5 \xe2\x80\x9cq\xe2\x80\x9d");
	xmlFreeDoc(doc);
	/* No declaration, bytes that are not UTF-8: windows-1252. */
	const char bare[] = "<p id=x>na\xefve</p>";
	CHECK_OK(pond__html_parse(&doc, bare, strlen(bare), NULL, "p", &err), &err);
	CHECK_STR(select_texts("#x", (xmlNode *)doc, a), "na\xc3\xafve");
	xmlFreeDoc(doc);
	CHECK(pond__html_parse(&doc, bare, strlen(bare), "text/html; charset=x-no-such", "p.html", &err) ==
	      POND_EUNSUPPORTED);
	CHECK(strstr(err.msg, "p.html: unknown charset \"x-no-such\"") != NULL);
	pond_arena_free(&a);
}

static const char *grid_text(const html_grid *g, pond_arena *a)
{
	pond_buf b = POND_BUF_INIT;
	for (size_t r = 0; r < g->nrows; r++) {
		pond_buf_puts(&b, r ? "\n" : "");
		for (size_t c = 0; c < g->ncols; c++) {
			const char *cell = g->cells[r * g->ncols + c];
			pond_buf_printf(&b, "%s%s", c ? "|" : "", cell ? cell : "~");
		}
	}
	const char *out = pond_arena_strdup(a, b.ptr ? b.ptr : "");
	pond_buf_dispose(&b);
	return out;
}

TEST(html_table_grid_expands_spans_and_skips_nested_tables)
{
	pond_arena *a = pond_arena_new();
	htmlDocPtr doc = doc_of("<table id=t>"
	                        "<thead><tr><th>A</th><th colspan=2>B</th><th>C</th></tr></thead>"
	                        "<tbody><tr><td rowspan=3>r</td><td>1</td><td>2</td><td rowspan=2>x</td></tr>"
	                        "<tr><td colspan=2>wide<table><tr><td>inner</td><td>cells</td></tr></table></td></tr>"
	                        "<tr><td>short</td></tr>"
	                        "<tr></tr>"
	                        "</tbody></table>");
	CHECK(doc != NULL);
	pond_css *css;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond__css_parse(&css, "#t", a, &err), &err);
	html_grid g;
	CHECK_OK(pond__html_table_grid(&g, pond__css_first(css, (xmlNode *)doc), a, &err), &err);
	CHECK_INT(g.nrows, 5);
	CHECK_INT(g.ncols, 4);
	CHECK_STR(grid_text(&g, a), "A|B|B|C\nr|1|2|x\nr|wide|wide|x\nr|short|~|~\n~|~|~|~");
	CHECK(g.is_header_row[0]);
	CHECK(!g.is_header_row[1]);
	CHECK(!g.is_header_row[4]);
	xmlFreeDoc(doc);
	pond_arena_free(&a);
}

TEST(html_column_names_from_headers)
{
	pond_arena *a = pond_arena_new();
	const char *headers[] = {"Price (USD)", "Price (USD)", "", "  Date\xc2\xa0of sale ", "Caf\xc3\xa9", NULL, "1st"};
	const char **names = pond__html_column_names(headers, 7, a);
	CHECK_STR(names[0], "price_usd");
	CHECK_STR(names[1], "price_usd_2");
	CHECK_STR(names[2], "column_3");
	CHECK_STR(names[3], "date_of_sale");
	CHECK_STR(names[4], "caf\xc3\xa9");
	CHECK_STR(names[5], "column_6");
	CHECK_STR(names[6], "1st");
	pond_arena_free(&a);
}

typedef struct {
	int64_t now;
	int64_t slept[8];
	int nslept;
} fake_clock;

static int64_t fake_now(void *payload)
{
	return ((fake_clock *)payload)->now;
}

static void fake_sleep(int64_t ms, void *payload)
{
	fake_clock *c = payload;
	if (c->nslept < 8)
		c->slept[c->nslept++] = ms;
	c->now += ms;
}

/* One host waits the delay after the end of its last request; another
 * host does not wait for it. */
TEST(html_polite_delay_per_host_with_an_injected_clock)
{
	pond_arena *a = pond_arena_new();
	fake_clock fc = {1000, {0}, 0};
	html_polite p = {{fake_now, fake_sleep, &fc}, 1000, NULL, 0, 0, a};
	pond__html_polite_wait(&p, "http://a.example/1");
	CHECK_INT(fc.nslept, 0);  /* the first request goes at once */
	fc.now += 300;            /* the request takes 300 ms */
	CHECK_INT(pond__html_polite_done(&p, "http://a.example/1"), 0);
	fc.now += 200;
	pond__html_polite_wait(&p, "http://b.example/1");
	CHECK_INT(fc.nslept, 0);
	CHECK_INT(pond__html_polite_done(&p, "http://b.example/1"), 0);
	pond__html_polite_wait(&p, "http://A.example:80/2?x");
	CHECK_INT(fc.nslept, 0);  /* a different host: host:port differs */
	pond__html_polite_wait(&p, "http://a.example/2?page=2");
	CHECK_INT(fc.nslept, 1);
	CHECK_INT(fc.slept[0], 800);
	CHECK_INT(pond__html_polite_done(&p, "http://a.example/2"), 0);
	fc.now += 5000;  /* long past the delay */
	pond__html_polite_wait(&p, "http://a.example/3");
	CHECK_INT(fc.nslept, 1);
	p.delay_ms = 0;
	CHECK_INT(pond__html_polite_done(&p, "http://a.example/3"), 0);
	pond__html_polite_wait(&p, "http://a.example/4");
	CHECK_INT(fc.nslept, 1);
	pond_arena_free(&a);
}

TEST(html_links_resolve_against_the_page)
{
	pond_arena *a = pond_arena_new();
	const char *base = "http://h.example/list/page1.html?x=1";
	CHECK_STR(pond__html_resolve_url(base, "page2.html", a), "http://h.example/list/page2.html");
	CHECK_STR(pond__html_resolve_url(base, "/p?n=2#top", a), "http://h.example/p?n=2");
	CHECK_STR(pond__html_resolve_url(base, "?x=2", a), "http://h.example/list/page1.html?x=2");
	CHECK_STR(pond__html_resolve_url(base, "https://o.example/a", a), "https://o.example/a");
	CHECK_STR(pond__html_resolve_url("/saved/list/p1.html", "p2.html#x", a), "/saved/list/p2.html");
	CHECK_STR(pond__html_resolve_url("pages/p1.html", "/abs/p2.html", a), "/abs/p2.html");
	pond_arena_free(&a);
}

static int parse(pond_source **out, const char *yaml, pond_arena *a, pond_error *err)
{
	return pond_source_parse(out, "pg", yaml, strlen(yaml), "sources/pg.yml", NULL, a, err);
}

TEST(html_config_parses_rows_and_pages)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_source *s;
	CHECK_OK(parse(&s,
	               "type: html\n"
	               "table: raw.quotes\n"
	               "url: https://example.com/q?page={page}\n"
	               "pages: {from: 1, to: 9, step: 2}\n"
	               "rows: li.quote\n"
	               "columns:\n"
	               "  name: h2\n"
	               "  link: 'a.more @href'\n"
	               "  id: '@data-id'\n"
	               "  price: {select: .price, type: number}\n"
	               "  day: {select: time, type: date, format: '%d.%m.%Y', optional: true}\n"
	               "decimal_mark: ','\n"
	               "null: [none, '?']\n"
	               "delay: 250ms\n"
	               "incremental: {field: day}\n",
	               a, &err),
	         &err);
	const html_config *h = s->html;
	CHECK_STR(pond_source_type(s), "html");
	CHECK(h->range);
	CHECK_INT(h->range_from, 1);
	CHECK_INT(h->range_to, 9);
	CHECK_INT(h->range_step, 2);
	CHECK_INT(h->delay_ms, 250);
	CHECK_INT(h->ncolumns, 5);
	CHECK_STR(h->columns[1].attr, "href");
	CHECK_STR(pond__css_text(h->columns[1].select), "a.more");
	CHECK(h->columns[2].select == NULL);
	CHECK_STR(h->columns[2].attr, "data-id");
	CHECK_INT(h->columns[3].type, HTML_NUMBER);
	CHECK_INT(h->columns[4].type, HTML_DATE);
	CHECK(h->columns[4].optional);
	CHECK_INT(h->number.decimal, ',');
	CHECK_INT(h->number.thousands, '.');
	CHECK_STR(h->nulls[1], "?");
	CHECK_STR(h->cursor_field, "day");
	CHECK_OK(parse(&s, "type: html\ntable: raw.t\nurl: https://e.com/\nhtml_table: 2\nnext: a[rel=next]\n", a, &err),
	         &err);
	CHECK_INT(s->html->table_index, 2);
	CHECK(s->html->next != NULL);
	CHECK_INT(s->html->delay_ms, 1000);
	CHECK_INT(s->html->max_pages, 100);
	pond_arena_free(&a);
}

TEST(html_config_errors_name_file_and_line)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{"type: html\ntable: a.b\n", "sources/pg.yml:1: \"url\" is missing"},
		{"type: html\ntable: a.b\nurl: https://e/\nrows: 'li['\ncolumns: {a: b}\n", "sources/pg.yml:4: \"rows\": bad CSS"},
		{"type: html\ntable: a.b\nurl: https://e/\nrows: li\n", "sources/pg.yml:4: \"rows\" needs \"columns\""},
		{"type: html\ntable: a.b\nurl: https://e/\ncolumns:\n  d: date\n", "sources/pg.yml:5: column \"d\" needs \"format\""},
		{"type: html\ntable: a.b\nurl: https://e/\ncolumns:\n  d: money\n", "sources/pg.yml:5: unknown column type"},
		{"type: html\ntable: a.b\nurl: https://e/p\npages: {from: 1, to: 3}\n", "sources/pg.yml:3: with \"pages\""},
		{"type: html\ntable: a.b\nurl: https://e/\nhtml_table: 0\n", "sources/pg.yml:4: \"html_table\" counts from 1"},
		{"type: html\ntable: a.b\nurl: https://e/\ndecimal_mark: ';'\n", "sources/pg.yml:4: \"decimal_mark\""},
		{"type: html\ntable: a.b\nurl: https://e/\ndelay: soon\n", "sources/pg.yml:4: \"delay\""},
		{"type: html\ntable: a.b\nurl: https://e/\nhtml_table: t\nrows: li\ncolumns: {a: b}\n", "not both"},
		{"type: html\ntable: a.b\nurl: https://e/\nparams: {a: b}\n", "params"},
		{"type: html\ntable: a.b\nurl: https://e/{page}\n", "sources/pg.yml:3: \"url\" has {page}"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pond_arena *a = pond_arena_new();
		pond_error err = POND_ERROR_INIT;
		pond_source *s;
		CHECK_MSG(parse(&s, cases[i].yaml, a, &err) != 0, "accepted: %s", cases[i].yaml);
		CHECK_MSG(strstr(err.msg, cases[i].want) != NULL, "got \"%s\", want \"%s\"", err.msg, cases[i].want);
		pond_arena_free(&a);
	}
}
