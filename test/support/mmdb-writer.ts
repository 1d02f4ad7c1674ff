/**
 * A small, dependency-free writer for MaxMind DB files (binary format v2.0), so GeoIP tests can
 * build their own fixture databases instead of needing a downloaded GeoLite2 file.
 *
 * Written from the format spec (`MaxMind-DB-spec.md`, "MaxMind DB File Format Specification");
 * section names below refer to it. A file is laid out as:
 *
 *     search tree | 16 zero bytes | data section | "\xAB\xCD\xEFMaxMind.com" | metadata map
 *
 * Scope, kept deliberately small:
 * - Always an IPv6 tree (ip_version 6). IPv4 networks live under `::/96`, i.e. `a.b.c.d/p` is
 *   stored as `::a.b.c.d/(96 + p)`, which is where readers start IPv4 lookups
 *   ("IPv4 addresses in an IPv6 tree"). Like MaxMind's own databases, `::ffff:0:0/96`
 *   (IPv4-mapped) and `2002::/16` (6to4) are aliased to that IPv4 subtree unless
 *   `ipv4Aliases: false`.
 * - Networks must not overlap (including exact duplicates); overlapping input throws.
 * - No pointers inside the data section; identical data values are stored once anyway
 *   (records point at the same bytes).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { dirname } from 'node:path';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** Integer/float types that a plain JS `number` does not choose on its own. */
export type MmdbExplicitType = 'uint16' | 'uint32' | 'int32' | 'uint64' | 'uint128' | 'double' | 'float';

/** A value with an explicit MMDB type; create it with `asUint16()`, `asUint64()`, ... */
export class MmdbTypedValue {
  constructor(
    readonly type: MmdbExplicitType,
    readonly value: number | bigint,
  ) {}
}

export interface MmdbMap {
  [key: string]: MmdbValue;
}

/**
 * A data value. Plain numbers: non-negative integers up to 2^32-1 become uint32, anything else
 * (negative, fractional, larger) a double. Note `51` and `51.0` are the same JS number, so a whole
 * latitude is stored as uint32; readers hand back the same number either way. bigint becomes
 * uint64 (or uint128 if it needs more than 64 bits); Uint8Array/Buffer becomes `bytes`.
 */
export type MmdbValue = string | number | bigint | boolean | Uint8Array | MmdbTypedValue | MmdbValue[] | MmdbMap;

export interface MmdbRecord {
  /** CIDR, e.g. `'81.2.69.0/24'` or `'2001:218::/32'`. Host bits must be zero. */
  network: string;
  data: MmdbValue;
}

export interface MmdbBuildOptions {
  /** metadata `database_type`, e.g. `'GeoLite2-City'` (geoip2-node checks it per method). */
  databaseType: string;
  /** metadata `languages`; defaults to `[]`. */
  languages?: string[];
  /** metadata `description`: a string is stored as `{ en: description }`. */
  description?: string | Record<string, string>;
  /** Networks must not overlap. */
  records: MmdbRecord[];
  /** metadata `build_epoch`; defaults to now. */
  buildEpoch?: Date | number;
  /** Force a record size; by default the smallest of 24/28/32 that fits. */
  recordSize?: 24 | 28 | 32;
  /** Alias `::ffff:0:0/96` and `2002::/16` to the IPv4 subtree, as MaxMind does. Default true. */
  ipv4Aliases?: boolean;
}

export const asUint16 = (value: number): MmdbTypedValue => new MmdbTypedValue('uint16', value);
export const asUint32 = (value: number): MmdbTypedValue => new MmdbTypedValue('uint32', value);
export const asInt32 = (value: number): MmdbTypedValue => new MmdbTypedValue('int32', value);
export const asUint64 = (value: number | bigint): MmdbTypedValue => new MmdbTypedValue('uint64', value);
export const asUint128 = (value: number | bigint): MmdbTypedValue => new MmdbTypedValue('uint128', value);
export const asDouble = (value: number): MmdbTypedValue => new MmdbTypedValue('double', value);
export const asFloat = (value: number): MmdbTypedValue => new MmdbTypedValue('float', value);

// ---------------------------------------------------------------------------------------------
// Data field encoding ("Output Data Section", "Data Field Format")
// ---------------------------------------------------------------------------------------------

