select 'it''s' as "a""b", $x$ ; $x$ from ns.t at (version => 3) -- c;
/* d; */ where x in (1, 2);
insert into t values (1);