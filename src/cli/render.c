/*
 * Rendering query results: an aligned box table for terminals (wide
 * columns truncated, the middle of long results elided, a row-count
 * footer, NULL shown distinctly), and csv, tsv, json, ndjson and markdown
 * for files and pipes (csv, json and ndjson rows are the export layer's,
 * shared with pond export). Rows stream through; only the table format
 * keeps rows, and at most max_rows of them.
 */
#include "cli.h"

#include <duckdb.h>
#include <string.h>

#include "pond/export.h"

static const struct { const char *name; cli_format format; } format_names[] = {
	{"table", CLI_FORMAT_TABLE}, {"csv", CLI_FORMAT_CSV}, {"tsv", CLI_FORMAT_TSV},
	{"json", CLI_FORMAT_JSON}, {"ndjson", CLI_FORMAT_NDJSON}, {"markdown", CLI_FORMAT_MARKDOWN},
	{"md", CLI_FORMAT_MARKDOWN},
};

int cli_format_parse(const char *name, cli_format *out)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++) {
		if (strcmp(name, format_names[i].name) == 0) {
			*out = format_names[i].format;
			return 1;
		}
	}
	return 0;
}

const char *cli_format_names(void)
{
	return "table, csv, tsv, json, ndjson, markdown";
}

/* ---- the streaming formats ---------------------------------------------- */

typedef struct {
	const cli_render_options *opts;
	pond_result *result;
	idx_t ncols;
	pond_buf line;
	pond_buf cell;
	int64_t rows;
} render_state;

/* CSV, JSON and NDJSON are written by the export layer's row writers, so
 * `pond sql -f csv` and `pond export --csv` give the same text. */
static bool shared_format(cli_format f, pond_export_format *out)
{
	switch (f) {
	case CLI_FORMAT_CSV: *out = POND_EXPORT_CSV; return true;
	case CLI_FORMAT_JSON: *out = POND_EXPORT_JSON; return true;
	case CLI_FORMAT_NDJSON: *out = POND_EXPORT_NDJSON; return true;
	default: return false;
	}
}

static void tsv_cell(pond_buf *line, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '\t': pond_buf_puts(line, "\\t"); break;
		case '\n': pond_buf_puts(line, "\\n"); break;
		case '\r': pond_buf_puts(line, "\\r"); break;
		case '\\': pond_buf_puts(line, "\\\\"); break;
		default: pond_buf_putc(line, s[i]);
		}
	}
}

static void markdown_cell(pond_buf *line, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '|')
			pond_buf_puts(line, "\\|");
		else if (s[i] == '\n')
			pond_buf_puts(line, "<br>");
		else
			pond_buf_putc(line, s[i]);
	}
}

static void put_text_cell(render_state *st, const char *s, size_t len)
{
	switch (st->opts->format) {
	case CLI_FORMAT_CSV: pond_export_csv_field(&st->line, s, len); break;
	case CLI_FORMAT_MARKDOWN: markdown_cell(&st->line, s, len); break;
	default: tsv_cell(&st->line, s, len); break;
	}
}

static void put_header(render_state *st)
{
	cli_format f = st->opts->format;
	pond_export_format shared;
	if (shared_format(f, &shared)) {
		pond_export_text_header(&st->line, shared, st->result);
		return;
	}
	const char *sep = f == CLI_FORMAT_CSV ? "," : f == CLI_FORMAT_TSV ? "\t" : " | ";
	if (f == CLI_FORMAT_MARKDOWN)
		pond_buf_puts(&st->line, "| ");
	for (idx_t c = 0; c < st->ncols; c++) {
		if (c)
			pond_buf_puts(&st->line, sep);
		const char *name = pond_result_column_name(st->result, c);
		put_text_cell(st, name, strlen(name));
	}
	if (f == CLI_FORMAT_MARKDOWN) {
		pond_buf_puts(&st->line, " |\n|");
		for (idx_t c = 0; c < st->ncols; c++)
			pond_buf_puts(&st->line, pond_type_is_numeric(pond_result_column_type(st->result, c)) ? "---:|" : "---|");
	}
	pond_buf_putc(&st->line, '\n');
}

