/*
 * `pond demo`: a whole project from nothing: an investor family's data
 * centre. Writes generated market data (seeded, no network), sources,
 * SQL models with tests, an Excel report and a daily pipeline; runs the
 * pipeline; prints where everything is; then serves the project (runs,
 * tables, SQL) on 127.0.0.1.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>
#include <unistd.h>

static const char demo_help[] =
	"usage: pond demo [DIR] [--no-serve] [--listen ADDR:PORT]\n"
	"\n"
	"Creates a demo project in DIR (default: pond-demo): ten years of daily\n"
	"prices for twenty tickers, FX rates, dividends and a portfolio of ten\n"
	"holdings (generated, the same on every run, no network); sources that\n"
	"load them; SQL models (daily returns, positions in CHF, monthly value,\n"
	"dividend income) with data tests; an Excel report; and a pipeline\n"
	"`daily` that does all of it. Runs the pipeline, prints where everything\n"
	"is, then serves the project with pond serve so its runs and tables can\n"
	"be seen. Run again, it reruns the pipeline on the same project.\n"
	"\n"
	"options:\n"
	"  --no-serve          stop after the pipeline run\n"
	"  --listen ADDR:PORT  where pond serve listens (default 127.0.0.1:8765)\n";

/* The project's files. Data comes from pond generate markets. */
static const cli_file demo_files[] = {
	{"pond.yml",
	 "# pond demo: an investor family's data centre. Every weekday at 07:00\n"
	 "# (Zurich time) the daily pipeline loads prices, FX rates, dividends and\n"
	 "# the holdings, rebuilds the models, tests them and writes the Excel\n"
	 "# report to out/. Run it now with: pond run daily\n"
	 "name: demo\n"
	 "warehouse: warehouse\n"
	 "catalog: catalog.db\n"
	 "\n"
	 "pipelines:\n"
	 "  daily:\n"
	 "    description: load market data, rebuild the models, test, write the report\n"
	 "    schedule: \"0 7 * * 1-5\"\n"
	 "    timezone: Europe/Zurich\n"
	 "    steps:\n"
	 "      - ingest: prices\n"
	 "      - ingest: fx\n"
	 "      - ingest: dividends\n"
	 "      - ingest: holdings\n"
	 "      - transform\n"
	 "      - test\n"
	 "      - export: report\n"},
	{"sources/prices.yml",
	 "# Daily open/high/low/close and volume per ticker, in the ticker's currency.\n"
	 "type: file\n"
	 "path: data/prices.csv\n"
	 "table: raw.prices\n"
	 "mode: merge\n"
	 "key: [date, ticker]\n"},
	{"sources/fx.yml",
	 "# CHF per unit of USD, EUR and GBP, each trading day.\n"
	 "type: file\n"
	 "path: data/fx.csv\n"
	 "table: raw.fx\n"
	 "mode: merge\n"
	 "key: [date, currency]\n"},
	{"sources/dividends.yml",
	 "type: file\n"
	 "path: data/dividends.csv\n"
	 "table: raw.dividends\n"
	 "mode: replace\n"},
	{"sources/holdings.yml",
	 "# The portfolio: what was bought, when and at what cost.\n"
	 "type: file\n"
	 "path: data/holdings.csv\n"
	 "table: raw.holdings\n"
	 "mode: replace\n"},
	{"models/markets/daily_returns.sql",
	 "-- materialized: incremental\n"
	 "-- incremental: merge\n"
	 "-- unique_key: ticker, day\n"
	 "-- watermark: day\n"
	 "-- description: each ticker's daily close-to-close return\n"
	 "-- tests: not_null(ticker, day, close), unique(ticker, day),\n"
	 "--        expression(ret between -0.5 and 0.5) warn\n"
	 "select ticker, \"date\" as day, currency, close,\n"
	 "       close / lag(close) over (partition by ticker order by \"date\") - 1 as ret\n"
	 "from raw.prices\n"},
	{"models/markets/positions.sql",
	 "-- materialized: table\n"
	 "-- description: each holding at its latest close, in CHF\n"
	 "-- tests: unique(ticker), not_null(value_chf), row_count(>= 10)\n"
	 "with latest as (\n"
	 "    select ticker, max(day) as day, arg_max(close, day) as close\n"
	 "    from markets.daily_returns group by ticker\n"
	 "), rates as (\n"
	 "    select currency, arg_max(chf_per_unit, \"date\") as rate from raw.fx group by currency\n"
	 ")\n"
	 "select h.ticker, h.name, h.currency, h.shares, h.bought_on, h.cost_per_share,\n"
	 "       l.day as priced_on, l.close,\n"
	 "       round(h.shares * l.close * coalesce(r.rate, 1.0), 2) as value_chf,\n"
	 "       round(h.shares * (l.close - h.cost_per_share) * coalesce(r.rate, 1.0), 2) as gain_chf\n"
	 "from raw.holdings h\n"
	 "join latest l using (ticker)\n"
	 "left join rates r using (currency)\n"},
	{"models/markets/monthly_value.sql",
	 "-- materialized: table\n"
	 "-- description: the portfolio's value in CHF at each month's last close\n"
	 "-- tests: unique(month), not_null(value_chf)\n"
	 "with month_end as (\n"
	 "    select ticker, date_trunc('month', day) as month, max(day) as day, arg_max(close, day) as close\n"
	 "    from markets.daily_returns group by all\n"
	 "), rates as (\n"
	 "    select currency, date_trunc('month', \"date\") as month, arg_max(chf_per_unit, \"date\") as rate\n"
	 "    from raw.fx group by all\n"
	 ")\n"
	 "select m.month, round(sum(h.shares * m.close * coalesce(r.rate, 1.0)), 2) as value_chf\n"
	 "from raw.holdings h\n"
	 "join month_end m on m.ticker = h.ticker and m.day >= h.bought_on\n"
	 "left join rates r on r.currency = h.currency and r.month = m.month\n"
	 "group by m.month\n"},
	{"models/markets/dividend_income.sql",
	 "-- materialized: table\n"
	 "-- description: dividends received per year and ticker, in CHF\n"
	 "-- tests: not_null(year, ticker, income_chf), unique(year, ticker)\n"
	 "select year(d.ex_date) as year, d.ticker,\n"
	 "       round(sum(h.shares * d.amount_per_share * coalesce(fx.chf_per_unit, 1.0)), 2) as income_chf\n"
	 "from raw.dividends d\n"
	 "join raw.holdings h on h.ticker = d.ticker and d.ex_date >= h.bought_on\n"
	 "left join raw.fx fx on fx.currency = d.currency and fx.\"date\" = d.ex_date\n"
	 "group by all\n"},
	{"exports/report.yml",
	 "# The morning report: opened in Excel, one sheet per question.\n"
	 "format: xlsx\n"
	 "path: out/report-{date}.xlsx\n"
	 "sheets:\n"
	 "  - name: Positions\n"
	 "    sql: select * from markets.positions order by value_chf desc\n"
	 "    columns:\n"
	 "      value_chf: \"#,##0.00\"\n"
	 "      gain_chf: \"#,##0.00\"\n"
	 "      close: \"#,##0.00\"\n"
	 "      cost_per_share: \"#,##0.00\"\n"
	 "  - name: Monthly value\n"
	 "    sql: select month, value_chf from markets.monthly_value order by month\n"
	 "    columns: {month: {format: \"yyyy-mm\"}, value_chf: \"#,##0\"}\n"
	 "    chart: {type: line, x: month, y: [value_chf], title: Portfolio value (CHF)}\n"
	 "  - name: Dividends\n"
	 "    sql: select * from markets.dividend_income order by year, ticker\n"
	 "    columns: {income_chf: \"#,##0.00\"}\n"},
};

