#!/usr/bin/env bash
# End-to-end: web-page sources (type: html, and `pond ingest URL --html`)
# against pages this script writes and serves from a local HTTP server:
# nested tables, colspan and rowspan, missing cells, entities, a
# windows-1252 page that declares its charset in a <meta>, pagination by a
# next link (with a loop back to the first page) and by a URL template.
# Loaded rows are read back with `pond sql` and compared with values stated
# per page here, and, for the generated table, with what python3's
# html.parser reads from the same page.
. "$(dirname "$0")/lib.sh"

P="$T/proj"
"$POND" init --bare "$P" >/dev/null 2>&1 || { mkdir -p "$P"; printf 'name: t\nwarehouse: warehouse\ncatalog: catalog.db\n' > "$P/pond.yml"; }
mkdir -p "$P/sources" "$T/site/list" "$T/site/t"
cd "$P" || exit 1

# --- the test server: files from $T/site; *.utf8.html say their charset in
# the Content-Type, others are plain text/html. Each request is logged
# with its User-Agent and Accept headers; /stats says how many were in flight at most. ---
cat > "$T/server.py" <<'EOF'
import os, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
root, port_file = sys.argv[1], sys.argv[2]
lock = threading.Lock()
state = {"inflight": 0, "max": 0}
class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        with lock:
            state["inflight"] += 1
            state["max"] = max(state["max"], state["inflight"])
            with open(os.path.join(root, "..", "requests.log"), "a") as f:
                f.write("%s\t%s\t%s\n" % (self.path, self.headers.get("User-Agent", ""), self.headers.get("Accept", "")))
        try:
            if self.path == "/stats":
                body, ctype, code = ("%d" % state["max"]).encode(), "text/plain", 200
            else:
                path = os.path.join(root, self.path.split("?")[0].lstrip("/"))
                if os.path.isfile(path):
                    body = open(path, "rb").read()
                    ctype = "text/html; charset=utf-8" if path.endswith(".utf8.html") else "text/html"
                    code = 200
                else:
                    body, ctype, code = b"not found", "text/plain", 404
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
        finally:
            # Out of flight before the body goes: a client that waits for
            # a whole answer before asking again never overlaps itself.
            with lock:
                state["inflight"] -= 1
        self.wfile.write(body)
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(port_file + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(port_file + ".tmp", port_file)
s.serve_forever()
EOF
python3 "$T/server.py" "$T/site" "$T/port" &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 200); do [ -s "$T/port" ] && break; sleep 0.05; done
SITE="http://127.0.0.1:$(cat "$T/port")"

q() { "$POND" sql "$1" --format csv | tail -n +2; }
source_yml() { cat > "$P/sources/$1.yml"; }

# --- a table with the ugly parts of real sites ---
cat > "$T/site/quotes.utf8.html" <<'EOF'
<!DOCTYPE html>
<html><head><title>Quotes</title></head><body>
<table class="layout"><tr><td>menu</td></tr></table>
<table id="quotes">
<caption>Prices</caption>
<thead>
  <tr><th>Company</th><th>Price&nbsp;(USD)</th><th colspan="2">Change</th><th>Date</th></tr>
</thead>
<tbody>
  <tr><td rowspan="2">Caf&eacute; &amp; Co</td><td>$1,234.50</td><td>+1.5%</td><td>(12)</td><td>Jan 3, 2024</td></tr>
  <tr><td>n/a</td><td>&minus;0.25%</td><td>3</td><td>Feb 10, 2024</td></tr>
  <tr><td>Big&#8364;Corp <table><tr><td>nested</td><td>9,999</td></tr></table></td>
      <td>2,000</td><td>3%</td></tr>
  <tr><th>Company</th><th>Price (USD)</th><th>Change</th><th>Change</th><th>Date</th></tr>
  <tr><td>  Spaced
      Out  </td><td>7</td><td>-</td><td>1,000</td><td>Dec 31, 2023</td></tr>
</tbody>
</table>
</body></html>
EOF
source_yml quotes <<EOF
type: html
table: raw.quotes
url: $SITE/quotes.utf8.html
html_table: "#quotes"
delay: 0s
columns:
  price_usd: number
  change: percent
  change_2: integer
  date: {type: date, format: "%b %d, %Y"}