const TYPE = {
  utf8String: 2,
  double: 3,
  bytes: 4,
  uint16: 5,
  uint32: 6,
  map: 7,
  int32: 8,
  uint64: 9,
  uint128: 10,
  array: 11,
  boolean: 14,
  float: 15,
} as const;

/** "the maximum payload size for a single field is 16,843,036 bytes" (65,821 + 2^24 - 1). */
const MAX_FIELD_SIZE = 65_821 + 0xff_ffff;

/**
 * Control byte(s) for a field ("Data Field Format", "Payload Size"):
 * - byte 0: top 3 bits = type (1..7), or 0 for an "extended" type;
 *           low 5 bits = size if < 29, otherwise 29/30/31 announcing 1/2/3 size bytes;
 * - extended types: next byte = type - 7;
 * - then the size bytes: size - 29 (1 byte), size - 285 (2 bytes), size - 65,821 (3 bytes), BE.
 * For maps and arrays `size` is the entry count, for booleans the value itself.
 */
function controlBytes(type: number, size: number, path: string): Buffer {
  if (!Number.isInteger(size) || size < 0 || size > MAX_FIELD_SIZE) {
    throw new Error(`mmdb-writer: ${path}: field size ${size} exceeds the format's limit (${MAX_FIELD_SIZE})`);
  }
  let sizeBits: number;
  let sizeBytes: Buffer;
  if (size < 29) {
    sizeBits = size;
    sizeBytes = Buffer.alloc(0);
  } else if (size < 285) {
    sizeBits = 29;
    sizeBytes = Buffer.from([size - 29]);
  } else if (size < 65_821) {
    sizeBits = 30;
    sizeBytes = Buffer.alloc(2);
    sizeBytes.writeUInt16BE(size - 285);
  } else {
    sizeBits = 31;
    sizeBytes = Buffer.alloc(3);
    sizeBytes.writeUIntBE(size - 65_821, 0, 3);
  }
  const head = type <= 7 ? [(type << 5) | sizeBits] : [sizeBits, type - 7];
  return Buffer.concat([Buffer.from(head), sizeBytes]);
}

function field(type: number, payload: Buffer, path: string): Buffer {
  return Buffer.concat([controlBytes(type, payload.length, path), payload]);
}

/** Unsigned integer as the shortest big-endian byte string; 0 has no payload ("integer formats"). */
function uintBytes(value: bigint): Buffer {
  const bytes: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  return Buffer.from(bytes);
}

function encodeUint(type: number, bits: number, value: number | bigint, path: string): Buffer {
  const big = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value) : null;
  if (big === null || big < 0n || big >= 1n << BigInt(bits)) {
    throw new Error(`mmdb-writer: ${path}: ${String(value)} is not a valid uint${bits}`);
  }
  return field(type, uintBytes(big), path);
}

function encodeInt32(value: number, path: string): Buffer {
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
    throw new Error(`mmdb-writer: ${path}: ${value} is not a valid int32`);
  }
  // "fields shorter than the maximum byte length are always positive": negatives take all 4
  // bytes in two's complement, non-negatives the shortest form.
  if (value >= 0) return field(TYPE.int32, uintBytes(BigInt(value)), path);
  const payload = Buffer.alloc(4);
  payload.writeInt32BE(value);
  return field(TYPE.int32, payload, path);
}

function encodeDouble(value: number, path: string): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeDoubleBE(value);
  return field(TYPE.double, payload, path);
}

function encodeTyped(typed: MmdbTypedValue, path: string): Buffer {
  const { type, value } = typed;
  switch (type) {
    case 'uint16':
      return encodeUint(TYPE.uint16, 16, value, path);
    case 'uint32':
      return encodeUint(TYPE.uint32, 32, value, path);
    case 'uint64':
      return encodeUint(TYPE.uint64, 64, value, path);
    case 'uint128':
      return encodeUint(TYPE.uint128, 128, value, path);
    case 'int32':
      return encodeInt32(Number(value), path);
    case 'double':
      return encodeDouble(Number(value), path);
    case 'float': {
      const payload = Buffer.alloc(4);
      payload.writeFloatBE(Number(value));
      return field(TYPE.float, payload, path);
    }
  }
}

