// Writes docs/events.md from the built registry: `pnpm --filter @vellum/contracts docs:events`.
const fs = require('node:fs');
const path = require('node:path');
const { renderEventsDoc } = require('../dist');
const out = path.resolve(__dirname, '../../../docs/events.md');
fs.writeFileSync(out, renderEventsDoc());
console.log(`wrote ${out}`);
