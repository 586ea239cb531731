// Moved to lib/local-stack (shared by the integration tests, the bench and the proving ground).
export { motoUnavailable, startMoto, type MotoServer } from '../../../lib/local-stack/moto';
