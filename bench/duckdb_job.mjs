// The leadrank job written for DuckDB: the benchmark peer of bench/run_bench.py.
//
//   node bench/duckdb_job.mjs LEADS.csv.gz DEALS.csv OUTDIR AS_OF THREADS
//
// It does a comparable amount of work to `leadrank score LEADS --history DEALS -o OUTDIR
// --gzip`: read both exports, aggregate the deals per vertical key, join, score, dedupe,
// sort by priority and write ranked/disqualified/duplicates as gzip CSV. It prints one
// JSON object on stdout: rows_read (the lead rows DuckDB kept), the rows written to each
// output, the DuckDB version and the seconds per step.
//
// The leads are read with read_csv(ignore_errors = true), the usual way to get a messy
// export through DuckDB: it silently drops the records it cannot parse (a broken quote
// can take a whole run of lines with it), which is why rows_read is reported and compared
// with leadrank's input_rows by run_bench.py. It is not a conforming implementation of
// SPEC.md; the subset it computes, so that the comparison stays honest:
//   - value rules (SPEC §2): missing-value spellings, booleans, numbers with currency,
//     group and percent signs, dates as their first 10 characters; no schema validation
//     and no rejects file (bad values become NULL, unparsable records are dropped);
//   - history (SPEC §3): bad deal rows (outcome not won/lost, invalid date, unparsable
//     amount) are skipped; n, w, c, A, D (median), C per vertical key, the global
//     statistics and their defaults, the smoothed win rate;
//   - scoring (SPEC §4): every fit and risk component, both weight sets, the nine
//     segments, the four disqualification rules, tiers A–D and the top-3 reasons
//     (rounding to one decimal is DuckDB's round(), not leadrank's formatting);
//   - dedupe (SPEC §5): by valid email, else domain + contact name; the latest
//     created_at wins, ties by DuckDB's row id (the read order), not leadrank's rule;
//   - no lead_id uniqueness check and no --model overrides.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';

const [leads, deals, outdir, asOf, threads] = process.argv.slice(2);
if (!threads || !/^\d{4}-\d{2}-\d{2}$/.test(asOf)) {
  console.error('usage: node duckdb_job.mjs LEADS.csv.gz DEALS.csv OUTDIR YYYY-MM-DD THREADS');
  process.exit(2);
}
// SQL string literals: the paths are the only outside text put into the statements.
const lit = (s) => `'${s.replaceAll("'", "''")}'`;
// DuckDB's dialect sniffer gives up on these exports (the broken quotes in its sample),
// so the dialect is stated and the columns are taken from the header line, all VARCHAR.
const csv = (path, names) => `read_csv(${lit(path)}, header = true, auto_detect = false,
  ignore_errors = true, delim = ',', quote = '"', escape = '"',
  columns = {${names.map((n) => `${lit(n)}: 'VARCHAR'`).join(', ')}})`;

// The first line of a plain or gzip file, split on commas (the exports' headers are
// plain names; a quoted header name is not handled).
async function headerOf(path) {
  const magic = await new Promise((resolve, reject) => {
    const s = createReadStream(path, { start: 0, end: 1 });
    const parts = [];
    s.on('data', (b) => parts.push(b)).on('end', () => resolve(Buffer.concat(parts)))
      .on('error', reject);
  });
  const file = createReadStream(path);
  const gzip = magic.length === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  const stream = gzip ? file.pipe(createGunzip()) : file;
  let text = '';
  for await (const chunk of stream) {
    text += chunk.toString('utf8');
    const nl = text.search(/\r?\n|\r/);
    if (nl >= 0) {
      stream.destroy();
      file.destroy();
      return text.slice(0, nl).replace(/^\uFEFF/, '').split(',').map((x) => x.trim());
    }
  }
  return text.replace(/^\uFEFF/, '').split(',').map((x) => x.trim());
}
const AS_OF = `DATE ${lit(asOf)}`;