EOF
expect_exit "html table loads" 0 "$POND" ingest quotes
expect_contains "html table: rows counted" "$OUT" "loaded 4 rows into raw.quotes"
expect_eq "html table: column names from the header (colspan repeated) and types" \
  "$("$POND" sql "describe raw.quotes" --format csv | tail -n +2 | cut -d, -f1,2 | paste -sd' ')" \
  "company,VARCHAR price_usd,DOUBLE change,DOUBLE change_2,BIGINT date,DATE"
expect_eq "html table: rows (rowspan, entities, nested table left out, missing cells, header repeat skipped)" \
  "$(q "select company, price_usd, change, change_2, date from raw.quotes order by date nulls last")" \
  "$(printf '%s\n' 'Spaced Out,7.0,,1000,2023-12-31' 'Café & Co,1234.5,0.015,-12,2024-01-03' \
      'Café & Co,,-0.0025,3,2024-02-10' 'Big€Corp,2000.0,0.03,,')"

expect_exit "html_table by index (the second table)" 0 "$POND" ingest "$SITE/quotes.utf8.html" --html --select 2 \
  --table raw.quotes_cli
expect_eq "--html: same rows, as text" "$(q "select count(*), min(replace(price_usd, ',', '')) from raw.quotes_cli")" \
  "4,\$1234.50"
expect_exit "--html with a selector" 0 "$POND" ingest "$SITE/quotes.utf8.html" --html --select "table.layout" \
  --table raw.layout
expect_contains "--html: a table of a header only has no rows" "$OUT" "no new rows for raw.layout"

# --- a windows-1252 page that says so only in a <meta> ---
printf '%s\n' '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">' \
  '<title>Legacy</title></head><body><table>' \
  '<tr><th>Name</th><th>Amount</th></tr>' > "$T/site/legacy.html"
printf '<tr><td>Caf\xe9 \x93Ol\xe9\x94</td><td>\x801.234,5</td></tr>\n' >> "$T/site/legacy.html"
printf '<tr><td>Stra\xdfe</td><td>-7,25 \x80</td></tr>\n' >> "$T/site/legacy.html"
printf '</table></body></html>\n' >> "$T/site/legacy.html"
source_yml legacy <<EOF
type: html
table: raw.legacy
url: $SITE/legacy.html
delay: 0s
decimal_mark: ","
columns:
  amount: number
EOF
expect_exit "windows-1252 page loads" 0 "$POND" ingest legacy
expect_eq "windows-1252 text converted to UTF-8, decimal comma read" \
  "$(q "select name, amount from raw.legacy order by amount")" \
  "$(printf '%s\n' 'Straße,-7.25' 'Café “Olé”,1234.5')"

# --- rows from repeated elements, following a next link ---
page() {  # page N NEXT: items 3N-2..3N, a next link to NEXT (none when empty)
  local n=$1 next=$2 i
  {
    echo "<html><body><div class='list'>"
    for i in $(seq $((3 * n - 2)) $((3 * n))); do
      echo "<div class='item' data-id='$i'><h3>Item <b>$i</b></h3><a class='more' href='/detail/$i.html?ref=list'>more</a>"
      if [ "$i" -ne 5 ]; then echo "<span class='price'>$i,00$i.5</span>"; fi
      echo "</div>"
    done
    echo "</div>"
    [ -z "$next" ] || echo "<p class='nav'><a href='prev.html'>prev</a> <a class='next' rel='next' href='$next'>next</a></p>"
    echo "</body></html>"
  } > "$T/site/list/p$n.html"
}
page 1 p2.html; page 2 "/list/p3.html"; page 3 "p1.html"
source_yml items <<EOF
type: html
table: raw.items
url: $SITE/list/p1.html
next: "p.nav a[rel=next]"
delay: 0s
rows: div.list > div.item
columns:
  id: {select: "@data-id", type: integer}
  name: h3
  link: "a.more @href"
  price: {select: span.price, type: number, optional: true}
mode: replace
EOF
expect_exit "next-link pagination loads (and stops at the loop back to page 1)" 0 "$POND" ingest items
expect_eq "rows from three pages" "$(q "select count(*), sum(id) from raw.items")" "9,45"
expect_eq "row columns: text, resolved link, attribute, optional number" \
  "$(q "select id, name, link, price from raw.items where id in (4, 5) order by id")" \
  "$(printf '%s\n' "4,Item 4,$SITE/detail/4.html?ref=list,4004.5" "5,Item 5,$SITE/detail/5.html?ref=list,")"