/* pond init's bare project, then the demo's files (its pond.yml replaces
 * the one init wrote). */
static int write_project(const char *dir, pond_error *err)
{
	int rc = pond_project_init(dir, "demo", err);
	return rc ? rc : cli_write_files(dir, demo_files, sizeof(demo_files) / sizeof(demo_files[0]), err);
}

static int run_pipeline(const char *dir, pond_error *err)
{
	pond_project *project = NULL;
	pond_pipelines *pipelines = NULL;
	int rc = pond_project_load(&project, dir, err);
	if (rc == 0)
		rc = pond_pipelines_load(&pipelines, project, err);
	pond_run_options opts = POND_RUN_OPTIONS_INIT;
	opts.on_event = cli_print_run_event;
	if (rc == 0)
		rc = pond_pipeline_run(project, pipelines, "daily", &opts, NULL, err);
	pond_pipelines_free(&pipelines);
	pond_project_free(&project);
	return rc;
}

static int cmd_demo(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"no-serve", no_argument, NULL, 'n'},
		{"listen", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int no_serve = 0, opt;
	const char *listen = "127.0.0.1:8765";
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n': no_serve = 1; break;
		case 'l': listen = optarg; break;
		case 'h': return cli_print_help(&cli_demo_command);
		case ':': return cli_usage_error("demo", "option %s needs a value", argv[optind - 1]);
		default: return cli_usage_error("demo", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("demo", "expected at most one folder");
	const char *dir = optind < argc ? argv[optind] : "pond-demo";
	pond_error err = POND_ERROR_INIT;
	pond_buf config = POND_BUF_INIT, data = POND_BUF_INIT;
	pond_buf_printf(&config, "%s/pond.yml", dir);
	pond_buf_printf(&data, "%s/data", dir);
	int64_t rows;
	int rc = 0;
	if (pond_file_exists(pond_buf_cstr(&config))) {
		printf("pond demo: %s already holds a project; running its pipeline again\n", dir);
	} else {
		rc = write_project(dir, &err);
		if (rc == 0)
			rc = cli_generate_markets(pond_buf_cstr(&data), &rows, &err);
		if (rc == 0)
			printf("pond demo: created a project in %s with %lld daily prices, FX rates, dividends and holdings\n",
			       dir, (long long)rows);
	}
	if (rc == 0)
		rc = run_pipeline(dir, &err);
	pond_buf_dispose(&config);
	pond_buf_dispose(&data);
	if (rc)
		return cli_fail(&err);
	printf("\n"
	       "Everything is in %s:\n"
	       "  pond.yml            the daily pipeline (weekdays 07:00 Zurich time)\n"
	       "  sources/ models/    where the data comes from and what is made of it\n"
	       "  out/                the Excel report\n"
	       "  warehouse/          the Iceberg tables (catalog: catalog.db)\n"
	       "\n"
	       "Try, in %s:\n"
	       "  pond tables\n"
	       "  pond sql \"select * from markets.positions order by value_chf desc\"\n"
	       "  pond history markets.daily_returns\n"
	       "  pond lineage\n"
	       "  pond runs\n",
	       dir, dir);
	if (no_serve)
		return EXIT_OK;
	printf("\nServing the project on http://%s (Ctrl-C stops): open it in a browser for runs, tables,\n"
	       "lineage and a SQL editor with charts; the JSON API is under /api\n\n", listen);
	fflush(stdout);
	cli_project_dir = dir;
	char *serve_argv[] = {"serve", "--listen", (char *)listen, NULL};
	return cli_serve_command.run(3, serve_argv);
}

const cli_command cli_demo_command = {
	"demo", "create and run a demo project (market data, models, an Excel report), then serve it", demo_help,
	cmd_demo,
};
