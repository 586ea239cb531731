// Moved to proving-ground/src/local-stack (shared by the integration tests, the bench and the proving ground).
export { motoUnavailable, startMoto, type MotoServer } from '../../../proving-ground/src/local-stack/moto';
