-- description: every holding has a monthly performance row
-- severity: error
select h.account, h.ticker
from raw.holdings h
where not exists (select 1 from marts.monthly_performance m where m.account = h.account and m.ticker = h.ticker)
