import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ALLOCATION_ANNOTATIONS,
  CONTROLLER_ANNOTATION_DECLARATION,
  REQUEST_ANNOTATIONS,
  sdkAllocateParameters,
  TAGS_ANNOTATION_DECLARATION,
  type AnnotationDeclaration,
} from '../../lib/annotations.js';
import { packageRoot } from '../../lib/package-root.js';
import { MAX_USER_TAGS } from '../../agent/src/domain/eip-request.js';
import { MAX_TAGS } from '../../agent/src/cloud/types.js';
import { OWNERSHIP_TAG_KEYS } from '../../agent/src/domain/ownership.js';

const doc = readFileSync(join(packageRoot(), 'docs/annotations.md'), 'utf8');

/** The rows (lines starting with "| `") of the table that follows `heading` in docs/annotations.md. */
function tableRows(heading: string): string[] {
  const start = doc.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/annotations.md has no heading "${heading}"`);
  const lines = doc.slice(start).split('\n').slice(2);
  const table = lines.slice(lines.findIndex((l) => l.startsWith('|')));
  return table
    .slice(
      0,
      table.findIndex((l) => !l.startsWith('|')),
    )
    .filter((l) => l.startsWith('| `'));
}

const compat = (d: AnnotationDeclaration) => d.compatKeys.map((k) => `\`${k}\``).join(', ');
const cell = (text: string) => (text === '' ? ' |' : ` ${text} |`);

const sections = [
  {
    heading: '## Requesting an EIP',
    rows: Object.values(REQUEST_ANNOTATIONS).map((d) => `| \`${d.name}\` |${cell(compat(d))} ${d.doc} | ${d.modes} |`),
  },
  {
    heading: '## Creation parameters (auto and fixed modes; ignored for static)',
    rows: [...ALLOCATION_ANNOTATIONS, TAGS_ANNOTATION_DECLARATION].map(
      (d) => `| \`${d.name}\` |${cell(compat(d))} ${d.doc} |`,
    ),
  },
  {
    heading: '## Handing a pod to another controller',
    rows: [`| \`${CONTROLLER_ANNOTATION_DECLARATION.name}\` | ${CONTROLLER_ANNOTATION_DECLARATION.doc} |`],
  },
];

for (const { heading, rows } of sections) {
  test(`docs/annotations.md "${heading}" is the declarations' table, row for row`, (t) => {
    const documented = tableRows(heading);
    for (const row of rows)
      t.true(documented.includes(row), `declared but not documented as declared; the row should read:\n${row}`);
    for (const row of documented)
      t.true(rows.includes(row), `documented but not declared in lib/annotations.ts:\n${row}`);
  });
}

test('the eip-tags doc gives the limit the parser enforces', (t) => {
  t.true(
    TAGS_ANNOTATION_DECLARATION.doc.includes(
      `At most ${MAX_USER_TAGS} tags (an EIP holds ${MAX_TAGS}; podeip adds ${OWNERSHIP_TAG_KEYS.length})`,
    ),
  );
});

test('every annotation name and key is declared once', (t) => {
  const all: AnnotationDeclaration[] = [
    ...Object.values(REQUEST_ANNOTATIONS),
    ...ALLOCATION_ANNOTATIONS,
    TAGS_ANNOTATION_DECLARATION,
    CONTROLLER_ANNOTATION_DECLARATION,
  ];
  const keys = all.flatMap((d) => [d.name, ...d.compatKeys]);
  t.is(new Set(keys).size, keys.length);
  const fields = ALLOCATION_ANNOTATIONS.map((d) => d.allocate.field);
  t.is(new Set(fields).size, fields.length);
});

test("the cloud call gets each creation parameter under the SDK's name, and nothing that is not an AllocateEipAddress parameter", (t) => {
  t.deepEqual(
    sdkAllocateParameters({
      isp: 'BGP',
      bandwidth: '10',
      internetChargeType: 'PayByBandwidth',
      securityProtectionTypes: ['AntiDDoS_Enhanced'],
    }),
    {
      internetChargeType: 'PayByBandwidth',
      bandwidth: '10',
      instanceChargeType: undefined,
      ISP: 'BGP',
      publicIpAddressPoolId: undefined,
      resourceGroupId: undefined,
      name: undefined,
      description: undefined,
      securityProtectionTypes: ['AntiDDoS_Enhanced'],
    },
  );
});
