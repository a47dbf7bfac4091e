// Drives pond serve's Iceberg REST catalog with iceberg-js (the npm
// registry's REST client), every response checked against the schemas of
// rest_schemas.mjs. Prints "ok   NAME" / "FAIL NAME" lines for
// tests/e2e/rest.sh to count, and the values the script checks further as
// "value NAME VALUE" lines.
//
//   node rest_client.mjs URI SECRET lifecycle
//   node rest_client.mjs URI SECRET commit NS TABLE SOURCE CLIENT COMMITS
//   node rest_client.mjs URI SECRET verify NS TABLE CLIENTS COMMITS
//   node rest_client.mjs URI SECRET create NS TABLE
//   node rest_client.mjs URI SECRET load NS TABLE
//   node rest_client.mjs - - schemas
//
// URI is the catalog's (http://HOST:PORT/iceberg); SECRET is sent as the
// OAuth2 client secret (credential=pond:SECRET), as Spark and pyiceberg do.
import { randomBytes } from 'node:crypto'
import { IcebergRestCatalog, IcebergError } from 'iceberg-js'
import { checkResponse, checkingFetch } from './rest_schemas.mjs'
import { check, same, failed } from './checks.mjs'

const [uri, secret, mode, ...args] = process.argv.slice(2)
const problems = []