expect_eq "each page requested once" "$(grep -c '^/list/p' "$T/requests.log")" "3"
expect_exit "mode replace: a second run" 0 "$POND" ingest items
expect_eq "mode replace: the table holds the last run's rows" "$(q "select count(*), count(distinct id) from raw.items")" "9,9"
sed -i 's/^mode: replace$/mode: merge\nkey: id/' "$P/sources/items.yml"
sed -i '/^  price:/a\  number: {select: h3 b, type: integer}' "$P/sources/items.yml"
expect_exit "a new column on a later run (merge on id)" 0 "$POND" ingest items
expect_contains "... evolves the table" "$OUT" "added column number (long)"
expect_eq "... merged rows have it" "$(q "select count(*), sum(number) from raw.items where number = id")" "9,45"

source_yml items_max <<EOF
type: html
table: raw.items_max
url: $SITE/list/p1.html
next: "a.next"
max_pages: 2
delay: 0s
rows: div.item
columns:
  id: {select: "@data-id", type: integer}
EOF
expect_exit "max_pages bounds a run" 0 "$POND" ingest items_max
expect_eq "max_pages: two pages read" "$(q "select count(*) from raw.items_max")" "6"

# --- a URL template over a range, the default (polite) delay ---
for n in 1 2 3; do
  {
    echo "<html><body><table><tr><th>Day</th><th>Visitors</th><th>Share</th></tr>"
    for d in 1 2; do
      echo "<tr><td>$((n * 2 + d - 2))/03/2024</td><td>$((n * 1000 + d))</td><td>$n$d.5 %</td></tr>"
    done
    echo "</table></body></html>"
  } > "$T/site/t/day$n.html"
done
source_yml days <<EOF
type: html
table: raw.days
url: "$SITE/t/day{page}.html"
pages: {from: 1, to: 3}
columns:
  day: {type: date, format: "%d/%m/%Y"}
  visitors: integer
  share: number
incremental: {field: day}
EOF
: > "$T/requests.log"
expect_exit "template range loads (default delay between pages)" 0 "$POND" ingest days
expect_eq "template range rows" "$(q "select count(*), sum(visitors), min(day), max(day), sum(share) from raw.days")" \
  "6,12009,2024-03-01,2024-03-06,132.0"
expect_eq "one request at a time" "$(curl -s "$SITE/stats")" "1"
expect_contains "User-Agent names pond and its version" "$(head -n 1 "$T/requests.log")" $'\tpond/0.1.0 (html source)\t'
expect_contains "pages are asked for as HTML" "$(head -n 1 "$T/requests.log")" $'\ttext/html, '


# Incremental: a run with nothing new commits nothing; a new later row
# comes in alone.
printf 'delay: 0s\n' >> "$P/sources/days.yml"
expect_exit "incremental rerun" 0 "$POND" ingest days
expect_contains "incremental rerun: nothing new" "$OUT" "no new rows for raw.days"
sed -i 's#</table>#<tr><td>07/03/2024</td><td>7</td><td>1 %</td></tr></table>#' "$T/site/t/day3.html"
expect_exit "incremental run with one new row" 0 "$POND" ingest days
expect_contains "incremental: one row" "$OUT" "loaded 1 rows into raw.days"
expect_eq "incremental: rows after" "$(q "select count(*), max(day) from raw.days")" "7,2024-03-07"

# --- failures name the page, the row and the column; nothing commits ---
fail_yml() {  # fail_yml NAME TABLE-OR-ROWS-LINES...
  local name=$1; shift
  { printf 'type: html\ntable: raw.%s\ndelay: 0s\n' "$name"; printf '%s\n' "$@"; } > "$P/sources/$name.yml"
}
fail_yml nomatch "url: $SITE/quotes.utf8.html" 'html_table: "table.prices"'
expect_exit "a table selector that matches nothing fails" 1 "$POND" ingest nomatch
expect_eq "... naming the page and the selector" "$ERR" \
  "pond: error: $SITE/quotes.utf8.html: html_table \"table.prices\" matches nothing on the page"
