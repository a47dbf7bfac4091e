/*
 * `pond generate`: seeded, network-free data sets for the demo, examples
 * and benchmarks. The same seed gives the same bytes on every machine.
 *   markets DIR  ten years of daily prices for twenty tickers, FX rates,
 *                dividends and a portfolio of holdings (the demo's data)
 *   taxi ROWS    trips with the NYC yellow-taxi schema
 */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char generate_help[] =
	"usage: pond generate markets DIR\n"
	"       pond generate taxi ROWS --output FILE [--format csv|ndjson] [--seed N]\n"
	"\n"
	"Writes generated data sets, the same for the same seed on every machine\n"
	"(no network).\n"
	"\n"
	"  markets DIR   prices.csv (trading days 2015-2024, 20 tickers), fx.csv\n"
	"                (daily USD, EUR and GBP in CHF), dividends.csv (quarterly)\n"
	"                and holdings.csv (a portfolio of 10 positions)\n"
	"  taxi ROWS     trips with the public NYC yellow-taxi schema (VendorID,\n"
	"                tpep_pickup_datetime, ..., total_amount, airport_fee)\n"
	"\n"
	"options (taxi):\n"
	"  -o, --output FILE   where to write (required)\n"
	"  --format FMT        csv (default) or ndjson\n"
	"  --seed N            the generator's seed (default 1)\n";

/* xorshift64*: small and seeded, so the data is the same everywhere. */
typedef struct {
	uint64_t s;
} rng;

