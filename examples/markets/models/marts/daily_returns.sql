-- materialized: incremental
-- incremental: merge
-- unique_key: ticker, day
-- watermark: day
-- partition_by: month(day)
-- tags: daily, finance
-- description: daily return per ticker, close to close
-- columns: ret = the day's return (close / previous close - 1);
--          day = trading day
-- tests: not_null(ticker, day, close), unique(ticker, day),
--        relationships(ticker, raw.tickers.ticker),
--        expression(ret between -0.5 and 0.5) warn,
--        row_count(>= 1), freshness(day, 30 days) severity: warn
select ticker, day, close,
       close / lag(close) over (partition by ticker order by day) - 1 as ret
from staging.prices
