// confluent-consume.mjs reads salesstream's topics as a consumer that knows
// nothing of salesstream would: KafkaJS fetches the records (committed ones
// only: the summary topic is written in transactions) and
// @kafkajs/confluent-schema-registry decodes every key and value through the
// registry's Confluent-compatible API (<registry>/apis/ccompat/v7), looking
// each schema up by the id the message carries.
//
// Usage:
//   node confluent-consume.mjs --brokers HOST:PORT[,HOST:PORT] --registry http://HOST:PORT \
//     --topic pagila.sales.avro[:COUNT] [--topic ...] [--timeout SECONDS]
//
// A topic is read from its start to the end offsets taken when the script
// starts or, given :COUNT, until COUNT records have been read.
//
// stdout: one JSON line per record, in partition order:
//   {"topic","partition","offset","keySchemaId","valueSchemaId","key":{...},"value":{...}}
// Avro decimals are strings with as many fraction digits as their scale
// ("11.99"), timestamp-millis are numbers of milliseconds, a null union is
// null. stderr: progress and errors. Exit 1 on any failure.

import { parseArgs } from 'node:util';

import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import kafkajs from 'kafkajs';
import SnappyCodec from 'kafkajs-snappy';

const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = kafkajs;

// franz-go producers compress with snappy by default; KafkaJS ships no
// snappy codec of its own, so a KafkaJS consumer registers one, as here.
CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;

function usage(msg) {
  console.error(`confluent-consume: ${msg}`);
  console.error('usage: node confluent-consume.mjs --brokers HOST:PORT --registry http://HOST:PORT --topic NAME[:COUNT] [--topic ...] [--timeout SECONDS]');
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      brokers: { type: 'string' },
      registry: { type: 'string' },
      topic: { type: 'string', multiple: true },
      timeout: { type: 'string', default: '120' },
    },
  }).values;
} catch (e) {
  usage(e.message);
}
if (!args.brokers) usage('--brokers is required');
if (!args.registry) usage('--registry is required');
if (!args.topic?.length) usage('give at least one --topic');
const timeoutMs = Number(args.timeout) * 1000;
if (!(timeoutMs > 0)) usage(`--timeout ${args.timeout} is not a positive number of seconds`);

const topics = new Map(); // name -> {count: number|null}
for (const t of args.topic) {
  const m = /^([^:]+)(?::(\d+))?$/.exec(t);
  if (!m) usage(`--topic ${t} is not NAME or NAME:COUNT`);
  topics.set(m[1], { count: m[2] === undefined ? null : Number(m[2]) });
}

// DecimalType reads an Avro decimal (bytes or fixed: the two's complement,
// big-endian unscaled value) as a string with `scale` fraction digits.
class DecimalType extends avro.types.LogicalType {
  constructor(attrs, opts) {
    super(attrs, opts);
    this.scale = attrs.scale ?? 0;
  }

  _fromValue(buf) {
    let v = 0n;
    for (const b of buf) v = (v << 8n) | BigInt(b);
    if (buf.length > 0 && buf[0] & 0x80) v -= 1n << BigInt(8 * buf.length);
    const neg = v < 0n;
    const digits = (neg ? -v : v).toString().padStart(this.scale + 1, '0');
    const whole = digits.slice(0, digits.length - this.scale);
    const frac = this.scale > 0 ? `.${digits.slice(digits.length - this.scale)}` : '';
    return `${neg ? '-' : ''}${whole}${frac}`;
  }

  _toValue() {
    throw new Error('confluent-consume only decodes');
  }

  _resolve(type) {
    if (avro.Type.isType(type, 'logical:decimal') && type.scale === this.scale) return (x) => x;
    return undefined;
  }
}

const ccompat = `${args.registry.replace(/\/+$/, '').replace(/\/apis\/ccompat\/v7$/, '')}/apis/ccompat/v7`;
const registry = new SchemaRegistry({ host: ccompat, retry: { retries: 2 } }, {
  [SchemaType.AVRO]: { logicalTypes: { decimal: DecimalType } },
});

// KafkaJS logs to stdout by default: keep stdout for the records.
const kafka = new Kafka({
  clientId: 'salesstream-clients',
  brokers: args.brokers.split(',').map((b) => b.trim()).filter(Boolean),
  logLevel: logLevel.WARN,
  logCreator: () => ({ namespace, level, log }) => {
    const { message, ...rest } = log;
    console.error(`kafkajs ${logLevel[level] ?? level} ${namespace}: ${message} ${JSON.stringify(rest)}`);
  },
  retry: { retries: 5 },
});

