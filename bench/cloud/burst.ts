/**
 * Prints how long a burst of pods takes through the cloud client against the budget.
 * Run: node dist/bench/cloud/burst.js [pods=500] [callsPerWindow=50] [windowMs=5000]
 */
import { formatFigures, runBurst } from './burst-run.js';

const [pods = 500, calls = 50, windowMs = 5000] = process.argv.slice(2).map(Number);
const figures = await runBurst({ pods, budget: { calls, windowMs }, waitInUse: true });
for (const line of formatFigures(figures)) console.log(line);