static double uniform(rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return (double)((r->s * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static double normal(rng *r)
{
	double u1 = uniform(r), u2 = uniform(r);
	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

static rng seeded(uint64_t seed)
{
	rng r = {0x9E3779B97F4A7C15ULL ^ (seed + 1) * 0xD1B54A32D192ED03ULL};
	for (int i = 0; i < 8; i++)
		uniform(&r);
	return r;
}

/* A file written through a buffer and renamed into place when complete. */
typedef struct {
	char path[4096];
	char tmp[4200];
	FILE *f;
	pond_buf b;
} out_file;

static int out_open(out_file *o, const char *path, pond_error *err)
{
	memset(o, 0, sizeof(*o));
	if (snprintf(o->path, sizeof(o->path), "%s", path) >= (int)sizeof(o->path))
		return pond_error_set(err, POND_EINVAL, "path too long: %s", path);
	snprintf(o->tmp, sizeof(o->tmp), "%s.tmp-generate", path);
	if (!(o->f = fopen(o->tmp, "w")))
		return pond_error_set(err, POND_EIO, "could not create %s: %m", o->tmp);
	return 0;
}

static int out_flush(out_file *o, bool final, pond_error *err)
{
	if (!final && o->b.len < (1 << 20))
		return 0;
	if (!pond_buf_ok(&o->b))
		return pond_error_set(err, POND_ENOMEM, "out of memory writing %s", o->path);
	if (o->b.len && fwrite(o->b.ptr, 1, o->b.len, o->f) != o->b.len)
		return pond_error_set(err, POND_EIO, "could not write %s: %m", o->tmp);
	pond_buf_clear(&o->b);
	return 0;
}

static int out_close(out_file *o, int rc, pond_error *err)
{
	if (rc == 0)
		rc = out_flush(o, true, err);
	if (fclose(o->f) != 0 && rc == 0)
		rc = pond_error_set(err, POND_EIO, "could not write %s: %m", o->tmp);
	if (rc == 0 && rename(o->tmp, o->path) != 0)
		rc = pond_error_set(err, POND_EIO, "could not rename %s: %m", o->tmp);
	if (rc)
		remove(o->tmp);
	pond_buf_dispose(&o->b);
	return rc;
}

static void put_date(pond_buf *b, int64_t day)
{
	int64_t y;
	unsigned m, d;
	pond_civil_from_days(day, &y, &m, &d);
	pond_buf_printf(b, "%04lld-%02u-%02u", (long long)y, m, d);
}

static bool trading_day(int64_t day)
{
	int weekday = (int)((day % 7 + 7 + 4) % 7);  /* 1970-01-01 was a Thursday */
	return weekday != 0 && weekday != 6;
}

/* ---- markets ---------------------------------------------------------------- */

static const struct {
	const char *ticker, *name, *currency;
	double start, drift, vol, dividend_yield;
} tickers[] = {
	{"AAPL", "Apple", "USD", 110, 0.18, 0.28, 0.006}, {"MSFT", "Microsoft", "USD", 55, 0.20, 0.25, 0.009},
	{"GOOG", "Alphabet", "USD", 38, 0.15, 0.27, 0.0}, {"AMZN", "Amazon", "USD", 30, 0.17, 0.32, 0.0},
	{"NVDA", "Nvidia", "USD", 8, 0.45, 0.50, 0.001}, {"META", "Meta", "USD", 95, 0.12, 0.38, 0.0},
	{"BRK", "Berkshire", "USD", 140, 0.10, 0.18, 0.0}, {"JPM", "JPMorgan", "USD", 60, 0.11, 0.24, 0.025},
	{"V", "Visa", "USD", 75, 0.13, 0.22, 0.007}, {"JNJ", "Johnson & Johnson", "USD", 105, 0.05, 0.16, 0.026},
	{"WMT", "Walmart", "USD", 22, 0.09, 0.19, 0.015}, {"PG", "Procter & Gamble", "USD", 80, 0.06, 0.16, 0.025},
	{"XOM", "Exxon", "USD", 85, 0.04, 0.28, 0.045}, {"KO", "Coca-Cola", "USD", 42, 0.05, 0.15, 0.03},
	{"PEP", "PepsiCo", "USD", 100, 0.06, 0.16, 0.028}, {"NESN", "Nestle", "CHF", 70, 0.04, 0.15, 0.028},
	{"ASML", "ASML", "EUR", 95, 0.22, 0.35, 0.01}, {"SAP", "SAP", "EUR", 75, 0.10, 0.24, 0.015},
	{"TSM", "TSMC", "USD", 28, 0.25, 0.33, 0.018}, {"VWRL", "FTSE All-World ETF", "GBP", 55, 0.08, 0.14, 0.018},
};
#define NTICKERS (sizeof(tickers) / sizeof(tickers[0]))

static const int64_t MARKETS_FIRST = 16437; /* 2015-01-02 */
static const int64_t MARKETS_LAST = 20088;  /* 2024-12-31 */

/* prices.csv and dividends.csv together: dividends are a share of the
 * price on the quarter's ex-date. closes[t][i] keeps the closing prices for
 * holdings.csv's cost basis. */
static int write_prices(const char *dir, double *closes, size_t ndays, int64_t *rows, pond_error *err)
{
	out_file p, d;
	pond_buf path = POND_BUF_INIT, dpath = POND_BUF_INIT;
	pond_buf_printf(&path, "%s/prices.csv", dir);
	pond_buf_printf(&dpath, "%s/dividends.csv", dir);
	int rc = out_open(&p, pond_buf_cstr(&path), err);
	if (rc == 0 && (rc = out_open(&d, pond_buf_cstr(&dpath), err)) != 0)
		out_close(&p, rc, err);
	if (rc) {
		pond_buf_dispose(&path);
		pond_buf_dispose(&dpath);
		return rc;
	}
	pond_buf_puts(&p.b, "date,ticker,currency,open,high,low,close,volume\n");
	pond_buf_puts(&d.b, "ex_date,ticker,currency,amount_per_share\n");
	*rows = 0;
	for (size_t t = 0; t < NTICKERS && rc == 0; t++) {
		rng r = seeded(t);
		double price = tickers[t].start, dt = 1.0 / 252;
		size_t k = 0;
		for (int64_t day = MARKETS_FIRST; day <= MARKETS_LAST && rc == 0; day++) {
			if (!trading_day(day))
				continue;
			double open = price;
			price *= exp((tickers[t].drift - tickers[t].vol * tickers[t].vol / 2) * dt +
			             tickers[t].vol * sqrt(dt) * normal(&r));
			double spread = fabs(normal(&r)) * tickers[t].vol * sqrt(dt) * price;
			double high = fmax(open, price) + spread / 2, low = fmin(open, price) - spread / 2;
			int64_t volume = (int64_t)(1e6 * (1 + 4 * uniform(&r)));
			put_date(&p.b, day);
			pond_buf_printf(&p.b, ",%s,%s,%.2f,%.2f,%.2f,%.2f,%lld\n", tickers[t].ticker, tickers[t].currency, open,
			                high, low, price, (long long)volume);
			closes[t * ndays + k++] = price;
			(*rows)++;
			int64_t y;
			unsigned m, dd;
			pond_civil_from_days(day, &y, &m, &dd);
			/* Quarterly dividends: the first trading day after the 14th of
			 * Feb, May, Aug and Nov. */
			bool quarter = (m % 3) == 2 && dd >= 15 && dd <= 17;
			if (quarter && tickers[t].dividend_yield > 0 &&
			    !(dd > 15 && trading_day(day - 1) && (pond_civil_from_days(day - 1, &y, &m, &dd), dd >= 15))) {
				put_date(&d.b, day);
				pond_buf_printf(&d.b, ",%s,%s,%.4f\n", tickers[t].ticker, tickers[t].currency,
				                price * tickers[t].dividend_yield / 4);
			}
			rc = out_flush(&p, false, err);
		}
	}
	rc = out_close(&p, rc, err);
	rc = out_close(&d, rc, err);
	pond_buf_dispose(&path);
	pond_buf_dispose(&dpath);
	return rc;
}

static int write_fx(const char *dir, pond_error *err)
{
	static const struct { const char *currency; double start, vol; } pairs[] = {
		{"USD", 0.99, 0.07}, {"EUR", 1.07, 0.05}, {"GBP", 1.48, 0.08},
	};
	out_file o;
	pond_buf path = POND_BUF_INIT;
	pond_buf_printf(&path, "%s/fx.csv", dir);
	int rc = out_open(&o, pond_buf_cstr(&path), err);
	pond_buf_dispose(&path);
	if (rc)
		return rc;
	pond_buf_puts(&o.b, "date,currency,chf_per_unit\n");
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		rng r = seeded(100 + i);
		double rate = pairs[i].start;
		for (int64_t day = MARKETS_FIRST; day <= MARKETS_LAST; day++) {
			if (!trading_day(day))
				continue;
			rate *= exp(pairs[i].vol * sqrt(1.0 / 252) * normal(&r) - 0.0001 * (rate - pairs[i].start));
			put_date(&o.b, day);
			pond_buf_printf(&o.b, ",%s,%.5f\n", pairs[i].currency, rate);
		}
	}
	pond_buf_puts(&o.b, "");
	return out_close(&o, 0, err);
}

static int write_holdings(const char *dir, const double *closes, size_t ndays, pond_error *err)
{
	static const struct { size_t ticker; int shares; int bought_day_index; } positions[] = {
		{0, 40, 120}, {1, 60, 300}, {4, 150, 700}, {8, 30, 900}, {9, 25, 50},
		{13, 100, 1100}, {15, 80, 200}, {16, 12, 1500}, {18, 70, 1800}, {19, 200, 10},
	};
	out_file o;
	pond_buf path = POND_BUF_INIT;
	pond_buf_printf(&path, "%s/holdings.csv", dir);
	int rc = out_open(&o, pond_buf_cstr(&path), err);
	pond_buf_dispose(&path);
	if (rc)
		return rc;
	pond_buf_puts(&o.b, "ticker,name,currency,shares,bought_on,cost_per_share\n");
	for (size_t i = 0; i < sizeof(positions) / sizeof(positions[0]); i++) {
		size_t t = positions[i].ticker, k = (size_t)positions[i].bought_day_index;
		/* The k-th trading day from the start. */
		int64_t day = MARKETS_FIRST;
		for (size_t seen = 0;; day++)
			if (trading_day(day) && seen++ == k)
				break;
		pond_buf_printf(&o.b, "%s,\"%s\",%s,%d,", tickers[t].ticker, tickers[t].name, tickers[t].currency,
		                positions[i].shares);
		put_date(&o.b, day);
		pond_buf_printf(&o.b, ",%.2f\n", closes[t * ndays + k]);
	}
	return out_close(&o, 0, err);
}

int cli_generate_markets(const char *dir, int64_t *price_rows, pond_error *err)
{
	int rc = pond_mkdirs(dir, err);
	if (rc)
		return rc;
	size_t ndays = (size_t)(MARKETS_LAST - MARKETS_FIRST + 1);
	double *closes = pond_calloc(NTICKERS * ndays, sizeof(double));
	if (!closes)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int64_t rows = 0;
	rc = write_prices(dir, closes, ndays, &rows, err);
	if (rc == 0)
		rc = write_fx(dir, err);
	if (rc == 0)
		rc = write_holdings(dir, closes, ndays, err);
	pond_free(closes);
	if (price_rows)
		*price_rows = rows;
	return rc;
}

/* ---- taxi trips ---------------------------------------------------------------- */

int cli_generate_taxi(const char *path, int64_t rows, bool ndjson, uint64_t seed, pond_error *err)
{
	out_file o;
	int rc = out_open(&o, path, err);
	if (rc)
		return rc;
	static const char *const cols[] = {
		"VendorID", "tpep_pickup_datetime", "tpep_dropoff_datetime", "passenger_count", "trip_distance",
		"RatecodeID", "store_and_fwd_flag", "PULocationID", "DOLocationID", "payment_type", "fare_amount",
		"extra", "mta_tax", "tip_amount", "tolls_amount", "improvement_surcharge", "total_amount",
		"congestion_surcharge", "airport_fee",
	};
	size_t ncols = sizeof(cols) / sizeof(cols[0]);
	if (!ndjson) {
		for (size_t c = 0; c < ncols; c++)
			pond_buf_printf(&o.b, "%s%s", c ? "," : "", cols[c]);
		pond_buf_putc(&o.b, '\n');
	}
	rng r = seeded(seed);
	int64_t start = pond_days_from_civil(2024, 1, 1) * 86400;
	for (int64_t i = 0; i < rows && rc == 0; i++) {
		int64_t pickup = start + (int64_t)(uniform(&r) * 366 * 86400);
		double miles = 0.3 + -log(1 - uniform(&r) * 0.999) * 3.0;
		int64_t dropoff = pickup + 120 + (int64_t)(miles * (150 + 250 * uniform(&r)));
		int vendor = 1 + (uniform(&r) < 0.7), passengers = 1 + (int)(uniform(&r) * uniform(&r) * 5);
		int rate = uniform(&r) < 0.95 ? 1 : 2, pu = 1 + (int)(uniform(&r) * 265), dolo = 1 + (int)(uniform(&r) * 265);
		int payment = uniform(&r) < 0.75 ? 1 : 2;
		double fare = 3.0 + miles * 2.5, extra = (pickup / 3600 % 24) >= 20 ? 1.0 : 0.0, mta = 0.5;
		double tip = payment == 1 ? round(fare * (0.1 + 0.15 * uniform(&r)) * 100) / 100 : 0.0;
		double tolls = uniform(&r) < 0.05 ? 6.94 : 0.0, improve = 1.0, congestion = uniform(&r) < 0.8 ? 2.5 : 0.0;
		double airport = pu == 132 || pu == 138 ? 1.75 : 0.0;
		double total = fare + extra + mta + tip + tolls + improve + congestion + airport;
		char pick[40], drop[40];
		pond_time_format_us(pick, pickup * 1000000);
		pond_time_format_us(drop, dropoff * 1000000);
		pick[19] = drop[19] = '\0';  /* "2024-03-01T08:15:00", no zone */
		pick[10] = drop[10] = ' ';
		if (ndjson)
			pond_buf_printf(&o.b,
			                "{\"VendorID\":%d,\"tpep_pickup_datetime\":\"%s\",\"tpep_dropoff_datetime\":\"%s\","
			                "\"passenger_count\":%d,\"trip_distance\":%.2f,\"RatecodeID\":%d,\"store_and_fwd_flag\":\"N\","
			                "\"PULocationID\":%d,\"DOLocationID\":%d,\"payment_type\":%d,\"fare_amount\":%.2f,"
			                "\"extra\":%.2f,\"mta_tax\":%.2f,\"tip_amount\":%.2f,\"tolls_amount\":%.2f,"
			                "\"improvement_surcharge\":%.2f,\"total_amount\":%.2f,\"congestion_surcharge\":%.2f,"
			                "\"airport_fee\":%.2f}\n",
			                vendor, pick, drop, passengers, miles, rate, pu, dolo, payment, fare, extra, mta, tip,
			                tolls, improve, total, congestion, airport);
		else
			pond_buf_printf(&o.b, "%d,%s,%s,%d,%.2f,%d,N,%d,%d,%d,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f\n",
			                vendor, pick, drop, passengers, miles, rate, pu, dolo, payment, fare, extra, mta, tip,
			                tolls, improve, total, congestion, airport);
		rc = out_flush(&o, false, err);
	}
	return out_close(&o, rc, err);
}

static int cmd_generate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'}, {"format", required_argument, NULL, 'f'},
		{"seed", required_argument, NULL, 's'},   {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *output = NULL, *format = "csv", *seed_text = "1";
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o': output = optarg; break;
		case 'f': format = optarg; break;
		case 's': seed_text = optarg; break;
		case 'h': return cli_print_help(&cli_generate_command);
		case ':': return cli_usage_error("generate", "option %s needs a value", argv[optind - 1]);
		default: return cli_usage_error("generate", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return cli_usage_error("generate", "expected markets DIR or taxi ROWS");
	const char *what = argv[optind], *arg = argv[optind + 1];
	pond_error err = POND_ERROR_INIT;
	if (strcmp(what, "markets") == 0) {
		int64_t rows;
		if (cli_generate_markets(arg, &rows, &err) != 0)
			return cli_fail(&err);
		printf("wrote %lld prices, fx.csv, dividends.csv and holdings.csv to %s\n", (long long)rows, arg);
		return EXIT_OK;
	}
	if (strcmp(what, "taxi") != 0)
		return cli_usage_error("generate", "unknown data set \"%s\" (expected markets or taxi)", what);
	int64_t rows, seed;
	if (!pond_str_to_i64(arg, &rows) || rows < 0)
		return cli_usage_error("generate", "ROWS must be a whole number, got \"%s\"", arg);
	if (!pond_str_to_i64(seed_text, &seed))
		return cli_usage_error("generate", "--seed must be a whole number, got \"%s\"", seed_text);
	if (!output)
		return cli_usage_error("generate", "taxi needs --output FILE");
	if (strcmp(format, "csv") != 0 && strcmp(format, "ndjson") != 0)
		return cli_usage_error("generate", "unknown format \"%s\" (expected csv or ndjson)", format);
	if (cli_generate_taxi(output, rows, strcmp(format, "ndjson") == 0, (uint64_t)seed, &err) != 0)
		return cli_fail(&err);
	return EXIT_OK;
}

const cli_command cli_generate_command = {
	"generate", "write generated data sets (markets, NYC taxi trips)", generate_help, cmd_generate,
};