const MACROS = `
CREATE MACRO present(x) AS x IS NOT NULL
  AND trim(x) NOT IN ('', 'n/a', 'N/A', 'NA', 'null', 'NULL', 'none', 'None', '-');
CREATE MACRO txt(x) AS CASE WHEN present(x) THEN trim(x) END;
CREATE MACRO num(x) AS TRY_CAST(regexp_replace(txt(x), '[$€£,%]', '', 'g') AS DOUBLE);
CREATE MACRO flag(x) AS CASE
  WHEN lower(trim(x)) IN ('true', 't', 'yes', 'y', '1') THEN true
  WHEN lower(trim(x)) IN ('false', 'f', 'no', 'n', '0') THEN false END;
CREATE MACRO day(x) AS TRY_CAST(left(txt(x), 10) AS DATE);
CREATE MACRO clamp01(x) AS greatest(0.0, least(1.0, x));
CREATE MACRO vkey(x) AS lower(trim(regexp_replace(x, '\\s+', ' ', 'g')));
`;

const DEALS = (dealCols) => `
CREATE TABLE deals AS
SELECT vkey(vertical) AS v, lower(trim(account_domain)) AS dom,
       lower(trim(outcome)) = 'won' AS won, num(amount) AS amount,
       num(discount_pct) AS disc, num(cycle_days) AS cyc
FROM ${csv(deals, dealCols)}
WHERE lower(trim(outcome)) IN ('won', 'lost') AND day(closed_at) IS NOT NULL
  AND (NOT present(amount) OR num(amount) IS NOT NULL);
CREATE TABLE gstat AS
SELECT CASE WHEN W = 0 THEN 0.2 ELSE W / N END AS wr_g,
       CASE WHEN W = 0 THEN 10000 ELSE amt END AS amt_g,
       CASE WHEN W = 0 THEN 10 ELSE dmed END AS dmed_g,
       CASE WHEN W = 0 THEN 90 ELSE cyc_m END AS cyc_g
FROM (SELECT count(*)::DOUBLE AS N, count(*) FILTER (WHERE won)::DOUBLE AS W,
             avg(amount) FILTER (WHERE won) AS amt, median(disc) FILTER (WHERE won) AS dmed,
             avg(cyc) FILTER (WHERE won) AS cyc_m FROM deals);
CREATE TABLE hist AS
SELECT v, n, w, c, (w + 20 * wr_g) / (n + 20) AS wr_s,
       CASE WHEN w = 0 THEN amt_g ELSE coalesce(amt, amt_g) END AS amt,
       CASE WHEN w = 0 THEN dmed_g ELSE coalesce(dmed, dmed_g) END AS dmed,
       CASE WHEN w = 0 THEN cyc_g ELSE coalesce(cyc_m, cyc_g) END AS cyc_m
FROM (SELECT v, count(*)::DOUBLE AS n, count(*) FILTER (WHERE won)::DOUBLE AS w,
             count(DISTINCT dom) FILTER (WHERE won)::DOUBLE AS c,
             avg(amount) FILTER (WHERE won) AS amt, median(disc) FILTER (WHERE won) AS dmed,
             avg(cyc) FILTER (WHERE won) AS cyc_m
      FROM deals GROUP BY v), gstat;
`;

const LEADS = (leadCols) => `CREATE TABLE leads AS SELECT * FROM ${csv(leads, leadCols)};`;