// The token of the OAuth2 client-credentials request.
async function token() {
  const res = await checkingFetch(problems)(`${uri}/v1/oauth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'pond', client_secret: secret, scope: 'catalog' }),
  })
  const doc = await res.json()
  return doc.access_token
}

async function catalog() {
  return new IcebergRestCatalog({
    baseUrl: uri,
    auth: { type: 'bearer', token: await token() },
    fetch: checkingFetch(problems),
  })
}

// The error a call throws (null when it does not).
async function errorOf(promise) {
  try {
    await promise
    return null
  } catch (e) {
    if (!(e instanceof IcebergError)) throw e
    return e
  }
}

const schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', type: 'long', required: false },
    { id: 2, name: 'name', type: 'string', required: false },
  ],
}

async function lifecycle() {
  const c = await catalog()
  const ns = { namespace: ['rest_js'] }
  const id = { namespace: ['rest_js'], name: 'events' }
  await c.createNamespace(ns, { properties: { owner: 'iceberg-js' } })
  same('namespace properties', await c.loadNamespaceMetadata(ns), { properties: { owner: 'iceberg-js' } })
  check('namespace exists', await c.namespaceExists(ns))
  const e409 = await errorOf(c.createNamespace(ns))
  check('namespace twice is 409 AlreadyExists', e409?.status === 409 && e409.icebergType === 'AlreadyExistsException')

  const md = await c.createTable(ns, { name: 'events', schema, properties: { 'write.format.default': 'parquet' } })
  check('created table has a uuid', typeof md['table-uuid'] === 'string')
  same('created table schema', md.schemas[0].fields.map((f) => [f.id, f.name, f.type]), [[1, 'id', 'long'], [2, 'name', 'string']])
  const loaded = await c.loadTableResult(id)
  same('load gives the same table', loaded.metadata['table-uuid'], md['table-uuid'])
  check('load gives a metadata-location', loaded['metadata-location'].endsWith('.metadata.json'))
  same('list tables', (await c.listTables(ns)).identifiers, [id])
  check('table exists', await c.tableExists(id))

  // set-properties, then a schema change asserting the schema it read.
  let r = await c.updateTable(id, {
    requirements: [{ type: 'assert-table-uuid', uuid: md['table-uuid'] }],
    updates: [{ action: 'set-properties', updates: { owner: 'js' } }],
  })
  same('set-properties lands', r.metadata.properties.owner, 'js')
  const wider = { ...schema, 'schema-id': 1, fields: [...schema.fields, { id: 3, name: 'seen', type: 'timestamptz', required: false }] }
  r = await c.updateTable(id, {
    requirements: [
      { type: 'assert-current-schema-id', 'current-schema-id': 0 },
      { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': 2 },
    ],
    updates: [{ action: 'add-schema', schema: wider }, { action: 'set-current-schema', 'schema-id': -1 }],
  })
  same('add-schema lands', [r.metadata['current-schema-id'], r.metadata['last-column-id']], [1, 3])
  const stale = await errorOf(c.updateTable(id, {
    requirements: [{ type: 'assert-current-schema-id', 'current-schema-id': 0 }],
    updates: [{ action: 'set-properties', updates: { late: 'yes' } }],
  }))
  check('a stale requirement is 409 CommitFailed naming the table',
    stale?.status === 409 && stale.icebergType === 'CommitFailedException' && stale.message.includes('rest_js.events'),
    stale?.message)
  same('load after commits', (await c.loadTable(id)).properties, { 'write.format.default': 'parquet', owner: 'js' })

  await c.renameTable({ source: id, destination: { namespace: ['rest_js'], name: 'renamed' } })
  const moved = { namespace: ['rest_js'], name: 'renamed' }
  check('renamed', await c.tableExists(moved) && !(await c.tableExists(id)))
  const notEmpty = await errorOf(c.dropNamespace(ns))
  check('a namespace with a table is 409', notEmpty?.status === 409)
  await c.dropTable(moved, { purge: true })
  check('dropped', !(await c.tableExists(moved)))
  const gone = await errorOf(c.loadTable(moved))
  check('a dropped table is 404 NoSuchTable', gone?.status === 404 && gone.icebergType === 'NoSuchTableException')
  await c.dropNamespace(ns)
  check('namespace dropped', !(await c.namespaceExists(ns)))
}

// One client's COMMITS appends to NS.TABLE, each a snapshot that reuses
// the manifest list of SOURCE's current snapshot (a table pond made with
// the same schema) plus a property naming the commit, asserting the main
// branch it read; a 409 is retried after a reload, a bounded number of
// times. Snapshot ids are drawn below 2^48: iceberg-js parses responses
// with JSON.parse, which cannot hold a 63-bit id (those pond and Java
// draw) exactly, so the race runs on a table created over REST.
async function commit(ns, table, source, client, commits) {
  const c = await catalog()
  const id = { namespace: [ns], name: table }
  const src = await c.loadTable({ namespace: [ns], name: source })
  const manifestList = src.snapshots.find((s) => s['snapshot-id'] === src['current-snapshot-id'])['manifest-list']
  let conflicts = 0
  for (let k = 0; k < commits; k++) {
    const tag = `c${client}-${k}`
    let attempts = 0
    for (;;) {
      const md = await c.loadTable(id)
      const head = md['current-snapshot-id'] ?? -1
      const snapshotId = randomBytes(6).readUIntBE(0, 6)
      const snapshot = {
        'snapshot-id': snapshotId, 'sequence-number': md['last-sequence-number'] + 1, 'timestamp-ms': Date.now(),
        'manifest-list': manifestList, 'schema-id': md['current-schema-id'],
        summary: { operation: 'append', 'rest-test-commit': tag },
      }
      if (head !== -1) snapshot['parent-snapshot-id'] = head
      const e = await errorOf(c.updateTable(id, {
        requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': head === -1 ? null : head }],
        updates: [
          { action: 'add-snapshot', snapshot },
          { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshotId },
          { action: 'set-properties', updates: { [tag]: 'landed' } },
        ],
      }))
      if (!e) break
      if (e.status !== 409 || ++attempts === 500) {
        check(`client ${client}: commit ${tag} lands or is 409`, false, `${e.status} ${e.message}`)
        return
      }
      conflicts++
    }
  }
  check(`client ${client}: ${commits} commits landed`, true)
  console.log(`value conflicts ${conflicts}`)
}

// The table after CLIENTS x COMMITS commits: every commit's snapshot on
// main's history and its property, each exactly once.
async function verify(ns, table, clients, commits) {
  const c = await catalog()
  const md = await c.loadTable({ namespace: [ns], name: table })
  const byId = new Map(md.snapshots.map((s) => [s['snapshot-id'], s]))
  const tags = []
  for (let s = byId.get(md['current-snapshot-id']); s; s = byId.get(s['parent-snapshot-id'])) {
    if (s.summary['rest-test-commit']) tags.push(s.summary['rest-test-commit'])
  }
  const want = []
  for (let i = 0; i < clients; i++) for (let k = 0; k < commits; k++) want.push(`c${i}-${k}`)
  same('every commit is on main exactly once', [...tags].sort(), [...want].sort())
  same('every commit set its property', want.filter((t) => md.properties[t] === 'landed').length, want.length)
  const seqs = md.snapshots.map((s) => s['sequence-number'])
  same('sequence numbers are distinct', new Set(seqs).size, seqs.length)
}

async function create(ns, table) {
  const c = await catalog()
  if (!(await c.namespaceExists({ namespace: [ns] }))) await c.createNamespace({ namespace: [ns] })
  const md = await c.createTable({ namespace: [ns] }, { name: table, schema })
  check(`created ${ns}.${table}`, md['format-version'] === 2)
}

async function load(ns, table) {
  const c = await catalog()
  const r = await c.loadTableResult({ namespace: [ns], name: table })
  const md = r.metadata
  const head = md.snapshots.find((s) => s['snapshot-id'] === md['current-snapshot-id'])
  check(`loaded ${ns}.${table}`, true)
  console.log(`value location ${r['metadata-location']}`)
  console.log(`value records ${head ? head.summary['total-records'] : 0}`)
  console.log(`value snapshots ${md.snapshots.length}`)
}

// The schemas reject what the spec rules out, so a pass means something.
function schemas() {
  const bad = [
    ['GET', '/v1/namespaces/x/tables/t', 404, { error: 'no such table' }],
    ['GET', '/v1/namespaces/x/tables/t', 404, { error: { message: 'm', type: 'T', code: 400 } }],
    ['GET', '/v1/namespaces/x/tables/t', 200, { 'metadata-location': 'x' }],
    ['GET', '/v1/namespaces/x/tables/t', 200, { metadata: { 'format-version': 2, 'table-uuid': 'u', snapshots: [{ 'snapshot-id': 1, 'timestamp-ms': 1, 'manifest-list': 'm', summary: {} }] } }],
    ['GET', '/v1/namespaces', 200, { namespaces: [['a'], ['a']] }],
    ['GET', '/v1/config', 200, { defaults: {} }],
    ['POST', '/v1/oauth/tokens', 200, { access_token: 't', token_type: 'Bearer' }],
    ['DELETE', '/v1/namespaces/x', 204, '{}'],
  ]
  for (const [m, p, s, body] of bad) {
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    check(`schema rejects ${m} ${p} ${s} ${text.slice(0, 60)}`, checkResponse(m, p, s, text).length > 0)
  }
  const good = ['GET', '/iceberg/v1/namespaces/x/tables/t', 404, JSON.stringify({ error: { message: 'm', type: 'NoSuchTableException', code: 404 } })]
  same('schema accepts an ErrorModel', checkResponse(...good), [])
}

try {
  if (mode === 'lifecycle') await lifecycle()
  else if (mode === 'commit') await commit(args[0], args[1], args[2], Number(args[3]), Number(args[4]))
  else if (mode === 'verify') await verify(args[0], args[1], Number(args[2]), Number(args[3]))
  else if (mode === 'create') await create(args[0], args[1])
  else if (mode === 'load') await load(args[0], args[1])
  else if (mode === 'schemas') schemas()
  else throw new Error(`unknown mode ${mode}`)
} catch (e) {
  check(`${mode}: no unexpected error`, false, e.stack || String(e))
}
check(`${mode}: every response matches the spec's schemas`, problems.length === 0, problems.slice(0, 5).join('; '))
process.exit(failed() ? 1 : 0)
