// JSON Schemas of the Iceberg REST catalog's responses, written for pond's
// tests from the rules of the OpenAPI document (apache/iceberg
// open-api/rest-catalog-open-api.yaml: which fields each response has,
// which are required, their types and enumerations), and a checker that
// picks the schema for a request's route and status and validates a
// response with Ajv. No npm package ships the OpenAPI document itself
// (iceberg-js carries only TypeScript types generated from it).
//
//   import { checkResponse, checkingFetch } from './rest_schemas.mjs'
//   checkResponse('GET', '/iceberg/v1/namespaces', 200, body) -> [] or errors
import Ajv from 'ajv'

const int = { type: 'integer' }
const str = { type: 'string' }
const stringMap = { type: 'object', additionalProperties: str }
const strings = { type: 'array', items: str }
const nullable = (s) => ({ anyOf: [s, { type: 'null' }] })

const defs = {
  namespace: strings,
  pageToken: nullable(str),
  identifier: {
    type: 'object',
    required: ['namespace', 'name'],
    properties: { namespace: { $ref: '#/definitions/namespace' }, name: str },
  },
  // Types: a primitive is its name; struct, list and map are objects.
  type: {
    oneOf: [str, { $ref: '#/definitions/struct' }, { $ref: '#/definitions/list' }, { $ref: '#/definitions/map' }],
  },
  field: {
    type: 'object',
    required: ['id', 'name', 'type', 'required'],
    properties: { id: int, name: str, type: { $ref: '#/definitions/type' }, required: { type: 'boolean' }, doc: str },
  },
  struct: {
    type: 'object',
    required: ['type', 'fields'],
    properties: { type: { const: 'struct' }, fields: { type: 'array', items: { $ref: '#/definitions/field' } } },
  },
  list: {
    type: 'object',
    required: ['type', 'element-id', 'element', 'element-required'],
    properties: {
      type: { const: 'list' }, 'element-id': int, element: { $ref: '#/definitions/type' },
      'element-required': { type: 'boolean' },
    },
  },
  map: {
    type: 'object',
    required: ['type', 'key-id', 'key', 'value-id', 'value', 'value-required'],
    properties: {
      type: { const: 'map' }, 'key-id': int, key: { $ref: '#/definitions/type' }, 'value-id': int,
      value: { $ref: '#/definitions/type' }, 'value-required': { type: 'boolean' },
    },
  },
  schema: {
    allOf: [
      { $ref: '#/definitions/struct' },
      { type: 'object', properties: { 'schema-id': int, 'identifier-field-ids': { type: 'array', items: int } } },
    ],
  },
  partitionSpec: {
    type: 'object',
    required: ['fields'],
    properties: {
      'spec-id': int,
      fields: {
        type: 'array',
        items: {
          type: 'object',
          required: ['source-id', 'transform', 'name'],
          properties: { 'field-id': int, 'source-id': int, name: str, transform: str },
        },
      },
    },
  },
  sortOrder: {
    type: 'object',
    required: ['order-id', 'fields'],
    properties: {
      'order-id': int,
      fields: {
        type: 'array',
        items: {
          type: 'object',
          required: ['source-id', 'transform', 'direction', 'null-order'],
          properties: {
            'source-id': int, transform: str, direction: { enum: ['asc', 'desc'] },
            'null-order': { enum: ['nulls-first', 'nulls-last'] },
          },
        },
      },
    },
  },
  snapshot: {
    type: 'object',
    required: ['snapshot-id', 'timestamp-ms', 'manifest-list', 'summary'],
    properties: {
      'snapshot-id': int, 'parent-snapshot-id': int, 'sequence-number': int, 'timestamp-ms': int,
      'manifest-list': str, 'schema-id': int,
      summary: {
        type: 'object',
        required: ['operation'],
        properties: { operation: { enum: ['append', 'replace', 'overwrite', 'delete'] } },
        additionalProperties: str,
      },
    },
  },
  ref: {
    type: 'object',
    required: ['type', 'snapshot-id'],
    properties: {
      type: { enum: ['tag', 'branch'] }, 'snapshot-id': int, 'max-ref-age-ms': int, 'max-snapshot-age-ms': int,
      'min-snapshots-to-keep': int,
    },
  },
  tableMetadata: {
    type: 'object',
    required: ['format-version', 'table-uuid'],
    properties: {
      'format-version': { type: 'integer', minimum: 1, maximum: 3 },
      'table-uuid': str, location: str, 'last-updated-ms': int, properties: stringMap,
      schemas: { type: 'array', items: { $ref: '#/definitions/schema' } },
      'current-schema-id': int, 'last-column-id': int,
      'partition-specs': { type: 'array', items: { $ref: '#/definitions/partitionSpec' } },
      'default-spec-id': int, 'last-partition-id': int,
      'sort-orders': { type: 'array', items: { $ref: '#/definitions/sortOrder' } },
      'default-sort-order-id': int,
      snapshots: { type: 'array', items: { $ref: '#/definitions/snapshot' } },
      refs: { type: 'object', additionalProperties: { $ref: '#/definitions/ref' } },
      'current-snapshot-id': int, 'last-sequence-number': int,
      'snapshot-log': {
        type: 'array',
        items: { type: 'object', required: ['snapshot-id', 'timestamp-ms'], properties: { 'snapshot-id': int, 'timestamp-ms': int } },
      },
      'metadata-log': {
        type: 'array',
        items: { type: 'object', required: ['metadata-file', 'timestamp-ms'], properties: { 'metadata-file': str, 'timestamp-ms': int } },
      },
      statistics: { type: 'array' },
      'partition-statistics': { type: 'array' },
    },
  },
  // Views: the OpenAPI document's ViewMetadata, ViewVersion and
  // SQLViewRepresentation, which follow format/view-spec.md (version 1).
  viewRepresentation: {
    type: 'object',
    required: ['type', 'sql', 'dialect'],
    properties: { type: { const: 'sql' }, sql: str, dialect: str },
  },
  viewVersion: {
    type: 'object',
    required: ['version-id', 'timestamp-ms', 'schema-id', 'summary', 'representations', 'default-namespace'],
    properties: {
      'version-id': int, 'timestamp-ms': int, 'schema-id': int, summary: stringMap,
      representations: { type: 'array', items: { $ref: '#/definitions/viewRepresentation' } },
      'default-catalog': str, 'default-namespace': { $ref: '#/definitions/namespace' },
    },
  },
  viewMetadata: {
    type: 'object',
    required: ['view-uuid', 'format-version', 'location', 'current-version-id', 'versions', 'version-log', 'schemas'],
    properties: {
      'view-uuid': { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' },
      'format-version': { const: 1 }, location: str, 'current-version-id': int,
      versions: { type: 'array', minItems: 1, items: { $ref: '#/definitions/viewVersion' } },
      'version-log': {
        type: 'array',
        items: { type: 'object', required: ['timestamp-ms', 'version-id'], properties: { 'timestamp-ms': int, 'version-id': int } },
      },
      schemas: { type: 'array', minItems: 1, items: { $ref: '#/definitions/schema' } },
      properties: stringMap,
    },
  },
}

const responses = {
  error: {
    type: 'object',
    required: ['error'],
    additionalProperties: false,
    properties: {
      error: {
        type: 'object',
        required: ['message', 'type', 'code'],
        properties: { message: str, type: str, code: { type: 'integer', minimum: 400, maximum: 600 }, stack: strings },
      },
    },
  },
  config: {
    type: 'object',
    required: ['defaults', 'overrides'],
    properties: {
      defaults: stringMap, overrides: stringMap,
      endpoints: { type: 'array', items: { type: 'string', pattern: '^(GET|HEAD|POST|PUT|DELETE) /v1/' } },
    },
  },
  oauthToken: {
    type: 'object',
    required: ['access_token', 'token_type'],
    properties: {
      access_token: str, token_type: { enum: ['bearer', 'mac', 'N_A'] }, expires_in: int,
      issued_token_type: { type: 'string', pattern: '^urn:ietf:params:oauth:token-type:' }, refresh_token: str, scope: str,
    },
  },
  oauthError: {
    type: 'object',
    required: ['error'],
    properties: {
      error: { enum: ['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope'] },
      error_description: str, error_uri: str,
    },
  },
  listNamespaces: {
    type: 'object',
    properties: {
      'next-page-token': { $ref: '#/definitions/pageToken' },
      namespaces: { type: 'array', uniqueItems: true, items: { $ref: '#/definitions/namespace' } },
    },
  },
  createNamespace: {
    type: 'object',
    required: ['namespace'],
    properties: { namespace: { $ref: '#/definitions/namespace' }, properties: stringMap },
  },
  getNamespace: {
    type: 'object',
    required: ['namespace'],
    properties: { namespace: { $ref: '#/definitions/namespace' }, properties: nullable(stringMap) },
  },
  updateNamespaceProperties: {
    type: 'object',
    required: ['updated', 'removed'],
    properties: { updated: { ...strings, uniqueItems: true }, removed: strings, missing: nullable(strings) },
  },
  listTables: {
    type: 'object',
    properties: {
      'next-page-token': { $ref: '#/definitions/pageToken' },
      identifiers: { type: 'array', uniqueItems: true, items: { $ref: '#/definitions/identifier' } },
    },
  },
  loadTable: {
    type: 'object',
    required: ['metadata'],
    properties: {
      'metadata-location': nullable(str),
      metadata: { $ref: '#/definitions/tableMetadata' },
      config: stringMap,
      'storage-credentials': {
        type: 'array',
        items: { type: 'object', required: ['prefix', 'config'], properties: { prefix: str, config: stringMap } },
      },
    },
  },
  commitTable: {
    type: 'object',
    required: ['metadata-location', 'metadata'],
    properties: { 'metadata-location': str, metadata: { $ref: '#/definitions/tableMetadata' } },
  },
  loadView: {
    type: 'object',
    required: ['metadata-location', 'metadata'],
    properties: { 'metadata-location': str, metadata: { $ref: '#/definitions/viewMetadata' }, config: stringMap },
  },
  viewMetadataFile: { $ref: '#/definitions/viewMetadata' },
}

// Each schema is compiled when first used: compiling all of them took
// most of a node start (0.5 s), and each script run checks only a few.
const ajv = new Ajv({ allErrors: true, strict: false })
const validators = {}
function validator(name) {
  if (!validators[name]) validators[name] = ajv.compile({ ...responses[name], definitions: defs })
  return validators[name]
}

// Which schema a 2xx response to METHOD PATH (below /v1) has; null: no body.
const routes = [
  ['GET', /^\/v1\/config$/, 'config'],
  ['POST', /^\/v1\/oauth\/tokens$/, 'oauthToken'],
  ['GET', /^\/v1\/namespaces$/, 'listNamespaces'],
  ['POST', /^\/v1\/namespaces$/, 'createNamespace'],
  ['GET', /^\/v1\/namespaces\/[^/]+$/, 'getNamespace'],
  ['POST', /^\/v1\/namespaces\/[^/]+\/properties$/, 'updateNamespaceProperties'],
  ['GET', /^\/v1\/namespaces\/[^/]+\/tables$/, 'listTables'],
  ['POST', /^\/v1\/namespaces\/[^/]+\/tables$/, 'loadTable'],
  ['POST', /^\/v1\/namespaces\/[^/]+\/register$/, 'loadTable'],
  ['GET', /^\/v1\/namespaces\/[^/]+\/tables\/[^/]+$/, 'loadTable'],
  ['POST', /^\/v1\/namespaces\/[^/]+\/tables\/[^/]+$/, 'commitTable'],
  ['GET', /^\/v1\/namespaces\/[^/]+\/views$/, 'listTables'],
  ['POST', /^\/v1\/namespaces\/[^/]+\/views$/, 'loadView'],
  ['GET', /^\/v1\/namespaces\/[^/]+\/views\/[^/]+$/, 'loadView'],
  ['POST', /^\/v1\/namespaces\/[^/]+\/views\/[^/]+$/, 'loadView'],
]

// The schema errors of a view metadata file's JSON (view spec v1): an
// empty list when it conforms.
export function checkViewMetadata(doc) {
  const validate = validator('viewMetadataFile')
  return validate(doc) ? [] : validate.errors.map((e) => `view metadata: ${e.instancePath || '/'} ${e.message}`)
}

// The schema errors of one response (an empty list when it conforms).
// path is the request path, with or without the /iceberg prefix.
export function checkResponse(method, path, status, body) {
  const rel = path.replace(/^.*?(\/v1\/)/, '$1').replace(/\?.*$/, '')
  const oauth = /^\/v1\/oauth\/tokens$/.test(rel)
  let name
  if (status === 204 || method === 'HEAD') {
    return body === '' || body === undefined || body === null ? [] : [`${status} with a body`]
  } else if (status >= 400) {
    name = oauth ? 'oauthError' : 'error'
  } else {
    const route = routes.find(([m, re]) => m === method && re.test(rel))
    if (!route) return [`no schema for ${method} ${rel}`]
    name = route[2]
  }
  let doc
  try {
    doc = typeof body === 'string' ? JSON.parse(body) : body
  } catch (e) {
    return [`${method} ${rel} ${status}: not JSON: ${e.message}`]
  }
  const validate = validator(name)
  if (validate(doc)) {
    if (name === 'error' && doc.error.code !== status) return [`error.code ${doc.error.code} is not the status ${status}`]
    return []
  }
  return validate.errors.map((e) => `${method} ${rel} ${status} (${name}): ${e.instancePath || '/'} ${e.message}`)
}

// A fetch that checks every response of the REST catalog against the
// schemas; problems are pushed onto the list given.
export function checkingFetch(problems, baseFetch = globalThis.fetch) {
  return async (input, init = {}) => {
    const res = await baseFetch(input, init)
    const url = new URL(typeof input === 'string' ? input : input.url)
    const text = await res.clone().text()
    for (const p of checkResponse(init.method || 'GET', url.pathname, res.status, text)) problems.push(p)
    return res
  }
}
