import { countSynths } from '../../tools/bench/synth-counter.cjs';

// `npm run bench` sets LOADBEARING_SYNTH_LOG to count the syntheses the suite performs.
if (process.env.LOADBEARING_SYNTH_LOG) countSynths(process.env.LOADBEARING_SYNTH_LOG, 'test-worker');
