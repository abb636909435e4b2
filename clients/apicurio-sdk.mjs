// apicurio-sdk.mjs drives a registry with Apicurio Registry's own TypeScript
// SDK (the Kiota-generated v3 client): it creates salesstream's six Avro
// artifacts (find-or-create, so a second run changes nothing), reads each
// back (artifact and version metadata, content by version, content id and
// global id), sets and reads back each one's VALIDITY rule (FULL), and lists
// and searches the group. Every mismatch is reported and makes the script
// exit 1.
//
// Usage:
//   node apicurio-sdk.mjs --registry http://127.0.0.1:8080 [--group default] [--schemas ../internal/domain/schema/avsc]
//
// stdout: one JSON line per artifact:
//   {"groupId","artifactId","outcome":"created"|"found"|"new version","version","globalId","contentId"}
// stderr: progress and errors.

import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { RegistryClientFactory } from '@apicurio/apicurio-registry-sdk';

const here = dirname(fileURLToPath(import.meta.url));

function usage(msg) {
  console.error(`apicurio-sdk: ${msg}`);
  console.error('usage: node apicurio-sdk.mjs --registry http://HOST:PORT [--group GROUP] [--schemas DIR]');
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      registry: { type: 'string' },
      group: { type: 'string', default: 'default' },
      schemas: { type: 'string', default: join(here, '..', 'internal', 'domain', 'schema', 'avsc') },
    },
  }).values;
} catch (e) {
  usage(e.message);
}
if (!args.registry) usage('--registry is required');

// The SDK wants the v3 API root.
const base = args.registry.replace(/\/+$/, '').replace(/\/apis\/registry\/v3$/, '');
const client = RegistryClientFactory.createRegistryClient(`${base}/apis/registry/v3`);
const group = args.group;
const problems = [];

// check records a mismatch; the script goes on to report them all.
function check(ok, what) {
  if (!ok) problems.push(what);
  return ok;
}

// describe turns an SDK error (a ProblemDetails, or a transport error) into one line.
function describe(err) {
  if (err && typeof err === 'object' && 'responseStatusCode' in err) {
    return `HTTP ${err.responseStatusCode}: ${err.title ?? err.detail ?? err.message ?? 'no detail'}`;
  }
  const cause = err?.cause ? ` (${err.cause.code ?? err.cause.message})` : '';
  return `${err?.message ?? err}${cause}: is the registry running at ${base}?`;
}

function isNotFound(err) {
  return err && typeof err === 'object' && err.responseStatusCode === 404;
}

function validDate(d) {
  return d instanceof Date && !Number.isNaN(d.getTime());
}

const text = (buf) => new TextDecoder().decode(buf);

async function loadArtifacts(dir) {
  let names;
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.avsc')).sort();
  } catch (e) {
    console.error(`apicurio-sdk: cannot read the schema directory ${dir}: ${e.message}; pass --schemas DIR`);
    process.exit(2);
  }
  if (names.length === 0) {
    console.error(`apicurio-sdk: no .avsc files in ${dir}; pass --schemas DIR`);
    process.exit(2);
  }
  return Promise.all(names.map(async (n) => ({ id: n.slice(0, -'.avsc'.length), content: await readFile(join(dir, n), 'utf8') })));
}

