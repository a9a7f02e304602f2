// polish bench — the npm package redact-pii on the messages text_bench wrote (one JSON per line:
// text, pii [[TYPE, value]...], decoys [value...]): time, leak rate per type, look-alikes lost.
// Usage: NODE_PATH=DIR/node_modules node redact_pii.js pii.jsonl
const fs = require('fs');
const { SyncRedactor } = require('redact-pii');
const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map(JSON.parse);
const r = new SyncRedactor();
let bytes = 0;
for (const d of lines) bytes += Buffer.byteLength(d.text);
const t0 = process.hrtime.bigint();
const outs = lines.map((d) => r.redact(d.text));
const dt = Number(process.hrtime.bigint() - t0) / 1e9;
let gold = 0, leaked = 0, decoys = 0, lost = 0;
const per = {};
lines.forEach((d, i) => {
  for (const [type, v] of d.pii) {
    gold++;
    per[type] = per[type] || [0, 0];
    per[type][0]++;
    if (outs[i].includes(v)) leaked++;
    else per[type][1]++;
  }
  for (const v of d.decoys) {
    decoys++;
    if (!outs[i].includes(v)) lost++;
  }
});
console.log(`  redact-pii: ${lines.length} messages (${(bytes / 1e6).toFixed(1)} MB) in ${dt.toFixed(3)} s, ` +
  `${(bytes / 1e6 / dt).toFixed(2)} MB/s; leak rate ${(leaked / gold).toFixed(4)} (${leaked} of ${gold}); ` +
  `look-alikes redacted ${(lost / decoys).toFixed(4)} (${lost} of ${decoys})`);
console.log('  redact-pii per type (share no longer readable): ' +
  Object.keys(per).map((k) => `${k} ${(per[k][1] / per[k][0]).toFixed(3)}`).join(' '));