static void put_row(render_state *st, duckdb_data_chunk chunk, idx_t row)
{
	cli_format f = st->opts->format;
	pond_export_format shared;
	if (shared_format(f, &shared)) {
		pond_export_text_row(&st->line, &st->cell, shared, st->result, chunk, row, st->rows);
		return;
	}
	const char *sep = f == CLI_FORMAT_TSV ? "\t" : " | ";
	if (f == CLI_FORMAT_MARKDOWN)
		pond_buf_puts(&st->line, "| ");
	for (idx_t c = 0; c < st->ncols; c++) {
		duckdb_vector v = duckdb_data_chunk_get_vector(chunk, c);
		duckdb_logical_type t = pond_result_column_type(st->result, c);
		if (c)
			pond_buf_puts(&st->line, sep);
		pond_buf_clear(&st->cell);
		bool valid = pond_value_format(&st->cell, v, t, row, POND_VALUE_TEXT);
		if (!valid && f == CLI_FORMAT_MARKDOWN)
			pond_buf_puts(&st->cell, "NULL");
		put_text_cell(st, pond_buf_cstr(&st->cell), st->cell.len);
	}
	if (f == CLI_FORMAT_MARKDOWN)
		pond_buf_puts(&st->line, " |");
	pond_buf_putc(&st->line, '\n');
}

static int flush_line(render_state *st, pond_error *err)
{
	if (!pond_buf_ok(&st->line) || !pond_buf_ok(&st->cell))
		return pond_error_set(err, POND_ENOMEM, "out of memory rendering results");
	if (st->line.len && fwrite(st->line.ptr, 1, st->line.len, st->opts->out) != st->line.len)
		return pond_error_set(err, POND_EIO, "could not write results: output closed or full");
	pond_buf_clear(&st->line);
	return 0;
}

static int render_stream(render_state *st, pond_error *err)
{
	put_header(st);
	int rc = flush_line(st, err);
	duckdb_data_chunk chunk;
	while (rc == 0 && (rc = pond_result_next(st->result, &chunk, err)) == 1) {
		idx_t n = duckdb_data_chunk_get_size(chunk);
		for (idx_t r = 0; r < n; r++) {
			put_row(st, chunk, r);
			st->rows++;
			if (st->line.len > 1 << 16 && (rc = flush_line(st, err)) != 0)
				break;
		}
		duckdb_destroy_data_chunk(&chunk);
		if (rc == 1)
			rc = 0;
		if (rc == 0)
			rc = flush_line(st, err);
	}
	if (rc < 0)
		return rc;
	pond_export_format shared;
	if (shared_format(st->opts->format, &shared))
		pond_export_text_end(&st->line, shared, st->rows);
	return flush_line(st, err);
}

/* ---- the table format ---------------------------------------------------- */

/* Display width of UTF-8 text, counting code points. */
static size_t text_width(const char *s, size_t len)
{
	size_t w = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			w++;
	return w;
}

/* Bytes of the first `width` code points of s. */
static size_t prefix_bytes(const char *s, size_t len, size_t width)
{
	size_t w = 0, i = 0;
	for (; i < len; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (w == width)
				break;
			w++;
		}
	}
	return i;
}

typedef struct {
	char **cells;    /* ncols strings; NULL for SQL NULL */
} table_row;

typedef struct {
	idx_t ncols;
	table_row *head; /* first rows */
	size_t nhead, head_cap;
	table_row *tail; /* ring of the last rows */
	size_t ntail, tail_cap, tail_start;
	int64_t total;
} table_rows;

static void free_row(table_row *row, idx_t ncols)
{
	if (!row->cells)
		return;
	for (idx_t c = 0; c < ncols; c++)
		pond_free(row->cells[c]);
	pond_free(row->cells);
	row->cells = NULL;
}

static int capture_row(table_row *row, render_state *st, duckdb_data_chunk chunk, idx_t r)
{
	row->cells = pond_calloc(st->ncols, sizeof(char *));
	if (!row->cells)
		return POND_ENOMEM;
	for (idx_t c = 0; c < st->ncols; c++) {
		pond_buf_clear(&st->cell);
		duckdb_vector v = duckdb_data_chunk_get_vector(chunk, c);
		if (!pond_value_format(&st->cell, v, pond_result_column_type(st->result, c), r, POND_VALUE_TEXT))
			continue;
		if (!pond_buf_ok(&st->cell) || !(row->cells[c] = pond_strdup(pond_buf_cstr(&st->cell))))
			return POND_ENOMEM;
	}
	return 0;
}