// schemaId reads the id of a framed message: magic byte 0, then a 4-byte
// big-endian schema id.
function schemaId(buf, what) {
  if (!buf || buf.length < 5 || buf[0] !== 0) {
    throw new Error(`${what} is not framed as magic byte 0 + 4-byte schema id`);
  }
  return buf.readUInt32BE(1);
}

// Read positions: per topic, the offsets to reach and those reached.
const state = new Map();
const records = new Map(); // `${topic}/${partition}` -> [line...]
let failure = null;

function allDone() {
  for (const [name, st] of state) {
    if (st.count !== null) {
      if (st.read < st.count) return false;
      continue;
    }
    for (const [p, end] of st.ends) if ((st.next.get(p) ?? st.starts.get(p)) < end) return false;
  }
  return true;
}

function progress() {
  const parts = [];
  for (const [name, st] of state) {
    if (st.count !== null) {
      parts.push(`${name}: ${st.read} of ${st.count} records`);
    } else {
      const lag = [...st.ends].map(([p, end]) => `p${p} at ${st.next.get(p) ?? st.starts.get(p)} of ${end}`);
      parts.push(`${name}: ${st.read} records (${lag.join(', ')})`);
    }
  }
  return parts.join('; ');
}

async function main() {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const [name, t] of topics) {
      let offsets;
      try {
        offsets = await admin.fetchTopicOffsets(name);
      } catch (e) {
        throw new Error(`read the end offsets of topic ${name}: ${e.message} (does the topic exist? run the producer and the enricher first)`);
      }
      state.set(name, {
        count: t.count,
        read: 0,
        starts: new Map(offsets.map((o) => [o.partition, BigInt(o.low)])),
        ends: new Map(offsets.map((o) => [o.partition, BigInt(o.high)])),
        next: new Map(),
      });
    }
  } finally {
    await admin.disconnect();
  }

  const consumer = kafka.consumer({
    groupId: `salesstream-clients-${process.pid}-${Date.now()}`,
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });
  let finish;
  const finished = new Promise((resolve) => { finish = resolve; });
  const timer = setTimeout(() => {
    failure = new Error(`timed out after ${args.timeout} s: ${progress()}`);
    finish();
  }, timeoutMs);

  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) {
      failure = new Error(`the consumer crashed: ${payload.error?.message ?? payload.error}`);
      finish();
    }
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics.keys()], fromBeginning: true });
    if (allDone()) finish();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        if (failure) return;
        const st = state.get(batch.topic);
        const key = `${batch.topic}/${batch.partition}`;
        if (!records.has(key)) records.set(key, []);
        const out = records.get(key);
        for (const m of batch.messages) {
          if (st.count !== null && st.read >= st.count) break;
          if (st.count === null && BigInt(m.offset) >= st.ends.get(batch.partition)) break;
          const where = `${batch.topic} partition ${batch.partition} offset ${m.offset}`;
          try {
            const line = {
              topic: batch.topic,
              partition: batch.partition,
              offset: Number(m.offset),
              keySchemaId: schemaId(m.key, `key at ${where}`),
              valueSchemaId: schemaId(m.value, `value at ${where}`),
              key: await registry.decode(m.key),
              value: await registry.decode(m.value),
            };
            out.push(line);
            st.read++;
          } catch (e) {
            failure = new Error(`decode ${where}: ${e.message}`);
            finish();
            return;
          }
        }
        // The batch's last offset counts control records (transaction
        // markers), which are never delivered as messages.
        st.next.set(batch.partition, BigInt(batch.lastOffset()) + 1n);
        await heartbeat();
        if (allDone()) finish();
      },
    });
    await finished;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  if (failure) throw failure;

  for (const [name] of state) {
    const keys = [...records.keys()].filter((k) => k.startsWith(`${name}/`)).sort((a, b) => Number(a.split('/').pop()) - Number(b.split('/').pop()));
    for (const k of keys) for (const line of records.get(k)) console.log(JSON.stringify(line));
  }
  console.error(`confluent-consume: ok: ${progress()}`);
}

main().catch((e) => {
  console.error(`confluent-consume: failed: ${e?.message ?? e}`);
  process.exit(1);
});
