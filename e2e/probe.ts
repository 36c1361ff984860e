import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { FaultStack } from './src/harness/fault-stack.js';
import { s3Client } from './src/harness/s3.js';

const table = process.argv[2]!;
const ep = await new FaultStack().up('s3');
const s3 = s3Client(ep);
const prefix = `${table}/_delta_log/`;
const l = await s3.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: prefix }));
for (const o of l.Contents ?? []) {
  if (!o.Key!.endsWith('.json')) continue;
  const t = await (
    await s3.send(new GetObjectCommand({ Bucket: 'lake', Key: o.Key! }))
  ).Body!.transformToString();
  const acts = t
    .trim()
    .split('\n')
    .map((x) => JSON.parse(x));
  const txns = acts
    .filter((a) => a.txn)
    .map((a) => a.txn.appId.split('/').pop() + '=' + a.txn.version)
    .join(' ');
  const adds = acts.filter((a) => a.add).map((a) => JSON.parse(a.add.stats ?? '{}').numRecords);
  const ci = acts.find((a) => a.commitInfo)?.commitInfo;
  console.log(
    o.Key!.slice(-25),
    o.LastModified?.toISOString().slice(11, 23),
    'txn',
    txns,
    'adds',
    JSON.stringify(adds),
    JSON.stringify(ci?.deltaWriter ?? {}).slice(0, 150),
  );
}
