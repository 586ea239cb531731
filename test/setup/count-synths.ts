import { countSynths } from '../../lib/bench/synth-counter';

// `npm run bench` sets LOADBEARING_SYNTH_LOG to count the syntheses the suite performs.
if (process.env.LOADBEARING_SYNTH_LOG) countSynths(process.env.LOADBEARING_SYNTH_LOG, 'test-worker');