// createAndReadBack creates one artifact (or finds it) and checks every way
// of reading it back. It returns the line to print.
async function createAndReadBack(art) {
  const arts = client.groups.byGroupId(group).artifacts;
  const item = arts.byArtifactId(art.id);

  let before = null;
  try {
    before = await item.versions.byVersionExpression('branch=latest').get();
  } catch (e) {
    if (!isNotFound(e)) throw new Error(`look up ${art.id} before creating it: ${describe(e)}`);
  }

  const body = {
    artifactId: art.id,
    artifactType: 'AVRO',
    firstVersion: { content: { content: art.content, contentType: 'application/json' } },
  };
  const created = await arts.post(body, { queryParameters: { ifExists: 'FIND_OR_CREATE_VERSION' } });
  const v = created?.version;
  const a = created?.artifact;
  const where = `${group}/${art.id}`;
  if (!check(v && a, `${where}: create answered without artifact and version metadata`)) return null;
  check(a.artifactId === art.id && a.groupId === group, `${where}: created artifact is ${a.groupId}/${a.artifactId}`);
  check(a.artifactType === 'AVRO', `${where}: artifactType ${a.artifactType}, want AVRO`);
  check(validDate(a.createdOn) && validDate(a.modifiedOn), `${where}: artifact dates do not parse (${a.createdOn}, ${a.modifiedOn})`);
  check(v.artifactId === art.id && v.groupId === group, `${where}: created version belongs to ${v.groupId}/${v.artifactId}`);
  check(Number.isInteger(v.globalId) && v.globalId > 0, `${where}: globalId ${v.globalId} is not a positive integer`);
  check(Number.isInteger(v.contentId) && v.contentId > 0, `${where}: contentId ${v.contentId} is not a positive integer`);
  check(typeof v.version === 'string' && v.version !== '', `${where}: version ${v.version} is not a non-empty string`);
  check(v.state === 'ENABLED', `${where}: version state ${v.state}, want ENABLED`);
  check(validDate(v.createdOn), `${where}: version createdOn does not parse (${v.createdOn})`);
  let outcome = 'created';
  if (before) {
    outcome = before.globalId === v.globalId ? 'found' : 'new version';
    if (outcome === 'new version') {
      const old = text(await item.versions.byVersionExpression(before.version).content.get());
      check(old !== art.content, `${where}: the content is unchanged but find-or-create made version ${v.version} (globalId ${v.globalId}) beside ${before.version}`);
    }
  }

  // Creating again must find the same version.
  const again = await arts.post(body, { queryParameters: { ifExists: 'FIND_OR_CREATE_VERSION' } });
  check(again?.version?.globalId === v.globalId && again?.version?.contentId === v.contentId,
    `${where}: second find-or-create answered (${again?.version?.globalId}, ${again?.version?.contentId}), want (${v.globalId}, ${v.contentId})`);

  // Metadata read back.
  const meta = await item.get();
  check(meta?.artifactId === art.id && meta?.artifactType === 'AVRO', `${where}: artifact metadata ${JSON.stringify(meta)}`);
  for (const expr of [v.version, 'branch=latest']) {
    const vm = await item.versions.byVersionExpression(expr).get();
    check(vm?.globalId === v.globalId && vm?.contentId === v.contentId && vm?.version === v.version,
      `${where}: version ${expr} reads back as (${vm?.version}, ${vm?.globalId}, ${vm?.contentId}), want (${v.version}, ${v.globalId}, ${v.contentId})`);
  }
  const versions = await item.versions.get({ queryParameters: { limit: 100 } });
  check(versions?.versions?.some((x) => x.globalId === v.globalId && x.version === v.version),
    `${where}: version list ${JSON.stringify(versions?.versions?.map((x) => x.version))} lacks version ${v.version}`);

  // Content read back, by version, content id and global id: the exact bytes.
  const contents = {
    [`version ${v.version}`]: await item.versions.byVersionExpression(v.version).content.get(),
    'branch=latest': await item.versions.byVersionExpression('branch=latest').content.get(),
    [`contentId ${v.contentId}`]: await client.ids.contentIds.byContentId(v.contentId).get(),
    [`globalId ${v.globalId}`]: await client.ids.globalIds.byGlobalId(v.globalId).get(),
  };
  for (const [how, buf] of Object.entries(contents)) {
    check(buf !== undefined && text(buf) === art.content, `${where}: content by ${how} differs from the schema file`);
  }

  // Rules: the artifact gets VALIDITY FULL (created, or updated when it
  // exists), which its valid content passes; it reads back.
  try {
    await item.rules.post({ ruleType: 'VALIDITY', config: 'FULL' });
  } catch (e) {
    if (e?.responseStatusCode !== 409) throw new Error(`create the VALIDITY rule of ${where}: ${describe(e)}`);
    const updated = await item.rules.byRuleType('VALIDITY').put({ ruleType: 'VALIDITY', config: 'FULL' });
    check(updated?.config === 'FULL', `${where}: updating the VALIDITY rule answered ${JSON.stringify(updated)}`);
  }
  const rules = await item.rules.get();
  check(Array.isArray(rules) && rules.includes('VALIDITY'), `${where}: rule list ${JSON.stringify(rules)} lacks VALIDITY`);
  const rule = await item.rules.byRuleType('VALIDITY').get();
  check(rule?.ruleType === 'VALIDITY' && rule?.config === 'FULL', `${where}: VALIDITY rule reads back as ${JSON.stringify(rule)}`);

  return { groupId: group, artifactId: art.id, outcome, version: v.version, globalId: v.globalId, contentId: v.contentId };
}

async function main() {
  const info = await client.system.info.get();
  check(typeof info?.name === 'string' && info.name !== '' && typeof info?.version === 'string',
    `system info ${JSON.stringify(info)} lacks a name or version`);
  console.error(`apicurio-sdk: registry ${base}: ${info?.name} ${info?.version}`);

  const artifacts = await loadArtifacts(resolve(args.schemas));
  const lines = [];
  for (const art of artifacts) {
    try {
      const line = await createAndReadBack(art);
      if (line) lines.push(line);
    } catch (e) {
      problems.push(`${group}/${art.id}: ${describe(e)}`);
    }
  }

  // List and search: every artifact is there, once, as AVRO.
  const ids = artifacts.map((a) => a.id);
  const listed = await client.groups.byGroupId(group).artifacts.get({ queryParameters: { limit: 1000, orderby: 'artifactId', order: 'asc' } });
  const searched = await client.search.artifacts.get({ queryParameters: { groupId: group, limit: 1000 } });
  for (const [how, res] of [['list', listed], ['search', searched]]) {
    const got = res?.artifacts ?? [];
    check((res?.count ?? -1) >= got.length, `${how}: count ${res?.count} is below the ${got.length} artifacts returned`);
    for (const id of ids) {
      const hits = got.filter((x) => x.artifactId === id && x.groupId === group);
      check(hits.length === 1 && hits[0].artifactType === 'AVRO', `${how} of group ${group}: ${id} appears ${hits.length} times (want once, as AVRO)`);
    }
  }
  const listedIds = (listed?.artifacts ?? []).map((x) => x.artifactId);
  check(listedIds.every((id, i) => i === 0 || listedIds[i - 1] <= id), `list ordered by artifactId asc is out of order: ${listedIds.join(', ')}`);
  const groups = await client.groups.get({ queryParameters: { limit: 1000 } });
  check((groups?.groups ?? []).some((g) => g.groupId === group), `group list lacks ${group}`);

  for (const l of lines) console.log(JSON.stringify(l));
  if (problems.length > 0) {
    console.error(`apicurio-sdk: ${problems.length} mismatch(es) between the registry and Apicurio's SDK:`);
    for (const p of problems) console.error(`  - ${p}`);
    process.exit(1);
  }
  console.error(`apicurio-sdk: ok: ${lines.length} artifacts created or found, read back, ruled, listed and searched in group ${group}`);
}

main().catch((e) => {
  console.error(`apicurio-sdk: failed: ${describe(e)}`);
  process.exit(1);
});
