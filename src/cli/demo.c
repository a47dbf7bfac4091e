/*
 * `pond demo`: writes the markets data set (ten years of daily prices for
 * twenty tickers, FX rates, dividends, a portfolio; seeded, no network)
 * into a folder and opens the SQL shell on it.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>
#include <unistd.h>

static const char demo_help[] =
	"usage: pond demo [DIR] [--no-shell]\n"
	"\n"
	"Writes the markets data set into DIR (default: pond-demo): prices.csv,\n"
	"fx.csv, dividends.csv and holdings.csv (see pond generate markets), the\n"
	"same on every run, then opens the SQL shell with a view over each file.\n"
	"\n"
	"options:\n"
	"  --no-shell   write the data and print where it is, without the shell\n";

static const char *const demo_files[] = {"prices", "fx", "dividends", "holdings"};

static int open_shell(const char *dir)
{
	pond_error err = POND_ERROR_INIT;
	cli_sql_session s = {0};
	s.render.out = stdout;
	s.render.max_rows = 40;
	s.render.format = isatty(STDOUT_FILENO) ? CLI_FORMAT_TABLE : CLI_FORMAT_TSV;
	s.render.width = 120;
	s.render.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	if (cli_engine_open(&s.engine, &err) != 0)
		return cli_fail(&err);
	pond_buf views = POND_BUF_INIT;
	for (size_t i = 0; i < sizeof(demo_files) / sizeof(demo_files[0]); i++) {
		pond_buf path = POND_BUF_INIT;
		pond_buf_printf(&path, "%s/%s.csv", dir, demo_files[i]);
		pond_buf_printf(&views, "create view %s as select * from read_csv(", demo_files[i]);
		pond_sql_quote_literal(&views, pond_buf_cstr(&path));
		pond_buf_puts(&views, ");\n");
		pond_buf_dispose(&path);
	}
	int exit_code = EXIT_FAIL;
	if (cli_sql_run(&s, pond_buf_cstr(&views)) == 0) {
		printf("Views: prices, fx, dividends, holdings. Try:\n"
		       "  select ticker, min(close), max(close) from prices group by ticker;\n");
		cli_sigint_install(s.engine);
		exit_code = cli_shell(&s);
	}
	pond_buf_dispose(&views);
	pond_engine_close(&s.engine);
	return exit_code;
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
	int64_t rows;
	if (cli_generate_markets(dir, &rows, &err) != 0)
		return cli_fail(&err);
	printf("pond demo: wrote %lld daily prices, FX rates, dividends and holdings to %s\n", (long long)rows, dir);
	return no_shell ? EXIT_OK : open_shell(dir);
}

const cli_command cli_demo_command = {
	"demo", "write sample market data and open the SQL shell on it", demo_help, cmd_demo,
};