static int collect_rows(render_state *st, table_rows *t, pond_error *err)
{
	size_t half = (size_t)(st->opts->max_rows > 1 ? st->opts->max_rows / 2 : 1);
	t->head_cap = t->tail_cap = half;
	t->head = pond_calloc(half, sizeof(table_row));
	t->tail = pond_calloc(half, sizeof(table_row));
	if (!t->head || !t->tail)
		return pond_error_set(err, POND_ENOMEM, "out of memory rendering results");
	duckdb_data_chunk chunk;
	int rc;
	while ((rc = pond_result_next(st->result, &chunk, err)) == 1) {
		idx_t n = duckdb_data_chunk_get_size(chunk);
		for (idx_t r = 0; r < n && rc == 1; r++, t->total++) {
			table_row *slot;
			if (t->nhead < t->head_cap) {
				slot = &t->head[t->nhead++];
			} else if (t->ntail < t->tail_cap) {
				slot = &t->tail[t->ntail++];
			} else {
				slot = &t->tail[t->tail_start];
				t->tail_start = (t->tail_start + 1) % t->tail_cap;
				free_row(slot, t->ncols);
			}
			if (capture_row(slot, st, chunk, r) != 0)
				rc = pond_error_set(err, POND_ENOMEM, "out of memory rendering results");
		}
		duckdb_destroy_data_chunk(&chunk);
		if (rc < 0)
			return rc;
	}
	return rc;
}

static table_row *nth_row(table_rows *t, size_t i)
{
	if (i < t->nhead)
		return &t->head[i];
	i -= t->nhead;
	return &t->tail[(t->tail_start + i) % t->tail_cap];
}

#define DIM "\033[2m"
#define RESET "\033[0m"

static void hline(pond_buf *b, const size_t *w, idx_t n, const char *l, const char *m, const char *r)
{
	pond_buf_puts(b, l);
	for (idx_t c = 0; c < n; c++) {
		for (size_t i = 0; i < w[c] + 2; i++)
			pond_buf_puts(b, "─");
		pond_buf_puts(b, c + 1 < n ? m : r);
	}
	pond_buf_putc(b, '\n');
}

/* One cell padded to width, truncated with an ellipsis when longer. */
static void table_cell(pond_buf *b, const char *s, size_t width, bool right, bool dim)
{
	size_t len = strlen(s), w = text_width(s, len);
	bool cut = w > width;
	size_t shown_bytes = cut ? prefix_bytes(s, len, width - 1) : len;
	size_t shown_w = cut ? width : w;
	pond_buf_putc(b, ' ');
	if (right)
		for (size_t i = shown_w; i < width; i++)
			pond_buf_putc(b, ' ');
	if (dim)
		pond_buf_puts(b, DIM);
	pond_buf_put(b, s, shown_bytes);
	if (cut)
		pond_buf_puts(b, "…");
	if (dim)
		pond_buf_puts(b, RESET);
	if (!right)
		for (size_t i = shown_w; i < width; i++)
			pond_buf_putc(b, ' ');
	pond_buf_puts(b, " │");
}

/* Shrinks the widest columns until the table fits the terminal. */
static void fit_widths(size_t *w, idx_t n, int term_width)
{
	const size_t min_w = 4;
	for (;;) {
		size_t total = 1;
		for (idx_t c = 0; c < n; c++)
			total += w[c] + 3;
		if (term_width <= 0 || total <= (size_t)term_width)
			return;
		idx_t widest = 0;
		for (idx_t c = 1; c < n; c++)
			if (w[c] > w[widest])
				widest = c;
		if (w[widest] <= min_w)
			return;
		size_t excess = total - (size_t)term_width;
		size_t cut = excess < w[widest] - min_w ? excess : w[widest] - min_w;
		/* Take from the widest only down to the next widest, so the
		 * columns shrink evenly. */
		size_t next = 0;
		for (idx_t c = 0; c < n; c++)
			if (c != widest && w[c] > next)
				next = w[c];
		if (next > min_w && w[widest] - cut < next)
			cut = w[widest] - next > 0 ? w[widest] - next : 1;
		w[widest] -= cut ? cut : 1;
	}
}