// One row per lead: the typed values, then the components, then the scores. Unseen
// verticals take the global statistics (c = 0, wr_s = wr_g).
const SCORE = `
CREATE TABLE s AS
WITH base AS (
  SELECT l.rowid AS rid, l.lead_id, coalesce(day(l.created_at), ${AS_OF}) AS created,
    num(l.budget) AS budget, num(l.annual_revenue) AS revenue,
    coalesce(num(l.discount_requested_pct), 0) AS d,
    coalesce(num(l.price_objections), 0) AS po, coalesce(num(l.competitor_quotes), 0) AS cq,
    coalesce(num(l.info_requests), 0) AS ir, coalesce(num(l.demo_requests), 0) AS dr,
    coalesce(num(l.meetings_held), 0) AS mh, coalesce(num(l.purchases_count), 0) AS pc,
    day(l.last_purchase_at) AS lp, coalesce(flag(l.next_step_committed), false) AS nsc,
    day(l.decision_date) AS dd, present(l.compelling_event) AS ce,
    coalesce(flag(l.pain_stated), false) AS pain, day(l.last_activity_at) AS act,
    coalesce(flag(l.contact_ok), true) AND NOT coalesce(flag(l.do_not_contact), false) AS cok,
    coalesce(flag(l.warm_intro), false) OR lower(txt(l.lead_source)) = 'referral' AS warm,
    coalesce(regexp_full_match(lower(txt(l.email)), '[^@\\s]+@[^@\\s]*\\.[^@\\s]*'), false)
      AS email_ok,
    length(regexp_replace(coalesce(l.phone, ''), '[^0-9]', '', 'g')) >= 7 AS phone_ok,
    coalesce(flag(l.is_decision_maker), regexp_matches(lower(coalesce(l.title, '')),
      '\\b(ceo|cto|cfo|coo|cio|cmo|chief|founder|co-founder|owner|president|vp|vice president|director|head|partner|principal)\\b'))
      AS dm,
    coalesce(lower(txt(l.relationship)), 'new') AS rel,
    CASE WHEN coalesce(regexp_full_match(lower(txt(l.email)), '[^@\\s]+@[^@\\s]*\\.[^@\\s]*'), false)
           THEN lower(txt(l.email))
         WHEN present(l.domain) AND present(l.contact_name)
           THEN lower(txt(l.domain)) || chr(31) || lower(txt(l.contact_name)) END AS dkey,
    coalesce(h.c, 0) AS c, coalesce(h.wr_s, g.wr_g) AS wr_s, g.wr_g,
    coalesce(h.amt, g.amt_g) AS amt, coalesce(h.dmed, g.dmed_g) AS dmed,
    coalesce(h.cyc_m, g.cyc_g) AS cyc_m
  FROM leads l CROSS JOIN gstat g LEFT JOIN hist h ON h.v = vkey(l.vertical)
), comp AS (
  SELECT *,
    CASE WHEN c = 0 THEN 0 ELSE (1 - exp(-c / 20.0)) * least(wr_s / wr_g, 1.5) / 1.5 END AS vb,
    0.6 * ce::INT + 0.4 * pain::INT AS ne,
    CASE WHEN budget IS NOT NULL THEN clamp01(budget / amt)
         WHEN revenue IS NOT NULL THEN 0.7 * clamp01(0.02 * revenue / amt) ELSE 0.3 END AS af,
    CASE WHEN NOT cok THEN 0 WHEN warm THEN 1 WHEN email_ok AND phone_ok THEN 0.7
         WHEN email_ok OR phone_ok THEN 0.5 ELSE 0.1 END AS ap,
    CASE WHEN dm THEN 1 ELSE 0.3 END AS au,
    clamp01(greatest(0, d - dmed) / 25 + 0.12 * po + 0.15 * cq) AS pd,
    CASE WHEN c = 0 THEN 1 WHEN c < 5 THEN 0.5 ELSE 0 END AS nh,
    clamp01((ir + dr - 2 * mh) / 6)
      * CASE WHEN nsc THEN 0.25 WHEN dd >= ${AS_OF} THEN 0.5 ELSE 1 END AS er,
    greatest(clamp01((greatest(0, ${AS_OF} - created) / cyc_m - 1.5) / 2.5),
             clamp01((${AS_OF} - coalesce(act, created) - 90) / 180)) AS st,
    rel IN ('customer', 'returning_customer') AS cust
  FROM base
), contrib AS (
  SELECT *,
    [CASE WHEN cust THEN .15 ELSE .25 END * vb, CASE WHEN cust THEN .15 ELSE .20 END * ne,
     .20 * af, CASE WHEN cust THEN .25 ELSE .15 END * ap, .10 * au,
     CASE WHEN cust THEN .15 ELSE .10 END * (1 - pd)] AS fw,
    [CASE WHEN cust THEN .40 ELSE .25 END * pd, CASE WHEN cust THEN .00 ELSE .20 END * nh,
     CASE WHEN cust THEN .15 ELSE .20 END * er, .15 * (1 - ne),
     CASE WHEN cust THEN .20 ELSE .10 END * st, .10 * CASE WHEN dm THEN 0 ELSE 1 END] AS rw
  FROM comp
), scored AS (
  SELECT *, 100 * list_sum(fw) AS fit, 100 * list_sum(rw) AS risk FROM contrib
)
SELECT rid, lead_id, fit, risk, fit * (1 - risk / 100) AS priority,
  CASE rel WHEN 'aware' THEN 'prospect_aware' WHEN 'former_customer' THEN 'prospect_former'
    WHEN 'customer' THEN CASE WHEN pd >= 0.5 THEN 'customer_price_shopper'
      WHEN pc >= 3 THEN 'customer_loyal'
      WHEN pc <= 1 AND ${AS_OF} - lp BETWEEN 0 AND 180 THEN 'customer_new'
      ELSE 'customer_established' END
    WHEN 'returning_customer' THEN CASE WHEN pd >= 0.5 THEN 'customer_hybrid'
      ELSE 'customer_bounce_back' END
    ELSE 'prospect_new' END AS segment,
  CASE WHEN NOT cok THEN 'do_not_contact'
    WHEN pd >= 0.8 AND c = 0 THEN 'price_buyer_outside_model'
    WHEN budget IS NOT NULL AND budget < 0.1 * amt THEN 'cannot_afford'
    WHEN er >= 0.9 AND mh = 0 AND st >= 0.5 THEN 'professional_window_shopper' END AS dq,
  -- reasons: contributions >= 5 by contribution descending, then component order
  array_to_string(list_transform(list_sort(list_filter(list_transform(
      list_concat(fw, rw), (x, i) -> {'neg': -100 * x, 'k': i}), e -> e.neg <= -5))[1:3],
    e -> ['+vertical_buys', '+compelling_need', '+can_afford', '+approachable',
          '+decision_maker', '+values_not_price', '-price_driven', '-vertical_no_history',
          '-errand_runner', '-no_compelling_need', '-stalled_cycle', '-no_authority'][e.k]),
    ';') AS reasons,
  dkey, created
FROM scored;
CREATE TABLE kept AS
SELECT *, CASE WHEN dkey IS NULL THEN NULL ELSE first_value(lead_id) OVER w END AS dup_of,
       dkey IS NOT NULL AND row_number() OVER w > 1 AS is_dup
FROM s WINDOW w AS (PARTITION BY dkey ORDER BY created DESC, rid);
`;

