import { typeCheckProjectAndExamples } from '../support/type-check';

/**
 * The suite's type check, started as soon as the global setup module is loaded: it is imported
 * before aws-cdk-lib and the platform, whose loading (about 1.5 s) the type check overlaps on
 * the other core. The global setup awaits it.
 */
export const typesChecked: Promise<string[]> = typeCheckProjectAndExamples();
// Awaited by the global setup; until then, a rejection is not unhandled.
typesChecked.catch(() => undefined);
