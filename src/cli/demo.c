/*
 * `pond demo`: writes a sample data set (ten years of daily prices for
 * twenty tickers, from a seeded generator, no network) into a folder and
 * opens the SQL shell on it.
 */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

static const char demo_help[] =
	"usage: pond demo [DIR] [--no-shell]\n"
	"\n"
	"Writes sample data into DIR (default: pond-demo): prices.csv holds ten\n"
	"years of daily closing prices and volumes for twenty tickers, from a\n"
	"seeded generator, so every run makes the same file. Then opens the SQL\n"
	"shell with a view `prices` over it.\n"
	"\n"
	"options:\n"
	"  --no-shell   write the data and print where it is, without the shell\n";

static const struct { const char *ticker; double start; double drift; double vol; } tickers[] = {
	{"AAPL", 110, 0.18, 0.28}, {"MSFT", 55, 0.20, 0.25}, {"GOOG", 38, 0.15, 0.27},
	{"AMZN", 30, 0.17, 0.32}, {"NVDA", 8, 0.45, 0.50}, {"META", 95, 0.12, 0.38},
	{"BRK", 140, 0.10, 0.18}, {"JPM", 60, 0.11, 0.24}, {"V", 75, 0.13, 0.22},
	{"JNJ", 105, 0.05, 0.16}, {"WMT", 22, 0.09, 0.19}, {"PG", 80, 0.06, 0.16},
	{"XOM", 85, 0.04, 0.28}, {"KO", 42, 0.05, 0.15}, {"PEP", 100, 0.06, 0.16},
	{"NESN", 70, 0.04, 0.15}, {"ASML", 95, 0.22, 0.35}, {"SAP", 75, 0.10, 0.24},
	{"TSM", 28, 0.25, 0.33}, {"VWRL", 55, 0.08, 0.14},
};

/* xorshift64*: a small, seeded generator so the data is the same on every
 * machine. */
static double next_uniform(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static double next_normal(uint64_t *state)
{
	double u1 = next_uniform(state), u2 = next_uniform(state);
	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

/* Writes prices.csv: trading days (Mon-Fri) from 2015-01-02 for ten years. */
static int write_prices(const char *path, int64_t *rows, pond_error *err)
{
	pond_buf b = POND_BUF_INIT;
	pond_buf_puts(&b, "date,ticker,close,volume\n");
	int64_t first = pond_days_from_civil(2015, 1, 2), last = pond_days_from_civil(2024, 12, 31);
	size_t n = sizeof(tickers) / sizeof(tickers[0]);
	*rows = 0;
	for (size_t t = 0; t < n; t++) {
		uint64_t state = 0x9E3779B97F4A7C15ULL ^ (t + 1) * 0xD1B54A32D192ED03ULL;
		double price = tickers[t].start, dt = 1.0 / 252;
		for (int64_t day = first; day <= last; day++) {
			int weekday = (int)((day % 7 + 7 + 4) % 7);  /* 1970-01-01 was a Thursday */
			if (weekday == 0 || weekday == 6)
				continue;
			double z = next_normal(&state);
			price *= exp((tickers[t].drift - tickers[t].vol * tickers[t].vol / 2) * dt +
			             tickers[t].vol * sqrt(dt) * z);
			int64_t volume = (int64_t)(1e6 * (1 + 4 * next_uniform(&state)));
			int64_t y;
			unsigned m, d;
			pond_civil_from_days(day, &y, &m, &d);
			pond_buf_printf(&b, "%04lld-%02u-%02u,%s,%.2f,%lld\n", (long long)y, m, d, tickers[t].ticker,
			                price, (long long)volume);
			(*rows)++;
		}
	}
	if (!pond_buf_ok(&b)) {
		pond_buf_dispose(&b);
		return pond_error_set(err, POND_ENOMEM, "out of memory generating demo data");
	}
	int rc = pond_file_write_atomic(path, b.ptr, b.len, err);
	pond_buf_dispose(&b);
	return rc;
}

static int cmd_demo(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"no-shell", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int no_shell = 0, opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n': no_shell = 1; break;
		case 'h': return cli_print_help(&cli_demo_command);
		default: return cli_usage_error("demo", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("demo", "expected at most one folder");
	const char *dir = optind < argc ? argv[optind] : "pond-demo";
	pond_error err = POND_ERROR_INIT;
	if (pond_mkdirs(dir, &err) != 0)
		return cli_fail(&err);
	pond_buf path = POND_BUF_INIT;
	pond_buf_printf(&path, "%s/prices.csv", dir);
	int64_t rows;
	if (write_prices(pond_buf_cstr(&path), &rows, &err) != 0) {
		pond_buf_dispose(&path);
		return cli_fail(&err);
	}
	printf("pond demo: wrote %lld daily prices for %zu tickers to %s\n", (long long)rows,
	       sizeof(tickers) / sizeof(tickers[0]), pond_buf_cstr(&path));
	int exit_code = EXIT_OK;
	if (!no_shell) {
		cli_sql_session s = {0};
		s.render.out = stdout;
		s.render.max_rows = 40;
		s.render.format = isatty(STDOUT_FILENO) ? CLI_FORMAT_TABLE : CLI_FORMAT_TSV;
		s.render.width = 120;
		s.render.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
		if (cli_engine_open(&s.engine, &err) != 0) {
			pond_buf_dispose(&path);
			return cli_fail(&err);
		}
		pond_buf view = POND_BUF_INIT;
		pond_buf_puts(&view, "create view prices as select * from read_csv(");
		pond_sql_quote_literal(&view, pond_buf_cstr(&path));
		pond_buf_puts(&view, ");");
		if (cli_sql_run(&s, pond_buf_cstr(&view)) == 0) {
			printf("Try: select ticker, min(close), max(close) from prices group by ticker;\n");
			cli_sigint_install(s.engine);
			exit_code = cli_shell(&s);
		} else {
			exit_code = EXIT_FAIL;
		}
		pond_buf_dispose(&view);
		pond_engine_close(&s.engine);
	}
	pond_buf_dispose(&path);
	return exit_code;
}

const cli_command cli_demo_command = {
	"demo", "write sample data and open the SQL shell on it", demo_help, cmd_demo,
};