static int render_table(render_state *st, pond_error *err)
{
	table_rows t = {.ncols = st->ncols};
	size_t *w = pond_calloc(st->ncols ? st->ncols : 1, sizeof(size_t));
	char **types = pond_calloc(st->ncols ? st->ncols : 1, sizeof(char *));
	bool *right = pond_calloc(st->ncols ? st->ncols : 1, sizeof(bool));
	int rc = 0;
	if (!w || !types || !right) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory rendering results");
		goto done;
	}
	rc = collect_rows(st, &t, err);
	if (rc < 0)
		goto done;
	rc = 0;
	size_t shown = t.nhead + t.ntail;
	for (idx_t c = 0; c < st->ncols; c++) {
		duckdb_logical_type type = pond_result_column_type(st->result, c);
		pond_buf tb = POND_BUF_INIT;
		pond_type_name(&tb, type);
		types[c] = pond_buf_detach(&tb);
		right[c] = pond_type_is_numeric(type);
		const char *name = pond_result_column_name(st->result, c);
		w[c] = text_width(name, strlen(name));
		if (types[c] && strlen(types[c]) > w[c])
			w[c] = strlen(types[c]);
		for (size_t i = 0; i < shown; i++) {
			const char *cell = nth_row(&t, i)->cells[c];
			size_t cw = cell ? text_width(cell, strlen(cell)) : 4;
			if (cw > w[c])
				w[c] = cw;
		}
	}
	fit_widths(w, st->ncols, st->opts->width);
	pond_buf *b = &st->line;
	bool color = st->opts->color;
	hline(b, w, st->ncols, "┌", "┬", "┐");
	pond_buf_puts(b, "│");
	for (idx_t c = 0; c < st->ncols; c++)
		table_cell(b, pond_result_column_name(st->result, c), w[c], false, false);
	pond_buf_puts(b, "\n│");
	for (idx_t c = 0; c < st->ncols; c++)
		table_cell(b, types[c] ? types[c] : "", w[c], false, color);
	pond_buf_putc(b, '\n');
	hline(b, w, st->ncols, "├", "┼", "┤");
	for (size_t i = 0; i < shown; i++) {
		if (i == t.nhead && t.total > (int64_t)shown) {
			pond_buf_puts(b, "│");
			for (idx_t c = 0; c < st->ncols; c++)
				table_cell(b, "·", w[c], right[c], color);
			pond_buf_putc(b, '\n');
		}
		table_row *row = nth_row(&t, i);
		pond_buf_puts(b, "│");
		for (idx_t c = 0; c < st->ncols; c++) {
			const char *cell = row->cells[c];
			table_cell(b, cell ? cell : "NULL", w[c], right[c], !cell && color);
		}
		pond_buf_putc(b, '\n');
		if ((rc = flush_line(st, err)) != 0)
			goto done;
	}
	hline(b, w, st->ncols, "└", "┴", "┘");
	if (color)
		pond_buf_puts(b, DIM);
	pond_buf_printf(b, "  %lld row%s", (long long)t.total, t.total == 1 ? "" : "s");
	if (t.total > (int64_t)shown)
		pond_buf_printf(b, " (%zu shown)", shown);
	pond_buf_printf(b, ", %llu column%s", (unsigned long long)st->ncols, st->ncols == 1 ? "" : "s");
	if (color)
		pond_buf_puts(b, RESET);
	pond_buf_putc(b, '\n');
	rc = flush_line(st, err);
done:
	for (size_t i = 0; i < t.nhead; i++)
		free_row(&t.head[i], st->ncols);
	for (size_t i = 0; i < t.ntail; i++)
		free_row(&t.tail[i], st->ncols);
	pond_free(t.head);
	pond_free(t.tail);
	if (types)
		for (idx_t c = 0; c < st->ncols; c++)
			pond_free(types[c]);
	pond_free(types);
	pond_free(w);
	pond_free(right);
	st->rows = t.total;
	return rc;
}

int cli_render(pond_result *result, const cli_render_options *opts, int64_t *rows, pond_error *err)
{
	render_state st = {opts, result, pond_result_column_count(result), POND_BUF_INIT, POND_BUF_INIT, 0};
	int rc = opts->format == CLI_FORMAT_TABLE ? render_table(&st, err) : render_stream(&st, err);
	fflush(opts->out);
	pond_buf_dispose(&st.line);
	pond_buf_dispose(&st.cell);
	if (rows)
		*rows = st.rows;
	return rc;
}

void cli_human_bytes(char out[32], int64_t b)
{
	const char *units[] = {"B", "KB", "MB", "GB", "TB"};
	double v = (double)b;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, 32, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}
