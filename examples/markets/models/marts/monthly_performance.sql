-- materialized: table
-- tags: monthly, finance
-- description: each holding's return and value per month
-- columns: month = first day of the month; growth = the month's compounded return
-- tests: not_null(account, ticker, month), unique(account, ticker, month),
--        accepted_values(side, ['buy', 'sell'])
with monthly as (
    select ticker, date_trunc('month', day) as month,
           exp(sum(ln(1 + coalesce(ret, 0)))) - 1 as growth,
           arg_max(close, day) as last_close
    from marts.daily_returns
    group by all
)
select h.account, h.ticker, h.side, m.month, m.growth, h.shares * m.last_close as value
from raw.holdings h
join monthly m using (ticker)