function isPlainObject(value: unknown): value is MmdbMap {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Encodes one value (recursively) as a self-contained data field. `path` is for error messages. */
export function encodeMmdbValue(value: MmdbValue, path = 'value'): Buffer {
  if (typeof value === 'string') return field(TYPE.utf8String, Buffer.from(value, 'utf8'), path);
  if (typeof value === 'boolean') return controlBytes(TYPE.boolean, value ? 1 : 0, path); // no payload
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff
      ? encodeUint(TYPE.uint32, 32, value, path)
      : encodeDouble(value, path);
  }
  if (typeof value === 'bigint') {
    return value < 1n << 64n ? encodeUint(TYPE.uint64, 64, value, path) : encodeUint(TYPE.uint128, 128, value, path);
  }
  if (value instanceof MmdbTypedValue) return encodeTyped(value, path);
  if (value instanceof Uint8Array) return field(TYPE.bytes, Buffer.from(value), path);
  if (Array.isArray(value)) {
    // "array - 11": the size is the number of elements, which follow one after another.
    const items = value.map((item, i) => encodeMmdbValue(item, `${path}[${i}]`));
    return Buffer.concat([controlBytes(TYPE.array, items.length, path), ...items]);
  }
  if (isPlainObject(value)) {
    // "Maps": the size is the number of pairs; each key (a UTF-8 string field) precedes its value.
    const parts: Buffer[] = [];
    const entries = Object.entries(value);
    for (const [key, item] of entries) {
      parts.push(encodeMmdbValue(key, `${path} key`), encodeMmdbValue(item, `${path}.${key}`));
    }
    return Buffer.concat([controlBytes(TYPE.map, entries.length, path), ...parts]);
  }
  throw new Error(`mmdb-writer: ${path}: cannot encode ${value === null ? 'null' : typeof value} as MMDB data`);
}

// ---------------------------------------------------------------------------------------------
// Addresses and networks
// ---------------------------------------------------------------------------------------------

/** An IPv6 address as 16 bytes; IPv4 networks are already placed under `::/96`. */
interface Network {
  text: string;
  bytes: Uint8Array;
  prefix: number;
}

function parseIPv4(text: string): number[] | null {
  if (!isIPv4(text)) return null;
  return text.split('.').map(Number);
}

