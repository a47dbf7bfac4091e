/*
 * The parse half of bench/html.sh: a saved page (argv[1]) read into a
 * table grid the way the html source does (charset, libxml2's parser,
 * the first <table> laid out with spans expanded, every cell's text) and
 * the numbers of column argv[2] read; prints the medians of argv[3] runs
 * in ms, wall clock and CPU time (the machine may be shared), and the
 * rows seen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/html.h"

static int64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double median(double *v, int n);

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return fprintf(stderr, "usage: html_parse PAGE NUMBER_COLUMN RUNS\n"), 2;
	char *text;
	size_t len;
	pond_error err = POND_ERROR_INIT;
	if (pond_file_read(&text, &len, argv[1], (size_t)1 << 30, &err) != 0)
		return fprintf(stderr, "%s\n", err.msg), 1;
	int runs = atoi(argv[3]);
	size_t col = (size_t)atoi(argv[2]);
	double *ms = calloc((size_t)runs, sizeof(double)), *cpu = calloc((size_t)runs, sizeof(double));
	size_t rows = 0;
	for (int r = 0; r < runs; r++) {
		int64_t start = pond_time_mono_ns(), cpu_start = cpu_ns();
		pond_arena *a = pond_arena_new();
		htmlDocPtr doc;
		pond_css *sel;
		html_grid g;
		if (pond__html_parse(&doc, text, len, NULL, argv[1], &err) != 0 || pond__css_parse(&sel, "table", a, &err) != 0 ||
		    pond__html_table_grid(&g, pond__css_first(sel, (xmlNode *)doc), a, &err) != 0)
			return fprintf(stderr, "%s\n", err.msg), 1;
		html_number_format f = {'.', ','};
		for (size_t i = 1; i < g.nrows; i++) {
			char out[64];
			bool pct;
			if (!pond__html_parse_number(g.cells[i * g.ncols + col], &f, out, sizeof(out), &pct))
				return fprintf(stderr, "row %zu: not a number: %s\n", i, g.cells[i * g.ncols + col]), 1;
		}
		rows = g.nrows - 1;
		xmlFreeDoc(doc);
		pond_arena_free(&a);
		ms[r] = (double)(pond_time_mono_ns() - start) / 1e6;
		cpu[r] = (double)(cpu_ns() - cpu_start) / 1e6;
	}
	printf("%.1f %.1f %zu\n", median(ms, runs), median(cpu, runs), rows);
	pond_free(text);
	free(ms);
	free(cpu);
	return 0;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