fail_yml norows "url: $SITE/list/p1.html" 'rows: li.item' 'columns: {id: "@data-id"}'
expect_exit "a rows selector that matches nothing fails" 1 "$POND" ingest norows
expect_contains "... naming the selector" "$ERR" "$SITE/list/p1.html: rows \"li.item\" matches nothing on the page"
fail_yml missing "url: $SITE/list/p1.html" 'next: a.next' 'rows: div.item' 'columns:' '  id: "@data-id"' \
  '  price: span.price'
expect_exit "a column missing in a row fails" 1 "$POND" ingest missing
expect_eq "... naming page, row and column" "$ERR" \
  "pond: error: $SITE/list/p2.html: row 2, column \"price\": \"span.price\" matches nothing in the row"
fail_yml badnum "url: $SITE/quotes.utf8.html" 'html_table: 2' 'columns: {company: number}'
expect_exit "an unparsable number fails" 1 "$POND" ingest badnum
expect_eq "... naming page, row, column and value" "$ERR" \
  "pond: error: $SITE/quotes.utf8.html: row 1, column \"company\": cannot read \"Café & Co\" as a number"
expect_eq "failed runs committed nothing" \
  "$("$POND" tables --json | python3 -c 'import json,sys; print(sorted(t["table"] for t in json.load(sys.stdin)))')" \
  "['raw.days', 'raw.items', 'raw.items_max', 'raw.legacy', 'raw.quotes', 'raw.quotes_cli']"
# A failure on page 2 after a good page 1 keeps the table as it was.
cp "$T/site/t/day2.html" "$T/day2.bak"
sed -i 's#</table>#<tr><td>31/02/2024</td><td>1</td><td>1</td></tr></table>#' "$T/site/t/day2.html"
expect_exit "a bad date on page 2 fails the run" 1 "$POND" ingest days
expect_contains "... naming page 2, its row and the column" "$ERR" \
  "$SITE/t/day2.html: row 3, column \"day\": cannot read \"31/02/2024\" as a date with format %d/%m/%Y"
expect_eq "the table is as it was" "$(q "select count(*) from raw.days")" "7"
cp "$T/day2.bak" "$T/site/t/day2.html"

# --- a generated table of 2,000 rows against python3's html.parser ---
python3 - "$T/site/gen.utf8.html" <<'EOF'
import random, sys
random.seed(7)
rows = []
for i in range(1, 2001):
    amount = random.randint(-10**7, 10**7) / 100
    name = random.choice(["A&amp;B", "caf&eacute;", "x &lt; y", "plain", "&quot;q&quot;"]) + " %d" % i
    cell = ("(%s)" % format(-amount, ",.2f")) if amount < 0 else format(amount, ",.2f")
    rows.append("<tr><td>%d</td><td>%s</td><td>%s</td></tr>" % (i, name, cell))
open(sys.argv[1], "w").write("<html><body><table><tr><th>ID</th><th>Name</th><th>Amount</th></tr>%s</table></body></html>" % "\n".join(rows))
EOF
python3 - "$T/site/gen.utf8.html" > "$T/gen.expected" <<'EOF'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows, self.cell = [], None
    def handle_starttag(self, tag, attrs):
        if tag == "tr": self.rows.append([])
        if tag == "td": self.cell = ""
    def handle_endtag(self, tag):
        if tag == "td": self.rows[-1].append(self.cell); self.cell = None
    def handle_data(self, data):
        if self.cell is not None: self.cell += data
p = P(); p.feed(open(sys.argv[1]).read())
total, names = 0, 0
for r in p.rows[1:]:
    a = r[2].replace(",", "")
    v = -float(a.strip("()")) if a.startswith("(") else float(a)
    total += round(v * 100)
    names += len(r[1])
print("%d,%.2f,%d" % (len(p.rows) - 1, total / 100, names))
EOF
source_yml gen <<EOF
type: html
table: raw.gen
url: $SITE/gen.utf8.html
delay: 0s
columns: {id: integer, amount: number}
EOF
expect_exit "generated table loads" 0 "$POND" ingest gen
expect_eq "generated table equals python's html.parser reading" \
  "$(q "select count(*), sum(amount)::decimal(18,2), sum(length(name)) from raw.gen")" "$(cat "$T/gen.expected")"

finish
