/**
 * Decoding of the Kubernetes protobuf envelope for the few simple kinds kubectl's generator
 * commands send that way (`kubectl create namespace|configmap|secret|serviceaccount`). Field
 * numbers are those of k8s.io/api generated.proto; unknown fields are skipped, other kinds get 415.
 */
import type { KubeObject } from './resources.js';
import { badRequest, unsupportedMediaType } from './status.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface Field {
  no: number;
  wire: number;
  /** varint value (wire 0) */
  int?: bigint;
  /** bytes (wire 2) */
  bytes?: Buffer;
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw badRequest('truncated protobuf body');
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const tag = Number(varint());
    const f: Field = { no: tag >> 3, wire: tag & 7 };
    if (f.wire === 0) f.int = varint();
    else if (f.wire === 2) {
      const len = Number(varint());
      f.bytes = buf.subarray(pos, pos + len);
      pos += len;
    } else if (f.wire === 1) pos += 8;
    else if (f.wire === 5) pos += 4;
    else throw badRequest(`unsupported protobuf wire type ${f.wire}`);
    out.push(f);
  }
  return out;
}

const str = (f: Field): string => f.bytes!.toString('utf8');

function mapEntry(f: Field, value: (v: Field) => unknown): [string, unknown] {
  let key = '';
  let val: unknown = '';
  for (const e of fields(f.bytes!)) {
    if (e.no === 1) key = str(e);
    if (e.no === 2) val = value(e);
  }
  return [key, val];
}

function stringMap(list: Field[]): Record<string, string> | undefined {
  if (list.length === 0) return undefined;
  return Object.fromEntries(list.map((f) => mapEntry(f, str))) as Record<string, string>;
}

function bytesMap(list: Field[]): Record<string, string> | undefined {
  if (list.length === 0) return undefined;
  return Object.fromEntries(list.map((f) => mapEntry(f, (v) => v.bytes!.toString('base64')))) as Record<string, string>;
}

function objectMeta(buf: Buffer): KubeObject {
  const fs = fields(buf);
  const meta: KubeObject = {};
  const one = (no: number): Field | undefined => fs.find((f) => f.no === no);
  const named: [number, string][] = [
    [1, 'name'],
    [2, 'generateName'],
    [3, 'namespace'],
    [5, 'uid'],
    [6, 'resourceVersion'],
  ];
  for (const [no, key] of named) {
    const f = one(no);
    if (f?.bytes && f.bytes.length) meta[key] = str(f);
  }
  const labels = stringMap(fs.filter((f) => f.no === 11));
  if (labels) meta.labels = labels;
  const annotations = stringMap(fs.filter((f) => f.no === 12));
  if (annotations) meta.annotations = annotations;
  const finalizers = fs.filter((f) => f.no === 14).map(str);
  if (finalizers.length) meta.finalizers = finalizers;
  return meta;
}

type Decoder = (fs: Field[]) => KubeObject;

const DECODERS: Record<string, Decoder> = {
  'v1/Namespace': () => ({}),
  'v1/ConfigMap': (fs) => {
    const out: KubeObject = {};
    const data = stringMap(fs.filter((f) => f.no === 2));
    if (data) out.data = data;
    const binaryData = bytesMap(fs.filter((f) => f.no === 3));
    if (binaryData) out.binaryData = binaryData;
    const immutable = fs.find((f) => f.no === 4);
    if (immutable) out.immutable = immutable.int === 1n;
    return out;
  },
  'v1/Secret': (fs) => {
    const out: KubeObject = {};
    const data = bytesMap(fs.filter((f) => f.no === 2));
    if (data) out.data = data;
    const type = fs.find((f) => f.no === 3);
    if (type) out.type = str(type);
    const stringData = stringMap(fs.filter((f) => f.no === 4));
    if (stringData) out.stringData = stringData;
    return out;
  },
  'v1/ServiceAccount': () => ({}),
};

/** The object in a `application/vnd.kubernetes.protobuf` body, as JSON. */
export function decodeProtobufObject(body: Buffer): KubeObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
    throw badRequest('protobuf body without the k8s\\0 envelope');
  let apiVersion = '';
  let kind = '';
  let raw: Buffer | undefined;
  for (const f of fields(body.subarray(4))) {
    if (f.no === 1 && f.bytes) {
      for (const t of fields(f.bytes)) {
        if (t.no === 1) apiVersion = str(t);
        if (t.no === 2) kind = str(t);
      }
    }
    if (f.no === 2) raw = f.bytes;
  }
  const decode = DECODERS[`${apiVersion}/${kind}`];
  if (!decode || !raw) throw unsupportedMediaType(['application/json', 'application/yaml']);
  const fs = fields(raw);
  const metaField = fs.find((f) => f.no === 1);
  return { apiVersion, kind, metadata: metaField?.bytes ? objectMeta(metaField.bytes) : {}, ...decode(fs) };
}