const out = (name) => lit(`${outdir}/${name}.csv.gz`);
const COPY = (name, select) =>
  `COPY (${select}) TO ${out(name)} (FORMAT csv, HEADER true, COMPRESSION gzip)`;
const WRITES = [
  ['ranked', `SELECT row_number() OVER (ORDER BY k.priority DESC, k.lead_id) AS rank,
      round(k.priority, 1) AS priority, round(k.fit, 1) AS fit_score,
      round(k.risk, 1) AS risk_score,
      CASE WHEN k.priority >= 60 AND k.risk < 30 THEN 'A' WHEN k.priority >= 43 THEN 'B'
           WHEN k.priority >= 28 THEN 'C' ELSE 'D' END AS tier,
      k.segment, k.reasons, l.*
    FROM kept k JOIN leads l ON l.rowid = k.rid WHERE NOT k.is_dup AND k.dq IS NULL
    ORDER BY k.priority DESC, k.lead_id`],
  ['disqualified', `SELECT k.dq AS disqualify_reason, round(k.fit, 1) AS fit_score,
      round(k.risk, 1) AS risk_score, k.segment, l.*
    FROM kept k JOIN leads l ON l.rowid = k.rid WHERE NOT k.is_dup AND k.dq IS NOT NULL
    ORDER BY k.rid`],
  ['duplicates', `SELECT k.dup_of AS duplicate_of, l.*
    FROM kept k JOIN leads l ON l.rowid = k.rid WHERE k.is_dup ORDER BY k.rid`],
];

async function main() {
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const con = await instance.connect();
  const seconds = {};
  const step = async (name, sql) => {
    const t0 = process.hrtime.bigint();
    const reader = await con.runAndReadAll(sql);
    seconds[name] = Number(process.hrtime.bigint() - t0) / 1e9;
    return reader;
  };
  await step('macros', MACROS);
  await step('history', DEALS(await headerOf(deals)));
  await step('read_leads', LEADS(await headerOf(leads)));
  await step('score', SCORE);
  const written = {};
  for (const [name, select] of WRITES) {
    const r = await step(`write_${name}`, COPY(name, select));
    written[name] = Number(r.getRows()[0][0]);
  }
  const count = async (sql) => Number((await con.runAndReadAll(sql)).getRows()[0][0]);
  const result = {
    duckdb: (await con.runAndReadAll('SELECT version()')).getRows()[0][0],
    rows_read: await count('SELECT count(*) FROM leads'),
    deal_rows_used: await count('SELECT count(*) FROM deals'),
    verticals: await count('SELECT count(*) FROM hist'),
    written, seconds,
  };
  con.disconnectSync();
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e) => {
  console.error(`duckdb_job: ${e.message}`);
  process.exit(1);
});
