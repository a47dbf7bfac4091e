// Drives the views endpoints of pond serve's Iceberg REST catalog with
// plain fetch (iceberg-js 1.0 has no view calls), every response checked
// against the schemas of rest_schemas.mjs, and view metadata files checked
// against the view spec's schema there too. Prints "ok   NAME" /
// "FAIL NAME" lines for tests/e2e/views.sh and "value NAME VALUE" lines.
//
//   node rest_views.mjs URI SECRET config
//   node rest_views.mjs URI SECRET list NS
//   node rest_views.mjs URI SECRET load NS VIEW
//   node rest_views.mjs URI SECRET lifecycle NS TABLE   (TABLE: a table in NS)
//   node rest_views.mjs URI SECRET create NS VIEW SQL
//   node rest_views.mjs - - file PATH                   (a metadata file)
//   node rest_views.mjs - - schemas
import { readFileSync } from 'node:fs'
import { checkResponse, checkingFetch, checkViewMetadata } from './rest_schemas.mjs'
import { check, same, failed } from './checks.mjs'

const [uri, secret, mode, ...args] = process.argv.slice(2)
const problems = []
const fetchChecked = checkingFetch(problems)

let bearer = null
async function call(method, path, body) {
  if (!bearer) {
    const res = await fetchChecked(`${uri}/v1/oauth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'pond', client_secret: secret }),
    })
    bearer = (await res.json()).access_token
  }
  const init = { method, headers: { authorization: `Bearer ${bearer}` } }
  if (body !== undefined) {
    init.body = JSON.stringify(body)
    init.headers['content-type'] = 'application/json'
  }
  const res = await fetchChecked(`${uri}${path}`, init)
  const text = await res.text()
  return { status: res.status, doc: text ? JSON.parse(text) : null }
}

const viewPath = (ns, view) => `/v1/namespaces/${encodeURIComponent(ns)}/views/${encodeURIComponent(view)}`
const sqlOf = (md, dialect) => {
  const v = md.versions.find((x) => x['version-id'] === md['current-version-id'])
  return v.representations.find((r) => r.dialect === dialect)?.sql ?? null
}

function version(sql, dialect) {
  return {
    'version-id': 1, 'timestamp-ms': Date.now(), 'schema-id': 0,
    summary: { 'engine-name': 'rest-test' }, 'default-namespace': ['web'],
    representations: [{ type: 'sql', sql, dialect }],
  }
}

const schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'n', type: 'long', required: false }] }

async function config() {
  const { doc } = await call('GET', '/v1/config')
  for (const e of ['GET /v1/{prefix}/namespaces/{namespace}/views', 'POST /v1/{prefix}/namespaces/{namespace}/views',
    'GET /v1/{prefix}/namespaces/{namespace}/views/{view}', 'HEAD /v1/{prefix}/namespaces/{namespace}/views/{view}',
    'POST /v1/{prefix}/namespaces/{namespace}/views/{view}', 'DELETE /v1/{prefix}/namespaces/{namespace}/views/{view}',
    'POST /v1/{prefix}/views/rename']) {
    check(`config advertises ${e}`, doc.endpoints.includes(e))
  }
}

async function list(ns) {
  const { status, doc } = await call('GET', `/v1/namespaces/${encodeURIComponent(ns)}/views`)
  check(`list views of ${ns}`, status === 200)
  console.log(`value views ${doc.identifiers.map((i) => `${i.namespace.join('.')}.${i.name}`).join(',')}`)
}

async function load(ns, view) {
  const { status, doc } = await call('GET', viewPath(ns, view))
  check(`load view ${ns}.${view}`, status === 200, JSON.stringify(doc))
  const md = doc.metadata
  const cur = md.versions.find((x) => x['version-id'] === md['current-version-id'])
  const sch = md.schemas.find((s) => s['schema-id'] === cur['schema-id'])
  console.log(`value location ${doc['metadata-location']}`)
  console.log(`value sql ${JSON.stringify(sqlOf(md, 'duckdb'))}`)
  console.log(`value columns ${sch.fields.map((f) => `${f.name}:${f.type}`).join(',')}`)
  console.log(`value namespace ${cur['default-namespace'].join('.')}`)
}

async function create(ns, view, sql) {
  if ((await call('GET', `/v1/namespaces/${encodeURIComponent(ns)}`)).status === 404) {
    same(`namespace ${ns} created`, (await call('POST', '/v1/namespaces', { namespace: [ns] })).status, 200)
  }
  const { status, doc } = await call('POST', `/v1/namespaces/${encodeURIComponent(ns)}/views`,
    { name: view, schema, 'view-version': version(sql, 'duckdb'), properties: { owner: 'rest' } })
  check(`created view ${ns}.${view}`, status === 200, JSON.stringify(doc))
}

async function lifecycle(ns, table) {
  const base = `/v1/namespaces/${encodeURIComponent(ns)}/views`
  let r = await call('POST', base, {
    name: 'v', schema, 'view-version': version('select 1 as n', 'spark'), properties: { comment: 'one' },
  })
  check('create a view', r.status === 200, JSON.stringify(r.doc))
  const md = r.doc.metadata
  same('a new view is version 1 of format 1', [md['format-version'], md['current-version-id'], md.versions.length], [1, 1, 1])
  check('its metadata file is 00000-<uuid>.metadata.json under its location',
    new RegExp(`^${md.location}/metadata/00000-[0-9a-f-]{36}\\.metadata\\.json$`).test(r.doc['metadata-location']),
    r.doc['metadata-location'])
  same('properties kept', md.properties, { comment: 'one' })
  const uuid = md['view-uuid']

  r = await call('POST', base, { name: 'v', schema, 'view-version': version('select 1 as n', 'spark') })
  same('creating it again is 409 AlreadyExists', [r.status, r.doc?.error?.type], [409, 'AlreadyExistsException'])
  r = await call('POST', base, { name: table, schema, 'view-version': version('select 1 as n', 'spark') })
  same('a view cannot take a table\'s name', [r.status, r.doc?.error?.type], [409, 'AlreadyExistsException'])
  check('  and the message names the table', r.doc?.error?.message?.includes(`table ${ns}.${table}`), r.doc?.error?.message)
  r = await call('HEAD', viewPath(ns, 'v'))
  same('HEAD of a view is 204', r.status, 204)
  r = await call('HEAD', viewPath(ns, 'nope'))
  same('HEAD of a missing view is 404', r.status, 404)
  r = await call('GET', viewPath(ns, 'nope'))
  same('loading a missing view is 404 NoSuchView', [r.status, r.doc?.error?.type], [404, 'NoSuchViewException'])
  r = await call('GET', `/v1/namespaces/${encodeURIComponent(ns)}/tables/v`)
  same('a view is no table', r.status, 404)

  // replace: a new version with a new schema, properties changed, asserting the uuid
  const wider = { type: 'struct', 'schema-id': 1, fields: [...schema.fields, { id: 2, name: 's', type: 'string', required: false }] }
  const v2 = { ...version("select 2 as n, 'x' as s", 'spark'), 'schema-id': -1 }
  v2.representations.push({ type: 'sql', sql: "select 2 as n, 'x' as s", dialect: 'duckdb' })
  r = await call('POST', viewPath(ns, 'v'), {
    requirements: [{ type: 'assert-view-uuid', uuid }],
    updates: [
      { action: 'add-schema', schema: wider, 'last-column-id': 2 },
      { action: 'add-view-version', 'view-version': v2 },
      { action: 'set-current-view-version', 'view-version-id': -1 },
      { action: 'set-properties', updates: { owner: 'rest' } },
      { action: 'remove-properties', removals: ['comment'] },
    ],
  })
  check('replace the view', r.status === 200, JSON.stringify(r.doc))
  const md2 = r.doc.metadata
  same('the new version is current, on the new schema',
    [md2['current-version-id'], md2.versions.length, md2.versions[1]['schema-id'], md2['version-log'].length], [2, 2, 1, 2])
  same('both dialects are there', [sqlOf(md2, 'spark'), sqlOf(md2, 'duckdb')], ["select 2 as n, 'x' as s", "select 2 as n, 'x' as s"])
  same('properties changed', md2.properties, { owner: 'rest' })
  check('a new metadata file, numbered 00001', /\/00001-[0-9a-f-]{36}\.metadata\.json$/.test(r.doc['metadata-location']))
  r = await call('POST', viewPath(ns, 'v'), {
    requirements: [{ type: 'assert-view-uuid', uuid: '00000000-0000-4000-8000-000000000000' }],
    updates: [{ action: 'set-properties', updates: { late: 'yes' } }],
  })
  same('a wrong view uuid is 409 CommitFailed', [r.status, r.doc?.error?.type], [409, 'CommitFailedException'])
  r = await call('POST', viewPath(ns, 'v'), { updates: [{ action: 'set-current-view-version', 'view-version-id': 1 }] })
  same('rolling back to version 1', [r.status, r.doc.metadata['current-version-id'], r.doc.metadata['version-log'].length], [200, 1, 3])
  r = await call('POST', viewPath(ns, 'v'), { updates: [{ action: 'set-location', location: '/elsewhere' }] })
  same('a location outside the warehouse is 400', r.status, 400)
  r = await call('POST', viewPath(ns, 'v'), { updates: [{ action: 'add-snapshot', snapshot: {} }] })
  same('a table update is 400', r.status, 400)

  // rename, then drop
  r = await call('POST', '/v1/views/rename', { source: { namespace: [ns], name: 'v' }, destination: { namespace: [ns], name: table } })
  same('renaming onto a table is 409', r.status, 409)
  r = await call('POST', '/v1/views/rename', { source: { namespace: [ns], name: 'v' }, destination: { namespace: [ns], name: 'w' } })
  same('rename', r.status, 204)
  same('the old name is gone', (await call('HEAD', viewPath(ns, 'v'))).status, 404)
  r = await call('GET', viewPath(ns, 'w'))
  same('the new name loads the same view', r.doc.metadata['view-uuid'], uuid)
  r = await call('POST', '/v1/views/rename', { source: { namespace: [ns], name: 'ghost' }, destination: { namespace: [ns], name: 'g' } })
  same('renaming a missing view is 404 NoSuchView', [r.status, r.doc?.error?.type], [404, 'NoSuchViewException'])
  same('drop', (await call('DELETE', viewPath(ns, 'w'))).status, 204)
  r = await call('DELETE', viewPath(ns, 'w'))
  same('dropping it again is 404 NoSuchView', [r.status, r.doc?.error?.type], [404, 'NoSuchViewException'])
  r = await call('GET', `/v1/namespaces/nowhere_at_all/views`)
  same('views of a missing namespace: 404 NoSuchNamespace', [r.status, r.doc?.error?.type], [404, 'NoSuchNamespaceException'])
}

function file(path) {
  const doc = JSON.parse(readFileSync(path, 'utf8'))
  const errors = checkViewMetadata(doc)
  check(`the metadata file matches the view spec's schema`, errors.length === 0, errors.slice(0, 5).join('; '))
  same('its format-version', doc['format-version'], 1)
  console.log(`value sql ${JSON.stringify(sqlOf(doc, 'duckdb'))}`)
}

// The schemas reject what the spec rules out, so a pass means something.
function schemas() {
  const md = {
    'view-uuid': 'fa6506c3-7681-40c8-86dc-e36561f83385', 'format-version': 1, location: '/w/v', 'current-version-id': 1,
    versions: [version('select 1', 'spark')], 'version-log': [{ 'timestamp-ms': 1, 'version-id': 1 }], schemas: [schema],
  }
  same('the view schema accepts a spec-shaped view', checkViewMetadata(md), [])
  const broken = [
    { ...md, 'format-version': 2 },
    { ...md, 'view-uuid': 'not-a-uuid' },
    { ...md, versions: [] },
    { ...md, versions: [{ ...md.versions[0], representations: [{ type: 'sql', sql: 'select 1' }] }] },
    (({ 'version-log': _, ...rest }) => rest)(md),
  ]
  broken.forEach((b, i) => check(`the view schema rejects broken view ${i}`, checkViewMetadata(b).length > 0))
  check('a LoadViewResult needs metadata-location',
    checkResponse('GET', '/v1/namespaces/x/views/v', 200, JSON.stringify({ metadata: md })).length > 0)
}

try {
  if (mode === 'config') await config()
  else if (mode === 'list') await list(args[0])
  else if (mode === 'load') await load(args[0], args[1])
  else if (mode === 'create') await create(args[0], args[1], args[2])
  else if (mode === 'lifecycle') await lifecycle(args[0], args[1])
  else if (mode === 'file') file(args[0])
  else if (mode === 'schemas') schemas()
  else throw new Error(`unknown mode ${mode}`)
} catch (e) {
  check(`${mode}: no unexpected error`, false, e.stack || String(e))
}
check(`${mode}: every response matches the spec's schemas`, problems.length === 0, problems.slice(0, 5).join('; '))
process.exit(failed() ? 1 : 0)
