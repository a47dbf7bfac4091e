-- materialized: view
-- tags: daily
-- description: the last close of each ticker, with its name
-- tests: unique(ticker)
select r.ticker, t.name, r.day, r.close, r.ret
from marts.daily_returns r
join raw.tickers t using (ticker)
qualify row_number() over (partition by r.ticker order by r.day desc) = 1