/** IPv6 text to 16 bytes: handles `::` compression and a trailing embedded IPv4 (`::ffff:1.2.3.4`). */
function parseIPv6(text: string): Uint8Array | null {
  if (!isIPv6(text) || text.includes('%')) return null;
  let groups = text;
  const lastColon = groups.lastIndexOf(':');
  const tail = groups.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIPv4(tail);
    if (!v4) return null;
    groups = `${groups.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const [head, rest] = groups.split('::') as [string, string | undefined];
  const toWords = (part: string): number[] => (part === '' ? [] : part.split(':').map((w) => parseInt(w, 16)));
  const headWords = toWords(head);
  const tailWords = rest === undefined ? [] : toWords(rest);
  const words =
    rest === undefined ? headWords : [...headWords, ...new Array<number>(8 - headWords.length - tailWords.length).fill(0), ...tailWords];
  if (words.length !== 8) return null;
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  });
  return bytes;
}

function bitAt(bytes: Uint8Array, index: number): 0 | 1 {
  return ((bytes[index >> 3] >> (7 - (index & 7))) & 1) as 0 | 1;
}

function parseNetwork(text: string): Network {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!match) throw new Error(`mmdb-writer: '${text}' is not a CIDR network (expected e.g. '81.2.69.0/24')`);
  const [, address, prefixText] = match;
  const prefix = Number(prefixText);
  const v4 = parseIPv4(address);
  let bytes: Uint8Array | null;
  let fullPrefix: number;
  if (v4) {
    if (prefix > 32) throw new Error(`mmdb-writer: '${text}': IPv4 prefix must be 0..32`);
    // "IPv4 addresses in an IPv6 tree": the 4 bytes go in the low 32 bits, upper 96 bits zero.
    bytes = new Uint8Array(16);
    bytes.set(v4, 12);
    fullPrefix = 96 + prefix;
  } else {
    bytes = parseIPv6(address);
    if (!bytes) throw new Error(`mmdb-writer: '${text}': '${address}' is not an IPv4 or IPv6 address`);
    if (prefix > 128) throw new Error(`mmdb-writer: '${text}': IPv6 prefix must be 0..128`);
    fullPrefix = prefix;
  }
  if (fullPrefix === 0) throw new Error(`mmdb-writer: '${text}': a network covering all of ::/0 is not supported`);
  for (let i = fullPrefix; i < 128; i++) {
    if (bitAt(bytes, i)) throw new Error(`mmdb-writer: '${text}' has host bits set; use its network address`);
  }
  return { text, bytes, prefix: fullPrefix };
}

// ---------------------------------------------------------------------------------------------
// Search tree ("Binary Search Tree Section")
// ---------------------------------------------------------------------------------------------

/** A data section entry; `network` names its first owner for error messages. */
interface DataLeaf {
  offset: number;
  network: string;
}

type Slot = TreeNode | DataLeaf | null;

class TreeNode {
  /** [left = bit 0, right = bit 1]; null = no data ("record value equal to node_count"). */
  readonly children: [Slot, Slot] = [null, null];
}

function firstNetworkIn(node: TreeNode): string {
  for (const child of node.children) {
    if (child instanceof TreeNode) return firstNetworkIn(child);
    if (child) return child.network;
  }
  return '?';
}

/**
 * Puts `slot` at the record reached by the first `prefix` bits of `bytes`, creating nodes on the
 * way. Throws if the network overlaps anything already in the tree.
 */
function insert(root: TreeNode, network: Network, slot: TreeNode | DataLeaf, hint = ''): void {
  let node = root;
  for (let depth = 0; depth < network.prefix - 1; depth++) {
    const bit = bitAt(network.bytes, depth);
    const child = node.children[bit];
    if (child === null) {
      const next = new TreeNode();
      node.children[bit] = next;
      node = next;
    } else if (child instanceof TreeNode) {
      node = child;
    } else {
      throw new Error(`mmdb-writer: network ${network.text} overlaps ${child.network}; networks must not overlap${hint}`);
    }
  }
  const bit = bitAt(network.bytes, network.prefix - 1);
  const existing = node.children[bit];
  if (existing !== null) {
    const other = existing instanceof TreeNode ? firstNetworkIn(existing) : existing.network;
    throw new Error(`mmdb-writer: network ${network.text} overlaps ${other}; networks must not overlap${hint}`);
  }
  node.children[bit] = slot;
}

/** The slot covering `::/96` (the IPv4 space), or null if nothing is stored there. */
function ipv4Slot(root: TreeNode): Slot {
  let slot: Slot = root;
  for (let depth = 0; depth < 96; depth++) {
    if (!(slot instanceof TreeNode)) return slot; // a shorter ::/n network covers all of IPv4
    slot = slot.children[0];
  }
  return slot;
}

/** IPv4 aliases MaxMind puts in its databases ("IPv4 addresses in an IPv6 tree"). */
const IPV4_ALIASES = ['::ffff:0:0/96', '2002::/16'];

function writeRecord(tree: Buffer, nodeOffset: number, recordSize: number, left: number, right: number): void {
  switch (recordSize) {
    case 24: // "| 23 .. 0 | 23 .. 0 |", 6 bytes
      tree.writeUIntBE(left, nodeOffset, 3);
      tree.writeUIntBE(right, nodeOffset + 3, 3);
      return;
    case 28: // "| 23 .. 0 | 27..24 | 27..24 | 23 .. 0 |", 7 bytes: the middle byte holds
      // the left record's top nibble in its high half and the right record's in its low half.
      tree.writeUIntBE(left & 0xff_ffff, nodeOffset, 3);
      tree[nodeOffset + 3] = ((left >>> 24) << 4) | (right >>> 24);
      tree.writeUIntBE(right & 0xff_ffff, nodeOffset + 4, 3);
      return;
    case 32: // "| 31 .. 0 | 31 .. 0 |", 8 bytes
      tree.writeUInt32BE(left, nodeOffset);
      tree.writeUInt32BE(right, nodeOffset + 4);
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// The file
// ---------------------------------------------------------------------------------------------

/** "Database Metadata": the last occurrence of this marker starts the metadata map. */
const METADATA_MARKER = Buffer.concat([Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com', 'ascii')]);
/** "Data Section Separator": 16 NUL bytes between the tree and the data section. */
const DATA_SECTION_SEPARATOR_SIZE = 16;
/** "The maximum allowable size for the metadata section, including the marker ... is 128KiB." */
const MAX_METADATA_SIZE = 128 * 1024;

/** Builds a complete MaxMind DB (v2.0, IPv6 tree) holding `records`. */
export function buildMmdb(options: MmdbBuildOptions): Buffer {
  const { databaseType, languages = [], records, ipv4Aliases = true } = options;

  // Data section: each distinct encoded value once, in insertion order.
  const dataParts: Buffer[] = [];
  const leavesByBytes = new Map<string, DataLeaf>();
  let dataSize = 0;

  const root = new TreeNode();
  records.forEach((record, i) => {
    const network = parseNetwork(record.network);
    const encoded = encodeMmdbValue(record.data, `records[${i}] (${record.network}).data`);
    const key = encoded.toString('latin1');
    let leaf = leavesByBytes.get(key);
    if (!leaf) {
      leaf = { offset: dataSize, network: network.text };
      leavesByBytes.set(key, leaf);
      dataParts.push(encoded);
      dataSize += encoded.length;
    }
    insert(root, network, { offset: leaf.offset, network: network.text });
  });

  if (ipv4Aliases) {
    const v4 = ipv4Slot(root);
    if (v4 !== null) {
      for (const alias of IPV4_ALIASES) {
        // Shares the IPv4 subtree (or leaf): one node, reachable by several paths.
        insert(root, parseNetwork(alias), v4, ` (${alias} is an IPv4 alias; pass ipv4Aliases: false to store it yourself)`);
      }
    }
  }

  // Number the nodes breadth-first from the root (node 0); shared subtrees get one number.
  const numbers = new Map<TreeNode, number>([[root, 0]]);
  const nodes: TreeNode[] = [root];
  for (let i = 0; i < nodes.length; i++) {
    for (const child of nodes[i].children) {
      if (child instanceof TreeNode && !numbers.has(child)) {
        numbers.set(child, nodes.length);
        nodes.push(child);
      }
    }
  }
  const nodeCount = nodes.length;

  // "Search Lookup Algorithm": a record is a node number (< node_count), node_count for
  // "no data", or node_count + 16 + offset into the data section.
  const recordValue = (slot: Slot): number => {
    if (slot === null) return nodeCount;
    if (slot instanceof TreeNode) return numbers.get(slot)!;
    return nodeCount + DATA_SECTION_SEPARATOR_SIZE + slot.offset;
  };
  const maxValue = nodeCount + DATA_SECTION_SEPARATOR_SIZE + dataSize;
  const fits = (size: number) => maxValue < 2 ** size;
  const recordSize = options.recordSize ?? ([24, 28, 32] as const).find(fits);
  if (recordSize === undefined || !fits(recordSize)) {
    throw new Error(
      `mmdb-writer: ${nodeCount} nodes + ${dataSize} data bytes need record values up to ${maxValue}, ` +
        `which do not fit in ${recordSize ?? 32}-bit records`,
    );
  }

  // "Calculating the Search Tree Section Size": (record_size * 2 / 8) bytes per node.
  const nodeBytes = (recordSize * 2) / 8;
  const tree = Buffer.alloc(nodeBytes * nodeCount);
  nodes.forEach((node, i) => {
    writeRecord(tree, i * nodeBytes, recordSize, recordValue(node.children[0]), recordValue(node.children[1]));
  });

  const description =
    typeof options.description === 'string'
      ? { en: options.description }
      : (options.description ?? { en: `${databaseType} test fixture (mmdb-writer)` });
  const buildEpoch =
    options.buildEpoch instanceof Date
      ? Math.floor(options.buildEpoch.getTime() / 1000)
      : (options.buildEpoch ?? Math.floor(Date.now() / 1000));
  const metadata = encodeMmdbValue(
    {
      binary_format_major_version: asUint16(2),
      binary_format_minor_version: asUint16(0),
      build_epoch: asUint64(buildEpoch),
      database_type: databaseType,
      description,
      ip_version: asUint16(6),
      languages,
      node_count: asUint32(nodeCount),
      record_size: asUint16(recordSize),
    },
    'metadata',
  );
  if (metadata.includes(METADATA_MARKER)) {
    throw new Error('mmdb-writer: metadata must not contain the metadata marker bytes');
  }
  if (METADATA_MARKER.length + metadata.length > MAX_METADATA_SIZE) {
    throw new Error('mmdb-writer: metadata exceeds the 128KiB limit');
  }

  return Buffer.concat([tree, Buffer.alloc(DATA_SECTION_SEPARATOR_SIZE), ...dataParts, METADATA_MARKER, metadata]);
}

/** `buildMmdb` and write the result to `path` (parent directories are created). */
export function writeMmdb(path: string, options: MmdbBuildOptions): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, buildMmdb(options));
}
